"""Phone addresses: one set of rules for every number the provider sends to, calls, or waits for.

An address is an E.164 number (``+``, the country code, then ASCII digits) that could exist, optionally
prefixed ``whatsapp:`` in any case (normalised to lowercase). Other channels' prefixes (``messenger:``,
``rcs:``) are refused by name. Values arrive as one address, a list, or rendered text of several: commas,
semicolons and whitespace separate them, so a number written with spaces is several items and is refused.

Two faces share the rules and differ only in what they accept around them and how they word an error:
``parse_recipients`` (what a send or a call goes ``to``) and ``parse_numbers`` (what an inbound wait
filters on, which also takes the send operator's result dicts by their ``to``).
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import Any

from airflow_provider_twilio.checks import MAX_NESTING, NUMBER_EXAMPLE, flatten, shown
from airflow_provider_twilio.exceptions import TwilioInputError, TwilioMissingInputError

__all__ = [
    "EXAMPLE",
    "MAX_NESTING",
    "WHATSAPP_PREFIX",
    "check_shape",
    "flatten",
    "impossible_number_reason",
    "is_alphanumeric_sender",
    "is_short_code",
    "is_whatsapp",
    "normalize_address",
    "parse_numbers",
    "parse_recipients",
    "shape_problem",
    "shaped_numbers",
    "split_channel",
    "split_recipients",
    "validate_number",
]

WHATSAPP_PREFIX = "whatsapp:"
EXAMPLE = NUMBER_EXAMPLE
# ASCII digits only: \d would also take other scripts' digits, which Twilio does not.
_E164_SHAPE = re.compile(r"^\+[0-9]+$")
# Another channel's address (messenger:..., rcs:...): named in the error, since Twilio's API takes them.
_CHANNEL_PREFIX = re.compile(r"^([A-Za-z][A-Za-z0-9-]{0,19}):")
_SHORT_CODE = re.compile(r"^[0-9]{5,6}$")
_ALPHANUMERIC_SENDER = re.compile(r"^(?=.*[A-Za-z])[A-Za-z0-9 ]{1,11}$")


def is_whatsapp(address: str) -> bool:
    """Whether ``address`` is a WhatsApp address, whatever the case of its prefix."""
    return address.strip()[: len(WHATSAPP_PREFIX)].lower() == WHATSAPP_PREFIX


def is_short_code(sender: str) -> bool:
    """A 5- or 6-digit short code (a sender, never an address to write to)."""
    return bool(_SHORT_CODE.match(sender))


def is_alphanumeric_sender(sender: str) -> bool:
    """An alphanumeric sender ID: 1-11 letters, digits or spaces, at least one letter."""
    return bool(_ALPHANUMERIC_SENDER.match(sender))


def split_channel(address: str) -> tuple[str, str]:
    """``(prefix, rest)``: the normalised ``whatsapp:`` prefix (or ``""``) and the number after it, stripped."""
    text = address.strip()
    if is_whatsapp(text):
        return WHATSAPP_PREFIX, text[len(WHATSAPP_PREFIX) :].strip()
    return "", text


def shape_problem(address: str) -> str | None:
    """Why ``address`` is not E.164 (optionally ``whatsapp:``), or None; cheap, no number plan."""
    _, number = split_channel(address)
    if _E164_SHAPE.match(number):
        return None
    return "not an E.164 number"


def _channel_note(address: str) -> str:
    """Names another channel's prefix (``messenger:``, ``rcs:``), which the provider does not address."""
    other = _CHANNEL_PREFIX.match(split_channel(address)[1])
    if not other:
        return ""
    return f"; {other.group(1).lower()}: addresses are not supported, only phone numbers and whatsapp:"


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


def normalize_address(address: str, *, param: str = "to", example: str = EXAMPLE) -> str:
    """The address if it is E.164 (optionally ``whatsapp:``-prefixed) and a possible number, else a clear error."""
    prefix, number = split_channel(address)
    problem = shape_problem(address)
    if problem:
        raise TwilioInputError(
            f"{param}: {shown(address)} is {problem} ('+', country code, then digits only)"
            f"{_channel_note(address)}; {example}"
        )
    impossible = impossible_number_reason(number)
    if impossible:
        raise TwilioInputError(f"{param}: {shown(address)} is not a possible phone number: {impossible}; {example}")
    return prefix + number


def check_shape(value: str, parameter: str) -> tuple[str, str]:
    """``(prefix, +digits)`` of an E.164 number or ``whatsapp:+E164`` address; cheap, no number plan."""
    problem = shape_problem(value)
    if problem:
        raise TwilioInputError(
            f"{parameter}: {shown(value)} is not an E.164 phone number{_channel_note(value)}; expected '+' and the "
            "country code and digits, like '+15551230001' or 'whatsapp:+15551230001'"
        )
    return split_channel(value)


def validate_number(value: str, parameter: str) -> str:
    """An E.164 number (or ``whatsapp:+E164``) that could exist, worded for a filter; the reason otherwise."""
    prefix, number = check_shape(value, parameter)
    why = impossible_number_reason(number)
    if why in ("too short", "too long"):
        raise TwilioInputError(f"{parameter}: {shown(value)} is {why} for an E.164 phone number")
    if why:
        raise TwilioInputError(f"{parameter}: {shown(value)} is not a phone number ({why})")
    return prefix + number


def _unique(items: Iterable[str]) -> list[str]:
    return list(dict.fromkeys(items))


def split_recipients(value: Any) -> list[str]:
    """Every address in ``value``, in order, stripped; JSON list strings (rendered XCom) are unpacked."""
    return flatten(value)


def parse_recipients(value: Any) -> list[str]:
    """The send and call face: checked, de-duplicated recipients in first-seen order; raises before anything is sent."""
    addresses = flatten(value)
    if not addresses:
        raise TwilioMissingInputError(f"to: no recipients in {shown(value)}; give at least one number, {EXAMPLE}")
    seen: dict[str, None] = {}
    for index, address in enumerate(addresses):
        param = "to" if len(addresses) == 1 else f"to[{index}]"
        seen.setdefault(normalize_address(address, param=param), None)
    return list(seen)


def parse_numbers(value: Any, parameter: str) -> list[str]:
    """The inbound face: numbers from one value, a list, result dicts (their ``to``), or a rendered list; unique."""
    return _unique(validate_number(item, parameter) for item in flatten(value, key="to", param=parameter))


def shaped_numbers(value: Any, parameter: str) -> list[str]:
    """Like ``parse_numbers`` but only the E.164 shape is checked: cheap enough for a constructor."""
    return _unique("".join(check_shape(item, parameter)) for item in flatten(value, key="to", param=parameter))
