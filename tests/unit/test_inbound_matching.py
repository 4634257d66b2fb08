from __future__ import annotations

import logging
from datetime import datetime, timedelta, timezone
from typing import Any

import pytest

from airflow_provider_twilio.exceptions import ErrorType, TwilioInputError
from airflow_provider_twilio.inbound import matching
from airflow_provider_twilio.inbound.matching import (
    InboundMessage,
    compile_pattern,
    match_result,
    oldest_match,
    search_bounded,
)

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


# Catastrophic backtracking, for ``re`` and for the ``regex`` engine alike: the time grows ~1.6x per "a".
CATASTROPHIC = r"^(a|aa)+$"
HOSTILE = "a" * 40 + "!"


def test_catastrophic_pattern_on_hostile_body_counts_as_no_match(caplog: pytest.LogCaptureFixture) -> None:
    regex = compile_pattern(CATASTROPHIC)
    with caplog.at_level(logging.WARNING, logger=matching.__name__):
        assert match_result(regex, msg("SMhostile", HOSTILE)) is None
    (record,) = caplog.records
    assert "message SMhostile (41 characters)" in record.getMessage()
    assert "ran out of time" in record.getMessage() and CATASTROPHIC in record.getMessage()


def test_a_timed_out_body_is_logged_once_and_not_tried_again(caplog: pytest.LogCaptureFixture) -> None:
    regex = compile_pattern(CATASTROPHIC, ignore_case=True)
    body = "a" * 39 + "?"
    with caplog.at_level(logging.WARNING, logger=matching.__name__):
        for _ in range(3):
            assert search_bounded(regex, body) is None
    assert len(caplog.records) == 1
    assert matching._TimedOut.key(regex, body) in matching._timed_out
    # The same pattern without ignore_case is a different question.
    assert matching._TimedOut.key(compile_pattern(CATASTROPHIC), body) not in matching._timed_out


def test_oldest_match_goes_past_a_hostile_message() -> None:
    regex = compile_pattern(r"^(a|aa)+$|^(?P<answer>YES)$")
    result, missed = oldest_match(regex, [msg("SM1", HOSTILE, 1), msg("SM2", "YES", 2)])
    assert result is not None and result["match_groups"] == {"answer": "YES"}
    assert [m.sid for m in missed] == ["SM1"]


def test_timed_out_memory_is_bounded() -> None:
    memo = matching._TimedOut(capacity=3)
    regex = compile_pattern("x")
    keys = [memo.key(regex, str(i)) for i in range(5)]
    assert [memo.add(k) for k in keys] == [True] * 5
    assert memo.add(keys[4]) is False
    assert [k in memo for k in keys] == [False, False, True, True, True]


def test_patterns_mean_what_they_mean_with_re() -> None:
    """The engine runs in its re-compatible mode: ``[[a]b]`` is ``[[a]`` then ``b]``, not a nested set."""
    nested = compile_pattern(r"^[[a]b]$")
    assert search_bounded(nested, "ab]") is not None
    assert search_bounded(nested, "[b]") is not None
    assert search_bounded(nested, "a") is None
    assert search_bounded(compile_pattern(r"(?P<code>\d{4})"), "code 4821").groupdict() == {"code": "4821"}


def test_bodies_are_hashed_only_once_something_has_timed_out(monkeypatch: pytest.MonkeyPatch) -> None:
    """The timed-out memory is looked up by a hash of the body, which costs a third of a short search."""
    monkeypatch.setattr(matching, "_timed_out", matching._TimedOut(capacity=10))
    hashed: list[str] = []
    real_key = matching._TimedOut.key

    def counting_key(compiled: Any, text: str) -> Any:
        hashed.append(text)
        return real_key(compiled, text)

    monkeypatch.setattr(matching._TimedOut, "key", staticmethod(counting_key))
    plain = compile_pattern(r"^YES (\d{4})$")
    for i in range(5):
        assert search_bounded(plain, f"YES {i:04d}") is not None
    assert hashed == []
    assert search_bounded(compile_pattern(CATASTROPHIC), HOSTILE) is None
    assert hashed == [HOSTILE]
    assert search_bounded(plain, "YES 0001") is not None
    assert search_bounded(compile_pattern(CATASTROPHIC), HOSTILE) is None  # known: not tried again
    assert hashed == [HOSTILE, "YES 0001", HOSTILE]
