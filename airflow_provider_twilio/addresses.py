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

import ast
import json
import re
from collections.abc import Iterable
from typing import Any

from airflow_provider_twilio.checks import shown
from airflow_provider_twilio.exceptions import TwilioInputError, TwilioMissingInputError

WHATSAPP_PREFIX = "whatsapp:"
# Lists of lists are common (mapped tasks' XCom); anything deeper than this is a mistake, refused by name.
MAX_NESTING = 8
EXAMPLE = "e.g. '+14155550123' or 'whatsapp:+14155550123'"
_SEPARATORS = re.compile(r"[,;\s]+")
# ASCII digits only: \d would also take other scripts' digits, which Twilio does not.
_E164_SHAPE = re.compile(r"^\+[0-9]+$")
# Another channel's address (messenger:..., rcs:...): named in the error, since Twilio's API takes them.
_CHANNEL_PREFIX = re.compile(r"^([A-Za-z][A-Za-z0-9-]{0,19}):")
_SHORT_CODE = re.compile(r"^[0-9]{5,6}$")
_ALPHANUMERIC_SENDER = re.compile(r"^(?=.*[A-Za-z])[A-Za-z0-9 ]{1,11}$")


class AddressError(TwilioInputError):
    """An address the rules refuse; ``reason`` is the rule's short answer, ``shape`` whether it is not E.164."""

    def __init__(self, message: str, *, reason: str, shape: bool) -> None:
        super().__init__(message)
        self.reason = reason
        self.shape = shape


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
        raise AddressError(
            f"{param}: {shown(address)} is {problem} ('+', country code, then digits only)"
            f"{_channel_note(address)}; {example}",
            reason=problem,
            shape=True,
        )
    impossible = impossible_number_reason(number)
    if impossible:
        raise AddressError(
            f"{param}: {shown(address)} is not a possible phone number: {impossible}; {example}",
            reason=impossible,
            shape=False,
        )
    return prefix + number


def check_shape(value: str, parameter: str) -> tuple[str, str]:
    """``(prefix, +digits)`` of an E.164 number or ``whatsapp:+E164`` address; cheap, no number plan."""
    problem = shape_problem(value)
    if problem:
        raise AddressError(
            f"{parameter}: {shown(value)} is not an E.164 phone number{_channel_note(value)}; expected '+' and the "
            "country code and digits, like '+15551230001' or 'whatsapp:+15551230001'",
            reason=problem,
            shape=True,
        )
    return split_channel(value)


def validate_number(value: str, parameter: str) -> str:
    """An E.164 number (or ``whatsapp:+E164``) that could exist, worded for a filter; the reason otherwise."""
    prefix, number = check_shape(value, parameter)
    why = impossible_number_reason(number)
    if why in ("too short", "too long"):
        raise AddressError(f"{parameter}: {shown(value)} is {why} for an E.164 phone number", reason=why, shape=False)
    if why:
        raise AddressError(f"{parameter}: {shown(value)} is not a phone number ({why})", reason=why, shape=False)
    return prefix + number


def flatten(value: Any, *, key: str | None = None, param: str = "to", what: str = f"numbers, {EXAMPLE}") -> list[str]:
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
                    f"to: {shown(item)} ({type(item).__name__}) is not a phone number; pass strings, {EXAMPLE}"
                    + _native_hint(item)
                )
            _collect(item, found, depth + 1, key, too_deep)
        return
    raise TwilioInputError(
        f"to: {shown(value)} ({type(value).__name__}) is not a phone number or a list of them; {EXAMPLE}"
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
