"""TwilioCallStatusSensor (poke and deferred through its trigger) and TwilioCallNotifier against the emulator."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest

from airflow_provider_twilio.exceptions import TwilioCallFailedError, TwilioInputError
from airflow_provider_twilio.notifications.voice import TwilioCallNotifier
from airflow_provider_twilio.sensors.voice import TwilioCallStatusSensor
from airflow_provider_twilio.triggers.voice import TwilioCallStatusTrigger
from tests.support.emulator import DEFAULT_FROM, sdk_client, wait_for
from tests.support.task_context import context

HUMAN, BUSY, FAILS = "+15551230001", "+15551230002", "+15551230003"
SAY = "<Response><Say>Disk full</Say></Response>"


@pytest.fixture
def emulator(twilio_emulator: Any) -> Any:
    twilio_emulator.configure(status_delay=0.02)
    twilio_emulator.add_call_behaviour(HUMAN, answer="human", after=0.05)
    twilio_emulator.add_call_behaviour(BUSY, answer="busy", after=0.05)
    twilio_emulator.add_call_behaviour(FAILS, answer="fail", after=0.05)
    return twilio_emulator


def place(emulator: Any, *numbers: str) -> list[dict[str, Any]]:
    client = sdk_client(emulator)
    return [{"to": to, "sid": client.calls.create(to=to, from_=DEFAULT_FROM, twiml=SAY).sid} for to in numbers]


def poke_until_done(sensor: TwilioCallStatusSensor) -> Any:
    ctx = context()
    sensor._tracker = sensor._prepare()
    result = wait_for(lambda: sensor.poke(ctx), timeout=15)
    assert result, "the calls never ended"
    return result.xcom_value


def test_sensor_waits_until_calls_end_and_takes_the_operators_results(emulator: Any) -> None:
    results = [*place(emulator, HUMAN, BUSY), {"to": "+15005550002", "sid": None}]  # one call never placed
    states = poke_until_done(TwilioCallStatusSensor(task_id="wait", call_sids=results, poke_interval=0.05))
    assert [(s["to"], s["status"]) for s in states.values()] == [(HUMAN, "completed"), (BUSY, "busy")]


def test_sensor_fails_naming_the_failed_call(emulator: Any) -> None:
    (placed,) = place(emulator, FAILS)
    sensor = TwilioCallStatusSensor(task_id="wait", call_sids=placed["sid"], poke_interval=0.05)
    with pytest.raises(TwilioCallFailedError, match=f"1 of 1 call\\(s\\) failed: {placed['sid']} to \\{FAILS}"):
        poke_until_done(sensor)


def test_sensor_refuses_what_is_not_a_call_sid(emulator: Any) -> None:
    with pytest.raises(TwilioInputError, match="call_sids: 'SM"):
        TwilioCallStatusSensor(task_id="wait", call_sids="SM" + "0" * 32)._prepare()


def test_deferred_sensor_trigger_fires_done_with_the_states(emulator: Any) -> None:
    sids = [call["sid"] for call in place(emulator, HUMAN, BUSY)]
    sensor = TwilioCallStatusSensor(task_id="wait", call_sids=sids, deferrable=True, poke_interval=0.05)
    trigger = sensor._trigger(sensor._prepare())
    classpath, kwargs = trigger.serialize()
    assert classpath == "airflow_provider_twilio.triggers.voice.TwilioCallStatusTrigger"
    revived = TwilioCallStatusTrigger(**kwargs)

    async def first_event() -> Any:
        async for event in revived.run():
            return event.payload
        return None

    payload = asyncio.run(first_event())
    assert payload["status"] == "done"
    finished = sensor.execute_complete(context(), payload)
    assert [state["status"] for state in finished.values()] == ["completed", "busy"]


def test_notifier_calls_until_a_human_answers(emulator: Any) -> None:
    results = TwilioCallNotifier(to=[BUSY, HUMAN], say="The load failed", poll_interval=0.05).send()
    assert [(r["to"], r["acknowledged"]) for r in results] == [(BUSY, False), (HUMAN, True)]


def test_notifier_raises_when_nobody_answers(emulator: Any) -> None:
    with pytest.raises(TwilioCallFailedError, match="Nobody acknowledged"):
        TwilioCallNotifier(to=[BUSY], say="x", poll_interval=0.05).send()
