"""Sending, ambiguity handling, reconciliation, de-duplication and status tracking through a Messaging
Service, against the emulator answering as Twilio does: ``from`` null, ``accepted`` (or ``scheduled``)
and ``num_segments`` "0" at create, the sender picked as the message moves on."""

from __future__ import annotations

import asyncio
from datetime import datetime, timedelta, timezone
from typing import Any

import pytest

from airflow_provider_twilio.sensors.sms import TwilioMessageStatusSensor
from airflow_provider_twilio.triggers.sms import TwilioMessageStatusTrigger
from tests.support.emulator import DEFAULT_FROM, SERVICE_SID, wait_for
from tests.support.task_context import context, operator, outbound


def via_service(**kwargs: Any) -> Any:
    return operator(messaging_service_sid=SERVICE_SID, **kwargs)


def numbers(count: int, base: int = 0) -> list[str]:
    return [f"+1555321{base + i:04d}" for i in range(count)]


def test_sends_through_the_service_and_reports_what_twilio_answered(twilio_emulator: Any) -> None:
    twilio_emulator.configure(status_delay=30)  # still accepted when we look
    recipients = numbers(3)
    results = via_service(to=recipients).execute(context())

    assert [(r["to"], r["status"], r["num_segments"], r["error_type"]) for r in results] == [
        (to, "accepted", None, None) for to in recipients
    ]
    stored = {m["sid"]: m for m in outbound(twilio_emulator)}
    assert {r["sid"] for r in results} == set(stored)
    assert all(m["from"] is None and m["messaging_service_sid"] == SERVICE_SID for m in stored.values())


def test_scheduled_send_through_the_service(twilio_emulator: Any) -> None:
    send_at = datetime.now(timezone.utc) + timedelta(hours=1)
    (result,) = via_service(to=numbers(1), send_at=send_at).execute(context())
    assert (result["status"], result["num_segments"]) == ("scheduled", None)
    (message,) = outbound(twilio_emulator)
    assert (message["status"], message["from"]) == ("scheduled", None)


@pytest.mark.parametrize("fault", [{"fail_after_commit": 1.0}, {"late_commit": 1.0, "late_commit_delay": 1.0}])
def test_ambiguous_failures_are_resolved_from_the_log_by_service(
    twilio_emulator: Any, monkeypatch: pytest.MonkeyPatch, fault: dict[str, float]
) -> None:
    """Every create is stored but unanswered (or answered 500), and From is still null when the sender
    looks: our messages are recognised by the Messaging Service, and nobody is texted twice."""
    monkeypatch.setenv("AIRFLOW_CONN_TWILIO_DEFAULT", twilio_emulator.connection_uri + "&timeout=0.5")
    twilio_emulator.configure(status_delay=30, **fault)
    recipients = numbers(4)
    results = via_service(to=recipients, commit_grace_period=2).execute(context())
    twilio_emulator.configure(fail_after_commit=0, late_commit=0)

    messages = outbound(twilio_emulator)
    assert sorted(m["to"] for m in messages) == recipients
    assert all(m["from"] is None for m in messages)  # matched by service, not by a sender not yet picked
    assert {r["to"]: r["sid"] for r in results} == {m["to"]: m["sid"] for m in messages}


def test_an_identical_message_through_the_service_a_moment_before_is_not_claimed(twilio_emulator: Any) -> None:
    (first,) = via_service(to=numbers(1), body="Disk full").execute(context())
    twilio_emulator.configure(fail_before_commit=0.5, seed=1)  # the next create fails, the one after passes
    (second,) = via_service(to=numbers(1), body="Disk full", commit_grace_period=0).execute(context())
    assert second["sid"] not in (None, first["sid"])
    assert len(outbound(twilio_emulator)) == 2


@pytest.mark.parametrize("count", [3, 25], ids=["per-recipient", "one-log-scan"])
def test_a_retried_task_skips_recipients_the_service_already_texted(twilio_emulator: Any, count: int) -> None:
    run_start = datetime.now(timezone.utc)
    twilio_emulator.configure(status_delay=30)  # try 2 runs while From is still null
    recipients = numbers(count)
    first = via_service(to=recipients[:-1]).execute(context(1, run_start))
    second = via_service(to=recipients).execute(context(2, run_start))

    messages = outbound(twilio_emulator)
    assert sorted(m["to"] for m in messages) == recipients  # only the last one was new
    assert [r["sid"] for r in second[:-1]] == [r["sid"] for r in first]


def test_without_deduplicate_a_retried_task_sends_again_through_the_service(twilio_emulator: Any) -> None:
    run_start = datetime.now(timezone.utc)
    via_service(to=numbers(2)).execute(context(1, run_start))
    via_service(to=numbers(2), deduplicate=False).execute(context(2, run_start))
    assert len(outbound(twilio_emulator)) == 4


def test_status_sensor_and_trigger_follow_service_messages_to_delivery(twilio_emulator: Any) -> None:
    twilio_emulator.configure(status_delay=0.1)
    results = via_service(to=[*numbers(2), "+15005550010"], fail_on_error=False).execute(context())
    assert {r["status"] for r in results} == {"accepted"}
    sids = [r["sid"] for r in results]

    sensor = TwilioMessageStatusSensor(task_id="delivered", message_sids=results[:2], poke_interval=0.1)
    sensor._tracker = sensor._prepare()
    done = wait_for(lambda: sensor.poke({}), timeout=15)
    assert [state["status"] for state in done.xcom_value.values()] == ["delivered", "delivered"]

    trigger = TwilioMessageStatusTrigger(message_sids=sids, poll_interval=0.1)

    async def first() -> Any:
        # Started inside the loop, so asyncio.run closes the generator (and its HTTP session) at the end.
        return await asyncio.wait_for(trigger.run().__anext__(), 15)

    event = asyncio.run(first())
    assert [s["status"] for s in event.payload["states"].values()] == ["delivered", "delivered", "undelivered"]
    messages = {m["sid"]: m for m in outbound(twilio_emulator)}
    assert {messages[sid]["from"] for sid in sids} == {DEFAULT_FROM}  # picked as they moved on
