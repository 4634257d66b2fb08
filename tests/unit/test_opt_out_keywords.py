"""Twilio's keywords (STOP, START, HELP, ...) are never a reply, unless the DAG author names the word."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest

from airflow_provider_twilio.inbound.keywords import KEYWORDS, Keyword, keyword_of, options_name, pattern_names
from airflow_provider_twilio.inbound.matching import InboundMessage, compile_pattern, match_result, oldest_match
from airflow_provider_twilio.inbound.waiting import build_wait

T0 = datetime(2026, 11, 22, 14, 0, 0, tzinfo=timezone.utc)
US, ANN = "+15005550006", "+15551230001"


def msg(sid: str, body: str, seconds: int = 0) -> InboundMessage:
    return InboundMessage(sid=sid, from_=ANN, to=US, body=body, date_sent=T0 + timedelta(seconds=seconds))


def test_twilios_default_keywords_by_what_they_do() -> None:
    by_kind = {kind: sorted(word for word, k in KEYWORDS.items() if k is kind) for kind in Keyword}
    assert by_kind == {
        Keyword.OPT_OUT: ["CANCEL", "END", "QUIT", "STOP", "STOPALL", "UNSUBSCRIBE"],
        Keyword.OPT_IN: ["START", "UNSTOP", "YES"],
        Keyword.HELP: ["HELP", "INFO"],
    }


@pytest.mark.parametrize(
    ("body", "keyword"),
    [
        ("STOP", "STOP"),
        ("stop", "STOP"),
        ("  Stop.  ", "STOP"),
        ("STOP!", "STOP"),
        ("\nunsubscribe\n", "UNSUBSCRIBE"),
        ("Yes", "YES"),
        ('"help"?', "HELP"),
        ("info", "INFO"),
        ("STOP PLEASE", None),
        ("please stop", None),
        ("STOPPED", None),
        ("yes 4821", None),
        ("", None),
        ("!!!", None),
        ("\u017ftop", None),
        (" " * 5000 + "STOP", None),
    ],
)
def test_a_keyword_is_the_whole_body_any_case_surrounding_punctuation_ignored(body: str, keyword: str | None) -> None:
    assert keyword_of(body) == keyword


@pytest.mark.parametrize(
    ("pattern", "named"),
    [
        (r"^(YES|NO)$", True),
        (r"(?i)^\s*stop\s*$", True),
        (r"\bSTOP\b", True),
        (r"\sstop", True),
        (r".*", False),
        (r"^\w+$", False),
        (r"[Ss]top", False),
        (r"STOPPED", False),
        (r"^(?P<answer>YES|NO) (?P<code>\d{4})$", True),
    ],
)
def test_a_pattern_opts_in_only_by_spelling_the_keyword_out(pattern: str, named: bool) -> None:
    keyword = "YES" if "YES" in pattern else "STOP"
    assert pattern_names(pattern, keyword) is named


@pytest.mark.parametrize("body", ["STOP", "stop", "Start", "HELP", "unstop.", "CANCEL", "end", "quit", "INFO"])
def test_a_keyword_never_matches_catch_all_patterns(body: str) -> None:
    for pattern in (".*", r"^\w+$", "", "."):
        if pattern:
            assert match_result(compile_pattern(pattern), msg("SM1", body)) is None
    assert match_result(compile_pattern(".*"), msg("SM1", "stop the deploy")) is not None


def test_a_pattern_that_names_the_keyword_matches_it() -> None:
    result = match_result(compile_pattern(r"^(?P<answer>YES|NO)$", ignore_case=True), msg("SM1", "yes"))
    assert result is not None and result["match_groups"] == {"answer": "yes"}
    assert match_result(compile_pattern(r"^(?P<answer>YES|NO)$", ignore_case=True), msg("SM2", "stop")) is None


def test_ignored_keywords_are_neither_matched_nor_told_they_were_not_understood() -> None:
    regex = compile_pattern(r".+ (?P<code>\d{4})$")
    result, missed = oldest_match(regex, [msg("SM1", "STOP", 1), msg("SM2", "maybe", 2), msg("SM3", "HELP", 3)])
    assert result is None and [m.sid for m in missed] == ["SM2"]


def test_a_waiting_sensor_sends_no_error_reply_to_a_keyword() -> None:
    wait = build_wait(pattern=".+ \\d{4}", to=US, from_=ANN, since=T0, echo_error="Not understood: ${body}")
    result, owed = wait.evaluate([msg("SM1", "STOP", 1), msg("SM2", "huh", 2)])
    assert result is None and [(reply.message.sid, reply.body) for reply in owed] == [("SM2", "Not understood: huh")]


def test_an_event_trigger_without_a_pattern_never_fires_on_a_keyword() -> None:
    from airflow_provider_twilio.triggers.events import match_message

    assert match_message(None, None, msg("SM1", "STOP")) is None
    assert match_message(None, None, msg("SM2", " start ")) is None
    assert match_message(None, None, msg("SM3", "hello")) == {"match_groups": {}, "groups": []}


def test_an_option_that_is_the_keyword_itself_opts_in() -> None:
    assert options_name(["Yes", "No"], "YES") is True
    assert options_name(["Approve", "Reject"], "YES") is False
    assert options_name(["Stop the rollout"], "STOP") is False
