from __future__ import annotations

import json

import pytest

from airflow_provider_twilio.exceptions import ErrorType, TwilioInputError, TwilioMissingInputError
from airflow_provider_twilio.sending.recipients import normalize_address, parse_recipients, split_recipients


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("+14155550100", ["+14155550100"]),
        ("+14155550100, +14155550101;+14155550102\n+14155550103", [f"+1415555010{i}" for i in range(4)]),
        (["+14155550100", "+14155550101"], ["+14155550100", "+14155550101"]),
        (("+14155550100",), ["+14155550100"]),
        (json.dumps(["+14155550100", "+14155550101"]), ["+14155550100", "+14155550101"]),
        (str(["+14155550100", "+14155550101"]), ["+14155550100", "+14155550101"]),
        ([["+14155550100"], "+14155550101"], ["+14155550100", "+14155550101"]),
        ("  ", []),
        (None, []),
    ],
)
def test_split_recipients(value, expected):
    assert split_recipients(value) == expected


def test_parse_dedupes_in_first_seen_order():
    raw = '["+14155550101", "+14155550100", "+14155550101", "whatsapp:+14155550100", "WhatsApp:+14155550100"]'
    assert parse_recipients(raw) == ["+14155550101", "+14155550100", "whatsapp:+14155550100"]


def test_fictional_555_numbers_are_accepted():
    assert parse_recipients("+15551230001") == ["+15551230001"]


@pytest.mark.parametrize(
    ("address", "reason"),
    [
        ("4155550100", "not an E.164 number"),
        ("+1-415-555-0100", "not an E.164 number"),
        ("+1415abc0100", "not an E.164 number"),
        ("+1415", "too short"),
        ("+1415555010012345", "too long"),
        ("+99912345678", "invalid country code"),
        ("whatsapp:4155550100", "not an E.164 number"),
    ],
)
def test_bad_numbers_name_the_recipient_and_the_reason(address, reason):
    with pytest.raises(TwilioInputError) as info:
        parse_recipients(["+14155550100", address])
    message = str(info.value)
    assert "to[1]" in message
    assert repr(address) in message
    assert reason in message
    assert info.value.error_type is ErrorType.INVALID_INPUT


def test_no_recipients_is_missing_input():
    with pytest.raises(TwilioMissingInputError) as info:
        parse_recipients(" , ; ")
    assert info.value.error_type is ErrorType.MISSING_INPUT
    assert "to" in str(info.value)


def test_non_string_recipient_is_rejected():
    with pytest.raises(TwilioInputError, match="not a phone number"):
        parse_recipients([14155550100])
    with pytest.raises(TwilioInputError, match="not a phone number"):
        parse_recipients(14155550100)


def test_whatsapp_prefix_is_normalised():
    assert normalize_address(" WhatsApp:+14155550100 ") == "whatsapp:+14155550100"
