"""One set of address rules: every row is checked through the sending face and the inbound face alike."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from airflow_provider_twilio.addresses import (
    check_shape,
    is_alphanumeric_sender,
    is_short_code,
    is_whatsapp,
    parse_numbers,
    parse_recipients,
)
from airflow_provider_twilio.exceptions import ErrorType, TwilioInputError

ACCEPTED = [
    ("+14155550100", ["+14155550100"]),
    ("+15551230001", ["+15551230001"]),  # fictional 555 numbers are possible numbers
    ("+442071838750", ["+442071838750"]),
    ("+14155550", ["+14155550"]),  # possible for local dialling only: Twilio decides, not the provider
    ("whatsapp:+14155550100", ["whatsapp:+14155550100"]),
    ("WhatsApp:+14155550100", ["whatsapp:+14155550100"]),
    ("WHATSAPP:+14155550100", ["whatsapp:+14155550100"]),
    ("  +14155550100  ", ["+14155550100"]),
    ("+14155550100,+14155550101", ["+14155550100", "+14155550101"]),
    ("+14155550100; +14155550101", ["+14155550100", "+14155550101"]),
    ("+14155550100 +14155550101", ["+14155550100", "+14155550101"]),  # spaces separate list items
    ("+14155550100\n+14155550100", ["+14155550100"]),
    (["+14155550100", "whatsapp:+14155550100"], ["+14155550100", "whatsapp:+14155550100"]),
    ('["+14155550100", "+14155550101"]', ["+14155550100", "+14155550101"]),
]

REFUSED = [
    ("4155550100", "not an E.164"),  # no '+'
    ("14155550100", "not an E.164"),
    ("12345", "not an E.164"),  # a short code sends, it is never an address
    ("MyBrand", "not an E.164"),  # an alphanumeric sender, likewise
    ("+1-415-555-0100", "not an E.164"),  # dashes are refused, not stripped
    ("+1 415 555 0100", "did not seem to be a phone number"),  # spaces split it: '+1' comes first
    ("+1415abc0100", "not an E.164"),
    ("+\u0661\u0664\u0661\u0665\u0665\u0665\u0665\u0660\u0661\u0660\u0660", "not an E.164"),  # non-ASCII digits
    ("whatsapp:4155550100", "not an E.164"),
    ("whatsapp:", "not an E.164"),
    ("messenger:1234567890", "messenger: addresses are not supported"),
    ("Messenger:+14155550100", "messenger: addresses are not supported"),
    ("rcs:+14155550100", "rcs: addresses are not supported"),
    ("+1415", "too short"),
    ("+1", "did not seem to be a phone number"),
    ("+1415555010012345", "too long"),
    ("+1" + "2" * 40, "too long"),
    ("+99912345678", "invalid country code"),
]


def sending(value: Any) -> list[str]:
    return parse_recipients(value)


def inbound(value: Any) -> list[str]:
    return parse_numbers(value, "to")


FACES: list[Callable[[Any], list[str]]] = [sending, inbound]


@pytest.mark.parametrize("face", FACES, ids=lambda face: face.__name__)
@pytest.mark.parametrize(("value", "expected"), ACCEPTED)
def test_accepted_alike(face: Callable[[Any], list[str]], value: Any, expected: list[str]) -> None:
    assert face(value) == expected


@pytest.mark.parametrize("face", FACES, ids=lambda face: face.__name__)
@pytest.mark.parametrize(("value", "reason"), REFUSED)
def test_refused_alike_for_the_same_reason(face: Callable[[Any], list[str]], value: str, reason: str) -> None:
    with pytest.raises(TwilioInputError) as info:
        face(value)
    message = str(info.value)
    assert message.startswith("to")
    assert reason in message
    assert len(message) < 400
    assert info.value.error_type is ErrorType.INVALID_INPUT


@pytest.mark.parametrize(
    ("value", "shaped"),
    [
        ("+14155550100", True),
        ("WhatsApp:+14155550100", True),
        ("+1415", True),  # the shape only; the number plan is the full check's job
        ("+1-415-555-0100", False),
        ("messenger:1234567890", False),
        ("12345", False),
    ],
)
def test_cheap_shape_check_agrees_on_shape(value: str, shaped: bool) -> None:
    if shaped:
        assert "".join(check_shape(value, "to")).lower() == value.lower()
    else:
        with pytest.raises(TwilioInputError, match=r"not an E\.164"):
            check_shape(value, "to")


@pytest.mark.parametrize(
    ("sender", "short_code", "alphanumeric"),
    [
        ("12345", True, False),
        ("123456", True, False),
        ("1234", False, False),
        ("1234567", False, False),
        ("MyBrand", False, True),
        ("My Brand 1", False, True),
        ("TwelveLetter", False, False),
        ("+14155550100", False, False),
    ],
)
def test_short_codes_and_alphanumeric_senders(sender: str, short_code: bool, alphanumeric: bool) -> None:
    assert is_short_code(sender) is short_code
    assert is_alphanumeric_sender(sender) is alphanumeric


@pytest.mark.parametrize(
    ("address", "whatsapp"),
    [("whatsapp:+1", True), ("WhatsApp:+1", True), (" WHATSAPP:+1", True), ("+1", False), ("whatsapp+1", False)],
)
def test_whatsapp_in_any_case(address: str, whatsapp: bool) -> None:
    assert is_whatsapp(address) is whatsapp
