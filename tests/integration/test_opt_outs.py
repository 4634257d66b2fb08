"""Opt-outs end to end: the emulator's STOP/START/HELP handling, and a batch where some recipients said STOP.

Everything goes through the real SDK over HTTP: a phone texts STOP to the account's number (the
emulator's simulated inbound text), after which Twilio refuses to text it from that number (21610).
"""

from __future__ import annotations

import logging
from collections import Counter
from typing import Any

import pytest

from airflow_provider_twilio._compat import AirflowFailException
from airflow_provider_twilio.exceptions import ErrorType, TwilioSendError
from airflow_provider_twilio.notifications.sms import TwilioSmsNotifier
from tests.support.emulator import DEFAULT_FROM, rest_error, sdk_client, wait_for
from tests.support.task_context import context, operator

PHONE = "+15551230001"
OTHER_NUMBER = "+15005550010"


def automatic_answers(emu: Any, phone: str) -> list[str]:
    return [m["body"] for m in reversed(emu.messages()) if m["to"] == phone and m["direction"] == "outbound-reply"]


def creates(emu: Any) -> dict[int, int]:
    """Create requests by HTTP status: one per recipient means nobody was tried twice."""
    return dict(Counter(e["status"] for e in emu.request_log() if e["method"] == "POST"))


def test_stop_blocks_the_phone_from_that_number_until_start(twilio_emulator: Any) -> None:
    emu, client = twilio_emulator, sdk_client(twilio_emulator)
    emu.inject_inbound(from_=PHONE, to=DEFAULT_FROM, body=" Stop. ")

    error = rest_error(lambda: client.messages.create(to=PHONE, from_=DEFAULT_FROM, body="x"))
    assert (error.status, error.code) == (400, 21610)
    # The block is per sender: another of the account's numbers may still text the phone.
    assert client.messages.create(to=PHONE, from_=OTHER_NUMBER, body="x").sid.startswith("SM")

    emu.inject_inbound(from_=PHONE, to=DEFAULT_FROM, body="START")
    assert client.messages.create(to=PHONE, from_=DEFAULT_FROM, body="x").sid.startswith("SM")
    answers = automatic_answers(emu, PHONE)
    assert len(answers) == 2 and "unsubscribed" in answers[0] and "re-subscribed" in answers[1]


def test_help_is_answered_unless_the_phone_opted_out_and_a_sentence_is_no_keyword(twilio_emulator: Any) -> None:
    emu, client = twilio_emulator, sdk_client(twilio_emulator)
    emu.inject_inbound(from_=PHONE, to=DEFAULT_FROM, body="help")
    (answer,) = [m for m in emu.messages() if m["direction"] == "outbound-reply"]
    assert (answer["from"], answer["to"]) == (DEFAULT_FROM, PHONE) and "Reply STOP to unsubscribe" in answer["body"]

    emu.inject_inbound(from_=PHONE, to=DEFAULT_FROM, body="please stop texting me")
    emu.inject_inbound(from_=PHONE, to=DEFAULT_FROM, body="YES")  # not opted out: nothing to confirm
    assert client.messages.create(to=PHONE, from_=DEFAULT_FROM, body="x").sid.startswith("SM")
    assert len(automatic_answers(emu, PHONE)) == 1

    emu.inject_inbound(from_=PHONE, to=DEFAULT_FROM, body="QUIT")
    emu.inject_inbound(from_=PHONE, to=DEFAULT_FROM, body="INFO")  # opted out: no answer
    assert len(automatic_answers(emu, PHONE)) == 2
    emu.reset()
    assert client.messages.create(to=PHONE, from_=DEFAULT_FROM, body="x").sid.startswith("SM")


def test_a_keyword_sent_by_a_simulated_reply_counts_too(twilio_emulator: Any) -> None:
    emu, client = twilio_emulator, sdk_client(twilio_emulator)
    emu.configure(status_delay=0)
    emu.add_auto_reply(PHONE, "STOP", delay=0)
    client.messages.create(to=PHONE, from_=DEFAULT_FROM, body="Your appointment is tomorrow")
    assert wait_for(lambda: automatic_answers(emu, PHONE))
    assert rest_error(lambda: client.messages.create(to=PHONE, from_=DEFAULT_FROM, body="x")).code == 21610


RECIPIENTS = [f"+1555123{i:04d}" for i in range(1000)]
OPTED_OUT = RECIPIENTS[::20]  # 50 of 1,000: 5%


def opt_out(emu: Any) -> None:
    for phone in OPTED_OUT:
        emu.inject_inbound(from_=phone, to=DEFAULT_FROM, body="STOP")
    emu.clear_request_log()


def test_a_batch_reports_opted_out_recipients_never_retries_them_and_succeeds(
    twilio_emulator: Any, caplog: pytest.LogCaptureFixture, capsys: pytest.CaptureFixture[str]
) -> None:
    emu = twilio_emulator
    opt_out(emu)
    ctx = context()
    with caplog.at_level(logging.INFO):
        results = operator(to=RECIPIENTS, max_concurrency=20).execute(ctx)

    by_to = {result["to"]: result for result in results}
    stopped = [phone for phone, result in by_to.items() if result["status"] == "opted_out"]
    assert stopped == OPTED_OUT
    for phone in OPTED_OUT:
        result = by_to[phone]
        assert result["sid"] is None
        assert (result["error_code"], result["error_type"]) == (21610, ErrorType.RECIPIENT_OPTED_OUT_ERROR.value)
    assert all(r["sid"] for to, r in by_to.items() if to not in OPTED_OUT)
    assert creates(emu) == {201: 950, 400: 50}
    texted = {m["to"] for m in emu.messages() if m["direction"] == "outbound-api"}
    assert texted == set(RECIPIENTS) - set(OPTED_OUT)
    logged = caplog.text + capsys.readouterr().out  # the task logger: stdlib on Airflow 2, structlog on 3
    assert "Outcome for 1000 recipient(s): 950 sent, 50 opted out" in logged
    assert "50 of 1000 recipient(s) opted out (replied STOP)" in logged


def test_fail_on_opt_out_fails_the_task_after_sending_to_everyone_else(twilio_emulator: Any) -> None:
    emu = twilio_emulator
    opt_out(emu)
    ctx = context()
    with pytest.raises(TwilioSendError) as info:
        operator(to=RECIPIENTS, fail_on_opt_out=True, max_concurrency=20).execute(ctx)

    error = info.value
    assert error.error_type is ErrorType.RECIPIENT_OPTED_OUT_ERROR and error.code == 21610
    assert isinstance(error, AirflowFailException)  # Airflow fails the task without retrying it
    assert "50 of 1000" in str(error) and all(phone in str(error) for phone in OPTED_OUT[:20])
    assert "and 30 more (see the task's XCom return_value)" in str(error)
    assert ctx["ti"].xcom["return_value"] == error.results
    assert sum(1 for m in emu.messages() if m["direction"] == "outbound-api") == 950
    assert creates(emu) == {201: 950, 400: 50}


def test_the_notifier_raises_for_an_opted_out_phone_unless_told_not_to(twilio_emulator: Any) -> None:
    emu = twilio_emulator
    emu.inject_inbound(from_=PHONE, to=DEFAULT_FROM, body="UNSUBSCRIBE")
    with pytest.raises(TwilioSendError) as info:
        TwilioSmsNotifier(to=[PHONE, "+15551239999"], body="x").notify({})
    assert info.value.error_type is ErrorType.RECIPIENT_OPTED_OUT_ERROR

    outcome = TwilioSmsNotifier(to=[PHONE, "+15551239999"], body="y", fail_on_opt_out=False).send()
    assert [result["status"] for result in outcome.results] == ["opted_out", "queued"]


def test_a_text_back_to_an_opted_out_phone_is_reported_as_not_sent(twilio_emulator: Any) -> None:
    from airflow_provider_twilio.answers.replying import send_reply

    twilio_emulator.inject_inbound(from_=PHONE, to=DEFAULT_FROM, body="STOP")
    assert send_reply("twilio_default", to=PHONE, from_=DEFAULT_FROM, body="Recorded") is None
    assert str(send_reply("twilio_default", to="+15551239999", from_=DEFAULT_FROM, body="Recorded")).startswith("SM")
