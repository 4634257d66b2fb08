"""Argument checks shared by every request the provider builds: bounded error text, list arguments, URLs, numbers."""

from __future__ import annotations

import ast
import ipaddress
import json
import re
import reprlib
from collections.abc import Iterable
from typing import Any
from urllib.parse import urlsplit

from airflow_provider_twilio.exceptions import TwilioInputError

_HOST_LABEL = re.compile(r"^(?!-)[A-Za-z0-9-]{1,63}(?<!-)$")
# Lists of lists are common (mapped tasks' XCom); anything deeper than this is a mistake, refused by name.
MAX_NESTING = 8
NUMBER_EXAMPLE = "e.g. '+14155550123' or 'whatsapp:+14155550123'"
_SEPARATORS = re.compile(r"[,;\s]+")

_shown = reprlib.Repr()
_shown.maxstring = _shown.maxother = 80
_shown.maxlevel = 3


def shown(value: Any) -> str:
    """A bounded ``repr`` for error messages: huge or deeply nested input stays readable and safe to format."""
    return _shown.repr(value)


def check_url(url: str, param: str) -> None:
    """An http(s) URL with a real hostname (or an IP address, or localhost); refused naming ``param``."""
    try:
        parts = urlsplit(url.strip())
        host = parts.hostname
        _ = parts.port
    except ValueError as err:
        raise TwilioInputError(f"{param}: {url!r} is not a valid URL ({err})") from None
    if parts.scheme not in ("http", "https"):
        raise TwilioInputError(f"{param}: {url!r} must be an http:// or https:// URL")
    if not host or not _valid_hostname(host):
        raise TwilioInputError(f"{param}: {url!r} has no valid hostname; expected e.g. https://example.com/path")


def _valid_hostname(host: str) -> bool:
    try:
        ipaddress.ip_address(host)
        return True
    except ValueError:
        pass
    labels = host.rstrip(".").split(".")
    if len(host) > 253 or not all(_HOST_LABEL.match(label) for label in labels):
        return False
    return len(labels) > 1 or host == "localhost"


def int_in_range(value: Any, param: str, low: int, high: int) -> int:
    """``value`` as a whole number within ``low..high``; text of a whole number counts, floats with a fraction not."""
    try:
        number = int(value)
        if isinstance(value, bool) or (isinstance(value, float) and value != number):
            raise ValueError
        if isinstance(value, str) and value.strip() != str(number):
            raise ValueError
    except (TypeError, ValueError):
        raise TwilioInputError(f"{param}: {shown(value)} is not a whole number; expected {low}..{high}") from None
    if not low <= number <= high:
        raise TwilioInputError(f"{param}: {number} is outside {low}..{high}")
    return number


def flatten(
    value: Any, *, key: str | None = None, param: str = "to", what: str = f"numbers, {NUMBER_EXAMPLE}"
) -> list[str]:
    """Every item in ``value``, in order, stripped; JSON list strings (rendered XCom) are unpacked.

    Without ``key`` only strings and lists of them are taken, and anything else is refused by name. With
    ``key``, result dicts give their ``key`` item, Python-literal text is read too, and other values count
    as their text. Either way nesting deeper than ``MAX_NESTING`` is refused.
    """
    found: list[str] = []
    _collect(value, found, 0, key, f"{param}: lists nested more than {MAX_NESTING} deep; pass a flat list of {what}")
    return found


def _collect(value: Any, found: list[str], depth: int, key: str | None, too_deep: str) -> None:
    if depth > MAX_NESTING:
        raise TwilioInputError(too_deep)
    if value is None:
        return
    if isinstance(value, str):
        text = value.strip()
        if text.startswith("[") or (key is not None and text[:1] in ("{", "(")):
            decoded = _decoded(text, literal=key is not None, too_deep=too_deep)
            if isinstance(decoded, list) or (key is not None and isinstance(decoded, (tuple, dict))):
                _collect(decoded, found, depth + 1, key, too_deep)
                return
            if key is None:
                # A Python repr of a list (a rendered template without native rendering) also starts with "[".
                text = text.strip("[]").replace("'", " ").replace('"', " ")
        found.extend(part for part in _SEPARATORS.split(text) if part)
        return
    if key is not None:
        _collect_results(value, found, depth, key, too_deep)
        return
    if isinstance(value, Iterable) and not isinstance(value, (bytes, dict)):
        for item in value:
            if not isinstance(item, (str, list, tuple)):
                raise TwilioInputError(
                    f"to: {shown(item)} ({type(item).__name__}) is not a phone number; pass strings, {NUMBER_EXAMPLE}"
                    + _native_hint(item)
                )
            _collect(item, found, depth + 1, key, too_deep)
        return
    raise TwilioInputError(
        f"to: {shown(value)} ({type(value).__name__}) is not a phone number or a list of them; {NUMBER_EXAMPLE}"
        + _native_hint(value)
    )


def _collect_results(value: Any, found: list[str], depth: int, key: str, too_deep: str) -> None:
    """The lenient side of ``flatten``: a result dict gives its ``key`` item, anything else its text."""
    if isinstance(value, dict):
        item = value.get(key)
        if item:
            found.append(str(item))
        return
    if isinstance(value, Iterable):
        for element in value:
            _collect(element, found, depth + 1, key, too_deep)
        return
    found.append(str(value))


def _decoded(text: str, *, literal: bool, too_deep: str) -> Any:
    """JSON first (``tojson``), then, if asked, a Python literal (the plain ``{{ ... }}`` rendering of a list)."""
    try:
        return json.loads(text)
    except RecursionError:
        raise TwilioInputError(too_deep) from None
    except ValueError:
        pass
    if not literal:
        return None
    try:
        return ast.literal_eval(text)
    except (ValueError, TypeError, SyntaxError, MemoryError, RecursionError):
        return None


def _native_hint(value: Any) -> str:
    """A number where a phone number was expected is usually native rendering at work; say how to avoid it."""
    if not isinstance(value, int) or isinstance(value, bool):
        return ""
    return (
        f". With render_template_as_native_obj=True, Jinja turns '+{value}' into the number {value}; "
        f"give to as a JSON list instead, e.g. '[\"+{value}\"]'"
    )
