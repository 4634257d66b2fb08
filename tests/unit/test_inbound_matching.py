from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest

from airflow_provider_twilio.exceptions import ErrorType, TwilioInputError
from airflow_provider_twilio.inbound.matching import InboundMessage, compile_pattern, match_result, oldest_match

T0 = datetime(2026, 11, 22, 14, 0, 0, tzinfo=timezone.utc)


def msg(sid: str, body: str, seconds: int = 0, from_: str = "+15551230001") -> InboundMessage:
    return InboundMessage(sid=sid, from_=from_, to="+15005550006", body=body, date_sent=T0 + timedelta(seconds=seconds))


def test_invalid_regex_names_parameter_and_value() -> None:
    with pytest.raises(TwilioInputError, match=r"pattern: '\(YES' is not a valid regular expression") as info:
        compile_pattern("(YES")
    assert info.value.error_type is ErrorType.INVALID_INPUT


@pytest.mark.parametrize("bad", ["", None, 5])
def test_pattern_must_be_a_non_empty_string(bad: object) -> None:
    with pytest.raises(TwilioInputError, match="pattern"):
        compile_pattern(bad)


def test_match_result_has_named_and_positional_groups() -> None:
    regex = compile_pattern(r"^(?P<answer>YES|NO) (?P<code>\d{4})( now)?$")
    result = match_result(regex, msg("SM1", "YES 4821"))
    assert result == {
        "match_groups": {"answer": "YES", "code": "4821"},
        "groups": ["YES", "4821", None],
        "message": {
            "sid": "SM1",
            "from": "+15551230001",
            "to": "+15005550006",
            "body": "YES 4821",
            "date_sent": "2026-11-22T14:00:00+00:00",
        },
    }


def test_search_not_fullmatch_and_ignore_case() -> None:
    assert match_result(compile_pattern("yes"), msg("SM1", "oh YES")) is None
    assert match_result(compile_pattern("yes", ignore_case=True), msg("SM1", "oh YES")) is not None


def test_oldest_match_wins_and_reports_earlier_misses() -> None:
    regex = compile_pattern(r"YES (\d+)")
    messages = [msg("SM3", "YES 3", 3), msg("SM1", "maybe", 1), msg("SM2", "YES 2", 2), msg("SM0", "no", 0)]
    result, missed = oldest_match(regex, messages)
    assert result is not None and result["groups"] == ["2"]
    assert [m.sid for m in missed] == ["SM0", "SM1"]


def test_oldest_match_keeps_log_order_within_a_second() -> None:
    regex = compile_pattern(r"YES (\d+)")
    result, _ = oldest_match(regex, [msg("SMb", "YES 1"), msg("SMa", "YES 2")])
    assert result is not None and result["message"]["sid"] == "SMb"


def test_from_api_accepts_json_dicts_and_sdk_objects() -> None:
    record = {
        "sid": "SM1",
        "from": "+15551230001",
        "to": "+15005550006",
        "body": "hi",
        "date_sent": "Sun, 22 Nov 2026 14:00:05 +0000",
        "direction": "inbound",
    }
    from_dict = InboundMessage.from_api(record)
    assert from_dict is not None and from_dict.date_sent == T0 + timedelta(seconds=5)

    class Sdk:
        sid, from_, to, body, direction = "SM1", "+15551230001", "+15005550006", "hi", "inbound"
        date_sent = T0

    from_sdk = InboundMessage.from_api(Sdk())
    assert from_sdk is not None and from_sdk.from_ == "+15551230001" and from_sdk.date_sent == T0
    assert InboundMessage.from_api({**record, "date_sent": None}) is None
