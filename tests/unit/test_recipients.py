from __future__ import annotations

import json

import pytest

from airflow_provider_twilio.addresses import (
    MAX_NESTING,
    normalize_address,
    parse_recipients,
    split_recipients,
)
from airflow_provider_twilio.exceptions import ErrorType, TwilioInputError, TwilioMissingInputError


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
        ([[["+14155550100"]], ['["+14155550101"]']], ["+14155550100", "+14155550101"]),
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
        ("+\u0661\u0664\u0661\u0665\u0665\u0665\u0665\u0660\u0661\u0660\u0660", "not an E.164 number"),
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


def test_a_number_for_to_explains_native_rendering():
    with pytest.raises(TwilioInputError) as info:
        parse_recipients(15551230097)
    assert "render_template_as_native_obj=True, Jinja turns '+15551230097' into the number 15551230097" in str(
        info.value
    )
    assert parse_recipients(json.dumps(["+15551230097"])) == ["+15551230097"]


def test_whatsapp_prefix_is_normalised():
    assert normalize_address(" WhatsApp:+14155550100 ") == "whatsapp:+14155550100"


def nested(depth: int, inner: object) -> object:
    value = inner
    for _ in range(depth):
        value = [value]
    return value


def test_nesting_up_to_the_limit_is_flattened():
    assert parse_recipients(nested(MAX_NESTING, "+14155550100")) == ["+14155550100"]
    assert parse_recipients(json.dumps(nested(MAX_NESTING - 1, "+14155550100"))) == ["+14155550100"]


@pytest.mark.parametrize(
    "value",
    [
        nested(MAX_NESTING + 1, "+14155550100"),
        nested(100_000, "+14155550100"),
        "[" * 100_000 + "]" * 100_000,
        ["[" * 50_000 + '"+14155550100"' + "]" * 50_000],
    ],
    ids=["one-too-deep", "deep-list", "deep-json-text", "deep-json-in-a-list"],
)
def test_deeply_nested_recipients_are_refused_by_name(value):
    with pytest.raises(TwilioInputError, match=rf"^to: lists nested more than {MAX_NESTING} deep; pass a flat list"):
        parse_recipients(value)


def test_huge_or_nested_bad_values_are_shown_briefly():
    with pytest.raises(TwilioInputError) as info:
        parse_recipients([{"n": nested(100_000, 1)}])
    assert len(str(info.value)) < 300
    with pytest.raises(TwilioInputError) as info:
        parse_recipients("+1" + "2" * 100_000)
    assert len(str(info.value)) < 300
