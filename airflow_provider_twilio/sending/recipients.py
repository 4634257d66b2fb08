"""Turns the ``to`` argument (one number, a list, or a rendered string of several) into checked addresses."""

from __future__ import annotations

import json
import re
import reprlib
from collections.abc import Iterable
from typing import Any

from airflow_provider_twilio.exceptions import TwilioInputError, TwilioMissingInputError

WHATSAPP_PREFIX = "whatsapp:"
# Lists of lists are common (mapped tasks' XCom); anything deeper than this is a mistake, refused by name.
MAX_NESTING = 8
_SEPARATORS = re.compile(r"[,;\s]+")
# ASCII digits only: \d would also take other scripts' digits, which Twilio does not.
_E164_SHAPE = re.compile(r"^\+[0-9]+$")
_EXAMPLE = "e.g. '+14155550123' or 'whatsapp:+14155550123'"
_TOO_DEEP = f"to: lists nested more than {MAX_NESTING} deep; pass a flat list of numbers, {_EXAMPLE}"

_shown = reprlib.Repr()
_shown.maxstring = _shown.maxother = 80
_shown.maxlevel = 3


def shown(value: Any) -> str:
    """A bounded ``repr`` for error messages: huge or deeply nested input stays readable and safe to format."""
    return _shown.repr(value)


def split_recipients(value: Any) -> list[str]:
    """Every address in ``value``, in order, stripped; JSON list strings (rendered XCom) are unpacked."""
    found: list[str] = []
    _collect(value, found, depth=0)
    return found


def _collect(value: Any, found: list[str], depth: int) -> None:
    if depth > MAX_NESTING:
        raise TwilioInputError(_TOO_DEEP)
    if value is None:
        return
    if isinstance(value, str):
        text = value.strip()
        if text.startswith("["):
            try:
                decoded = json.loads(text)
            except RecursionError:
                raise TwilioInputError(_TOO_DEEP) from None
            except ValueError:
                decoded = None
            if isinstance(decoded, list):
                _collect(decoded, found, depth + 1)
                return
            # A Python repr of a list (a rendered template without native rendering) also starts with "[".
            text = text.strip("[]").replace("'", " ").replace('"', " ")
        found.extend(part for part in _SEPARATORS.split(text) if part)
        return
    if isinstance(value, Iterable) and not isinstance(value, (bytes, dict)):
        for item in value:
            if not isinstance(item, (str, list, tuple)):
                raise TwilioInputError(
                    f"to: {shown(item)} ({type(item).__name__}) is not a phone number; pass strings, {_EXAMPLE}"
                    + _native_hint(item)
                )
            _collect(item, found, depth + 1)
        return
    raise TwilioInputError(
        f"to: {shown(value)} ({type(value).__name__}) is not a phone number or a list of them; {_EXAMPLE}"
        + _native_hint(value)
    )


def _native_hint(value: Any) -> str:
    """A number where a phone number was expected is usually native rendering at work; say how to avoid it."""
    if not isinstance(value, int) or isinstance(value, bool):
        return ""
    return (
        f". With render_template_as_native_obj=True, Jinja turns '+{value}' into the number {value}; "
        f"give to as a JSON list instead, e.g. '[\"+{value}\"]'"
    )


def normalize_address(address: str, *, param: str = "to", example: str = _EXAMPLE) -> str:
    """The address if it is E.164 (optionally ``whatsapp:``-prefixed) and a possible number, else a clear error."""
    channel, number = "", address.strip()
    if number.lower().startswith(WHATSAPP_PREFIX):
        channel, number = WHATSAPP_PREFIX, number[len(WHATSAPP_PREFIX) :].strip()
    if not _E164_SHAPE.match(number):
        raise TwilioInputError(
            f"{param}: {shown(address)} is not an E.164 number ('+', country code, then digits only); {example}"
        )
    problem = impossible_number_reason(number)
    if problem:
        raise TwilioInputError(f"{param}: {shown(address)} is not a possible phone number: {problem}; {example}")
    return channel + number


def impossible_number_reason(number: str) -> str | None:
    """Why ``number`` cannot be a phone number, or None; ``is_valid_number`` is deliberately not required."""
    import phonenumbers
    from phonenumbers import ValidationResult

    try:
        parsed = phonenumbers.parse(number, None)
    except phonenumbers.NumberParseException as err:
        if err.error_type == phonenumbers.NumberParseException.INVALID_COUNTRY_CODE:
            return "invalid country code"
        if err.error_type == phonenumbers.NumberParseException.TOO_SHORT_NSN:
            return "too short"
        if err.error_type == phonenumbers.NumberParseException.TOO_LONG:
            return "too long"
        return str(err.args[0] if err.args else err).rstrip(".").lower()
    reason = phonenumbers.is_possible_number_with_reason(parsed)
    reasons = {
        ValidationResult.IS_POSSIBLE: None,
        ValidationResult.IS_POSSIBLE_LOCAL_ONLY: None,
        ValidationResult.INVALID_COUNTRY_CODE: "invalid country code",
        ValidationResult.TOO_SHORT: "too short",
        ValidationResult.TOO_LONG: "too long",
        ValidationResult.INVALID_LENGTH: "invalid length for its country",
    }
    return reasons.get(reason, "not a possible number")


def parse_recipients(value: Any) -> list[str]:
    """Checked, de-duplicated recipients in first-seen order; raises before anything is sent."""
    addresses = split_recipients(value)
    if not addresses:
        raise TwilioMissingInputError(f"to: no recipients in {shown(value)}; give at least one number, {_EXAMPLE}")
    seen: dict[str, None] = {}
    for index, address in enumerate(addresses):
        param = "to" if len(addresses) == 1 else f"to[{index}]"
        seen.setdefault(normalize_address(address, param=param), None)
    return list(seen)
