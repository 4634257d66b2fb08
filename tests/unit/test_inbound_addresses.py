from __future__ import annotations

import json
import re
from datetime import datetime, timedelta, timezone

import pytest

from airflow_provider_twilio.addresses import parse_numbers
from airflow_provider_twilio.exceptions import TwilioInputError, TwilioMissingInputError
from airflow_provider_twilio.sids import parse_message_sids
from airflow_provider_twilio.timing import parse_api_date, parse_since, second_floor

SID_A = "SM" + "a" * 32
SID_B = "SM" + "b" * 32
RESULTS = [
    {"to": "+15551230001", "sid": SID_A, "status": "queued"},
    {"to": "+15551230002", "sid": SID_B, "status": "queued"},
]


@pytest.mark.parametrize(
    "value",
    [
        "+15551230001",
        ["+15551230001"],
        "+15551230001, +15551230001",
        "whatsapp:+15551230001",
    ],
)
def test_numbers_single_forms(value: object) -> None:
    expected = ["whatsapp:+15551230001"] if "whatsapp" in str(value) else ["+15551230001"]
    assert parse_numbers(value, "from_") == expected


@pytest.mark.parametrize("value", [RESULTS, json.dumps(RESULTS), str(RESULTS), "+15551230001;+15551230002"])
def test_numbers_from_send_results_in_any_rendering(value: object) -> None:
    assert parse_numbers(value, "from_") == ["+15551230001", "+15551230002"]


@pytest.mark.parametrize(
    ("value", "reason"),
    [("5551230001", "not an E.164"), ("+1555", "too short"), ("+999123456789", "invalid country code")],
)
def test_bad_numbers_name_parameter_value_and_reason(value: str, reason: str) -> None:
    with pytest.raises(TwilioInputError, match=re.escape(f"from_: '{value}'")) as info:
        parse_numbers(value, "from_")
    assert reason in str(info.value)


@pytest.mark.parametrize("value", [SID_A, [SID_A, SID_B], RESULTS, str(RESULTS), json.dumps(RESULTS)])
def test_message_sids_forms(value: object) -> None:
    expected = [SID_A] if value == SID_A else [SID_A, SID_B]
    assert parse_message_sids(value) == expected


def test_message_sids_errors() -> None:
    with pytest.raises(TwilioMissingInputError, match="message_sids"):
        parse_message_sids([])
    with pytest.raises(TwilioInputError, match="'SMnope' is not a message SID"):
        parse_message_sids("SMnope")


def test_since_forms() -> None:
    utc = datetime(2026, 11, 22, 14, 0, 1, 500000, tzinfo=timezone.utc)
    assert parse_since(utc) == utc
    assert parse_since(utc.replace(tzinfo=None)) == utc
    assert parse_since("2026-11-22T14:00:01.5Z") == utc
    assert parse_since("2026-11-22T15:00:01.500000+01:00") == utc
    assert second_floor(utc) == utc.replace(microsecond=0)
    with pytest.raises(TwilioInputError, match=r"since: 'yesterday' is not a datetime or an ISO-8601"):
        parse_since("yesterday")
    with pytest.raises(TwilioInputError, match="since"):
        parse_since(12)


def test_api_dates() -> None:
    assert parse_api_date("Sun, 22 Nov 2026 14:00:05 +0000") == datetime(2026, 11, 22, 14, 0, 5, tzinfo=timezone.utc)
    assert parse_api_date(None) is None
    moment = datetime(2026, 11, 22, 15, 0, tzinfo=timezone(timedelta(hours=1)))
    assert parse_api_date(moment) == datetime(2026, 11, 22, 14, 0, tzinfo=timezone.utc)
