"""TwilioMessageStatusSensor and its trigger against the emulator's delivery simulation."""

from __future__ import annotations

import asyncio
import json
import time
from typing import TYPE_CHECKING, Any

import pytest

from airflow_provider_twilio.exceptions import ErrorType, TwilioDeliveryFailedError, TwilioInputError
from airflow_provider_twilio.sensors.sms import TwilioMessageStatusSensor
from airflow_provider_twilio.triggers.sms import TwilioMessageStatusTrigger

if TYPE_CHECKING:
    from airflow_provider_twilio.emulator.server import TwilioEmulator

US = "+15005550006"


def send(numbers: list[str]) -> list[str]:
    from airflow_provider_twilio.hooks.twilio import TwilioHook

    client = TwilioHook().get_conn()
    return [client.messages.create(to=to, from_=US, body="hello").sid for to in numbers]


def poke_until_done(sensor: TwilioMessageStatusSensor, limit: float = 15.0) -> Any:
    sensor._tracker = sensor._prepare()
    deadline = time.monotonic() + limit
    while time.monotonic() < deadline:
        done = sensor.poke({})
        if done:
            return done
        time.sleep(0.1)
    raise AssertionError("not done in time")


def fetches(emu: TwilioEmulator) -> list[str]:
    return [r["path"].rsplit("/", 1)[-1].removesuffix(".json") for r in emu.request_log() if r["method"] == "GET"]


def test_delivered_returns_each_state_and_final_messages_are_not_fetched_again(
    twilio_emulator: TwilioEmulator,
) -> None:
    twilio_emulator.configure(status_delay=0.3)
    sids = send(["+15551230101", "+15551230102"])
    results = [{"to": "+15551230101", "sid": sids[0]}, {"to": "+15551230102", "sid": sids[1]}]
    sensor = TwilioMessageStatusSensor(task_id="s", message_sids=json.dumps(results), poke_interval=0.1)
    twilio_emulator.clear_request_log()
    done = poke_until_done(sensor)
    assert done.xcom_value == {
        sid: {"to": to, "status": "delivered", "error_code": None, "error_type": None}
        for sid, to in zip(sids, ["+15551230101", "+15551230102"], strict=True)
    }
    twilio_emulator.clear_request_log()
    assert sensor.poke({})
    assert fetches(twilio_emulator) == []


def test_failure_names_each_message_with_code_and_type(twilio_emulator: TwilioEmulator) -> None:
    twilio_emulator.configure(status_delay=0.05)
    sids = send(["+15005550010", "+15005550012", "+15551230101"])
    sensor = TwilioMessageStatusSensor(task_id="s", message_sids=sids, poke_interval=0.1)
    with pytest.raises(TwilioDeliveryFailedError) as info:
        poke_until_done(sensor)
    err = info.value
    assert set(err.failures) == {sids[0], sids[1]}
    assert err.failures[sids[0]] == {
        "to": "+15005550010",
        "status": "undelivered",
        "error_code": 30003,
        "error_type": "UNREACHABLE_DESTINATION_ERROR",
    }
    assert err.failures[sids[1]]["error_code"] == 30007
    assert err.failures[sids[1]]["error_type"] == "MESSAGE_FILTERED_ERROR"
    assert f"{sids[0]} to +15005550010: undelivered, error 30003 (UNREACHABLE_DESTINATION_ERROR)" in str(err)
    assert "2 of 3 message(s) were not delivered" in str(err)
    assert err.error_type is ErrorType.UNKNOWN_ERROR  # two different causes


def test_single_failure_carries_its_type(twilio_emulator: TwilioEmulator) -> None:
    twilio_emulator.configure(status_delay=0.05)
    sids = send(["+15005550011"])
    with pytest.raises(TwilioDeliveryFailedError) as info:
        poke_until_done(TwilioMessageStatusSensor(task_id="s", message_sids=sids[0]))
    assert info.value.error_type is ErrorType.LANDLINE_OR_UNREACHABLE_CARRIER_ERROR
    assert info.value.code == 30006


def test_bad_sids_fail_before_any_request(twilio_emulator: TwilioEmulator) -> None:
    twilio_emulator.clear_request_log()
    with pytest.raises(TwilioInputError, match="message_sids: 'nope' is not a message SID"):
        TwilioMessageStatusSensor(task_id="s", message_sids="nope").execute({})
    assert twilio_emulator.request_log() == []


def test_unknown_sid_fails_at_once(twilio_emulator: TwilioEmulator) -> None:
    sensor = TwilioMessageStatusSensor(task_id="s", message_sids="SM" + "0" * 32)
    sensor._tracker = sensor._prepare()
    with pytest.raises(Exception, match="404"):
        sensor.poke({})


def test_trigger_fires_once_all_are_final(twilio_emulator: TwilioEmulator) -> None:
    twilio_emulator.configure(status_delay=0.05)
    sids = send(["+15551230101", "+15005550010"])
    trigger = TwilioMessageStatusTrigger(message_sids=sids, poll_interval=0.1)
    classpath, kwargs = trigger.serialize()
    assert TwilioMessageStatusTrigger(**kwargs).serialize() == (classpath, kwargs)

    async def first() -> Any:
        return await asyncio.wait_for(trigger.run().__anext__(), 15)

    event = asyncio.run(first())
    assert event.payload["status"] == "done"
    assert [s["status"] for s in event.payload["states"].values()] == ["delivered", "undelivered"]
    sensor = TwilioMessageStatusSensor(task_id="s", message_sids=sids)
    with pytest.raises(TwilioDeliveryFailedError, match="30003"):
        sensor.execute_complete({}, event.payload)
