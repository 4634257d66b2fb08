"""Addresses Twilio accepts, checked by Twilio's rules (an independent check, not the provider's own parser).

A magic test number (``simulation.magic_numbers``) gets its documented error before any other check.
"""

from __future__ import annotations

import re
from functools import lru_cache

from airflow_provider_twilio.emulator.http.errors import ApiError, bad_request
from airflow_provider_twilio.emulator.simulation.magic_numbers import (
    CALL_FROM_ERRORS,
    CALL_TO_ERRORS,
    FROM_ERRORS,
    TO_ERRORS,
)

WHATSAPP_PREFIX = "whatsapp:"

_E164 = re.compile(r"^\+[1-9]\d{1,14}$")
_NANP = re.compile(r"^\+1\d{10}$")
_ALPHANUMERIC_SENDER = re.compile(r"^(?=.*[A-Za-z])[A-Za-z0-9 ]{1,11}$")
_SHORT_CODE = re.compile(r"^\d{3,8}$")


def split_channel(address: str) -> tuple[str, str]:
    """``("whatsapp", "+1...")`` or ``("sms", "+1...")``."""
    if address.startswith(WHATSAPP_PREFIX):
        return "whatsapp", address[len(WHATSAPP_PREFIX) :]
    return "sms", address


@lru_cache(maxsize=4096)
def is_possible_e164(number: str) -> bool:
    """``+`` and digits that phonenumbers considers a possible number (not necessarily assigned)."""
    if not _E164.match(number):
        return False
    if _NANP.match(number):
        return True  # what phonenumbers answers for +1 and ten digits, without the cost of parsing
    import phonenumbers

    try:
        parsed = phonenumbers.parse(number, None)
    except phonenumbers.NumberParseException:
        return False
    return bool(phonenumbers.is_possible_number(parsed))


def check_to(address: str) -> None:
    number = split_channel(address)[1]
    if number in TO_ERRORS:
        code, text = TO_ERRORS[number]
        raise bad_request(code, text.format(number=address))
    if not is_possible_e164(number):
        raise bad_request(21211, f"The 'To' number {address} is not a valid phone number.")


def check_from(address: str) -> None:
    channel, number = split_channel(address)
    if number in FROM_ERRORS:
        code, text = FROM_ERRORS[number]
        raise bad_request(code, text.format(number=address))
    if is_possible_e164(number):
        return
    if channel == "sms" and (_ALPHANUMERIC_SENDER.match(number) or _SHORT_CODE.match(number)):
        return
    raise bad_request(
        21212, f"The 'From' number {address} is not a valid phone number, shortcode, or alphanumeric sender ID."
    )


def check_pair(to: str, from_: str) -> None:
    """Both ends on the same channel, and not the same address."""
    if split_channel(to)[0] != split_channel(from_)[0]:
        raise bad_request(21910, "Invalid From and To pair. From and To should be of the same channel")
    if to == from_:
        raise bad_request(21266, "'To' and 'From' number cannot be the same")


def check_inbound_address(name: str, address: str) -> None:
    """Cheap check for injected messages: an E.164 number, optionally on the WhatsApp channel."""
    if not _E164.match(split_channel(address)[1]):
        raise ApiError(400, 21211, f"{name} {address!r} is not an E.164 number such as +15551230001")


def check_call_numbers(to: str, from_: str) -> None:
    """Raise Twilio's error for a magic or impossible ``To``/``From`` of a call."""
    if to in CALL_TO_ERRORS:
        code, text = CALL_TO_ERRORS[to]
        raise bad_request(code, text.format(number=to))
    if not is_possible_e164(to):
        raise bad_request(21211, f"The 'To' number {to} is not a valid phone number.")
    if from_ in CALL_FROM_ERRORS:
        code, text = CALL_FROM_ERRORS[from_]
        raise bad_request(code, text.format(number=from_))
    if not is_possible_e164(from_):
        raise bad_request(21212, f"The 'From' number {from_} is not a valid phone number or client identifier.")
