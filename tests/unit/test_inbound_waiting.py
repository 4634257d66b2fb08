from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest

from airflow_provider_twilio.exceptions import ErrorType, TwilioInputError, TwilioMissingInputError
from airflow_provider_twilio.inbound.matching import InboundMessage
from airflow_provider_twilio.inbound.waiting import build_wait

T0 = datetime(2026, 11, 22, 14, 0, 0, tzinfo=timezone.utc)
US, ANN, BOB = "+15005550006", "+15551230001", "+15551230002"
PATTERN = r"^(?P<answer>YES|NO) (?P<code>\d{4})$"


def msg(sid: str, body: str, seconds: float, from_: str = ANN, to: str = US) -> InboundMessage:
    return InboundMessage(sid=sid, from_=from_, to=to, body=body, date_sent=T0 + timedelta(seconds=seconds))


def test_build_wait_checks_everything_up_front() -> None:
    wait = build_wait(pattern=PATTERN, to=US, from_=[ANN, BOB], since="2026-11-22T14:00:00Z", echo="OK ${code}")
    assert wait.senders == (ANN, BOB) and wait.single_sender is None and wait.since == T0
    assert build_wait(pattern=PATTERN, to=US, from_=ANN, since=T0).single_sender == ANN
    with pytest.raises(TwilioMissingInputError, match="to: expected the one number"):
        build_wait(pattern=PATTERN, to=None, since=T0)
    with pytest.raises(TwilioInputError, match="echo: unknown placeholder"):
        build_wait(pattern=PATTERN, to=US, since=T0, echo="OK ${nope}")
    with pytest.raises(TwilioInputError, match="echo_error: needs from_"):
        build_wait(pattern=PATTERN, to=US, since=T0, echo_error="Sorry")
    with pytest.raises(TwilioInputError, match="since"):
        build_wait(pattern=PATTERN, to=US, since="soon")
    with pytest.raises(TwilioInputError, match="to: '12'"):
        build_wait(pattern=PATTERN, to="12", since=T0)
    with pytest.raises(TwilioInputError) as info:
        build_wait(pattern="(", to=US, since=T0)
    assert info.value.error_type is ErrorType.INVALID_INPUT


def test_evaluate_filters_window_sender_and_number() -> None:
    wait = build_wait(pattern=PATTERN, to=US, from_=ANN, since=T0, echo_error="Sorry, '${body}'?")
    messages = [
        msg("SMbefore", "YES 1111", -1),
        msg("SMother", "YES 2222", 1, from_=BOB),
        msg("SMbad", "yes please", 2),
        msg("SMgood", "YES 4821", 3),
    ]
    result, owed = wait.evaluate(messages)
    assert result is not None and result["match_groups"] == {"answer": "YES", "code": "4821"}
    assert owed == []  # a valid answer followed in the same batch
    result, owed = wait.evaluate(messages[:3])
    assert result is None and [(r.to, r.body) for r in owed] == [(ANN, "Sorry, 'yes please'?")]


def test_echo_reply_fills_groups() -> None:
    wait = build_wait(pattern=PATTERN, to=US, since=T0, echo="Confirmed ${answer} for ${code} (${2})")
    result, _ = wait.evaluate([msg("SM1", "NO 1234", 1)])
    assert result is not None
    reply = wait.echo_reply(result)
    assert reply is not None and (reply.to, reply.from_, reply.body) == (ANN, US, "Confirmed NO for 1234 (1234)")


def test_replies_quoting_long_messages_are_cut_to_twilio_limit() -> None:
    wait = build_wait(pattern=PATTERN, to=US, from_=ANN, since=T0, echo_error="You said: ${body}")
    _, owed = wait.evaluate([msg("SM1", "x" * 1600, 1)])
    assert len(owed[0].body) == 1600 and owed[0].body.endswith("\u2026")
