"""Normalise phone numbers and message SIDs given as a value, a list, or a rendered XCom string.

The send operator's XCom is a list of result dicts; rendered through Jinja it arrives as the
string form of that list, so both JSON and Python-literal text are accepted.
"""

from __future__ import annotations

import ast
import json
import re
from collections.abc import Iterable
from typing import Any

from airflow_provider_twilio.exceptions import TwilioInputError, TwilioMissingInputError

_SPLIT = re.compile(r"[,;\s]+")
_SID = re.compile(r"^(SM|MM)[0-9a-fA-F]{32}$")
_CALL_SID = re.compile(r"^CA[0-9a-fA-F]{32}$")


def _parse_structured(text: str) -> Any:
    """JSON first (``tojson``), then a Python literal (the plain ``{{ ... }}`` rendering of a list)."""
    try:
        return json.loads(text)
    except ValueError:
        pass
    try:
        return ast.literal_eval(text)
    except (ValueError, SyntaxError):
        return None


def _flatten(value: Any, key: str) -> list[str]:
    if value is None:
        return []
    if isinstance(value, str):
        text = value.strip()
        if text[:1] in ("[", "{", "("):
            structured = _parse_structured(text)
            if structured is not None and not isinstance(structured, str):
                return _flatten(structured, key)
        return [part for part in _SPLIT.split(text) if part]
    if isinstance(value, dict):
        item = value.get(key)
        return [str(item)] if item else []
    if isinstance(value, Iterable):
        items: list[str] = []
        for element in value:
            items.extend(_flatten(element, key))
        return items
    return [str(value)]


def _unique(items: Iterable[str]) -> list[str]:
    return list(dict.fromkeys(items))


def check_shape(value: str, parameter: str) -> tuple[str, str]:
    """``(prefix, +digits)`` of an E.164 number or ``whatsapp:+E164`` address; cheap, no number plan."""
    text = value.strip()
    prefix = ""
    if text.startswith("whatsapp:"):
        prefix, text = "whatsapp:", text[len("whatsapp:") :]
    if not re.fullmatch(r"\+[0-9]{2,16}", text):
        raise TwilioInputError(
            f"{parameter}: {value!r} is not an E.164 phone number; expected '+' and the country code and "
            "digits, like '+15551230001' or 'whatsapp:+15551230001'"
        )
    return prefix, text


def validate_number(value: str, parameter: str) -> str:
    """An E.164 number (or ``whatsapp:+E164``) that could exist; the reason otherwise."""
    import phonenumbers

    prefix, text = check_shape(value, parameter)
    try:
        parsed = phonenumbers.parse(text, None)
    except phonenumbers.NumberParseException as err:
        why = "invalid country code" if err.error_type == err.INVALID_COUNTRY_CODE else str(err)
        raise TwilioInputError(f"{parameter}: {value!r} is not a phone number ({why})") from None
    reason = phonenumbers.is_possible_number_with_reason(parsed)
    if reason != phonenumbers.ValidationResult.IS_POSSIBLE:
        why = {
            phonenumbers.ValidationResult.TOO_SHORT: "too short",
            phonenumbers.ValidationResult.TOO_LONG: "too long",
            phonenumbers.ValidationResult.INVALID_COUNTRY_CODE: "invalid country code",
            phonenumbers.ValidationResult.INVALID_LENGTH: "invalid length",
        }.get(reason, "not a possible number")
        raise TwilioInputError(f"{parameter}: {value!r} is {why} for an E.164 phone number")
    return prefix + text


def parse_numbers(value: Any, parameter: str) -> list[str]:
    """Numbers from one value, a list, result dicts (their ``to``), or a rendered list; checked, unique."""
    return _unique(validate_number(item, parameter) for item in _flatten(value, "to"))


def parse_message_sids(value: Any, parameter: str = "message_sids") -> list[str]:
    """SIDs from one SID, a list, or the send operator's results (their ``sid``); checked, unique."""
    return _parse_sids(value, parameter, _SID, "message SID", "'SM' or 'MM'")


def parse_call_sids(value: Any, parameter: str = "call_sids") -> list[str]:
    """Call SIDs from one SID, a list, or the call operator's results (calls never placed have none)."""
    return _parse_sids(value, parameter, _CALL_SID, "call SID", "'CA'")


def _parse_sids(value: Any, parameter: str, pattern: re.Pattern[str], what: str, prefix: str) -> list[str]:
    sids = _unique(item.strip() for item in _flatten(value, "sid"))
    if not sids:
        raise TwilioMissingInputError(f"{parameter}: no {what} given (got {value!r})")
    for sid in sids:
        if not pattern.match(sid):
            raise TwilioInputError(f"{parameter}: {sid!r} is not a {what}; expected {prefix} followed by 32 hex digits")
    return sids


def shaped_numbers(value: Any, parameter: str) -> list[str]:
    """Like ``parse_numbers`` but only the E.164 shape is checked: cheap enough for a constructor."""
    return _unique("".join(check_shape(item, parameter)) for item in _flatten(value, "to"))
