"""Reply texts with ``${name}`` placeholders, filled by plain substitution.

Message bodies are untrusted: they are only ever substituted as text, in one pass, and never rendered
as Jinja, so ``{{ ... }}``, ``{% ... %}`` or ``${...}`` in a reply comes back exactly as it was sent.
"""

from __future__ import annotations

import re
import string
from collections.abc import Iterable, Mapping
from typing import TYPE_CHECKING, Any

from airflow_provider_twilio.exceptions import TwilioTemplateError

if TYPE_CHECKING:
    from regex import Pattern

# Fields of the received message every reply can use; match groups (echo only) take precedence.
MESSAGE_FIELDS = ("from", "to", "body")


class ReplyTemplate(string.Template):
    """``$name`` / ``${name}`` where name is an identifier or a group number (``${1}``); ``$$`` is ``$``."""

    idpattern = r"(?a:[_a-z][_a-z0-9]*|[0-9]+)"
    flags = re.IGNORECASE


def placeholders(text: str, parameter: str) -> list[str]:
    """Every placeholder name in ``text``; a stray ``$`` is an error naming its position.

    Written against ``Template.pattern`` because ``get_identifiers()`` needs Python 3.11.
    """
    names: list[str] = []
    for found in ReplyTemplate.pattern.finditer(text):
        if found.group("invalid") is not None:
            position = found.start()
            raise TwilioTemplateError(
                f"{parameter}: invalid placeholder at character {position} of {text!r}; use ${{name}} for a "
                "match group or message field, or $$ for a literal dollar sign"
            )
        name = found.group("named") or found.group("braced")
        if name is not None and name not in names:
            names.append(name)
    return names


def available_names(regex: Pattern[str] | None) -> list[str]:
    """Names a reply may use: the message fields, plus named and numbered groups when matched."""
    names = list(MESSAGE_FIELDS)
    if regex is not None:
        names += list(regex.groupindex)
        names += [str(index) for index in range(1, regex.groups + 1)]
    return names


def validate_reply(text: Any, parameter: str, names: Iterable[str]) -> str | None:
    """Check a reply template at task start: unknown names fail before any request."""
    if text is None:
        return None
    if not isinstance(text, str) or not text.strip():
        raise TwilioTemplateError(f"{parameter}: expected a non-empty reply text, got {text!r}")
    allowed = list(names)
    unknown = [name for name in placeholders(text, parameter) if name not in allowed]
    if unknown:
        raise TwilioTemplateError(
            f"{parameter}: unknown placeholder(s) {', '.join('${' + n + '}' for n in unknown)} in {text!r}; "
            f"available: {', '.join('${' + n + '}' for n in allowed)}"
        )
    return text


def reply_values(message: Mapping[str, Any], match: Mapping[str, Any] | None = None) -> dict[str, str]:
    """Substitution values from an XCom-shaped message (and match result); missing groups are empty."""
    values = {
        "from": str(message.get("from") or ""),
        "to": str(message.get("to") or ""),
        "body": str(message.get("body") or ""),
    }
    if match is not None:
        groups = list(match.get("groups") or [])
        for index, value in enumerate(groups, start=1):
            values[str(index)] = "" if value is None else str(value)
        for name, value in (match.get("match_groups") or {}).items():
            values[name] = "" if value is None else str(value)
    return values


def fill_reply(text: str, values: Mapping[str, str]) -> str:
    """One pass of plain substitution; substituted text is never looked at again."""
    return ReplyTemplate(text).substitute(values)
