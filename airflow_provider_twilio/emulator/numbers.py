"""Addresses the emulator accepts, and Twilio's magic test numbers.

Magic numbers follow twilio.com/docs/iam/test-credentials; the post-acceptance failures
(``+1500555001x``) are this emulator's own and are documented in docs/emulator.md.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache

from airflow_provider_twilio.emulator.errors import ApiError, bad_request

DEFAULT_FROM = "+15005550006"
"""The valid magic sender; also the pool number of every Messaging Service."""

WHATSAPP_PREFIX = "whatsapp:"

FROM_ERRORS: dict[str, tuple[int, str]] = {
    "+15005550001": (
        21212,
        "The 'From' number {number} is not a valid phone number, shortcode, or alphanumeric sender ID.",
    ),
    "+15005550007": (
        21606,
        "The From phone number {number} is not a valid, SMS-capable inbound phone number or short code "
        "for your account.",
    ),
    "+15005550008": (21611, "This 'From' number {number} has exceeded the maximum number of queued messages."),
}

TO_ERRORS: dict[str, tuple[int, str]] = {
    "+15005550001": (21211, "The 'To' number {number} is not a valid phone number."),
    "+15005550002": (
        21612,
        "The 'To' phone number: {number}, is not currently reachable using the 'From' phone number.",
    ),
    "+15005550003": (
        21408,
        "Permission to send an SMS has not been enabled for the region indicated by the 'To' number: {number}.",
    ),
    "+15005550004": (21610, "Attempt to send to unsubscribed recipient {number}."),
    "+15005550009": (21614, "'To' number {number} is not a valid mobile number."),
}


@dataclass(frozen=True)
class DeliveryFailure:
    """How an accepted message to a magic number ends."""

    status: str
    code: int
    message: str
    reaches_sent: bool


DELIVERY_FAILURES: dict[str, DeliveryFailure] = {
    "+15005550010": DeliveryFailure("undelivered", 30003, "Unreachable destination handset", True),
    "+15005550011": DeliveryFailure("undelivered", 30006, "Landline or unreachable carrier", True),
    "+15005550012": DeliveryFailure("failed", 30007, "Message filtered", False),
}

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
