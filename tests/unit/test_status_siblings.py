"""Message and call status sensors and triggers are siblings: each holds only its own SIDs.

Trigger rows already in the metadata database name a classpath and keyword arguments; both must keep
loading, so the serialized form of each trigger is pinned here.
"""

from __future__ import annotations

from typing import Any

import pytest

from airflow_provider_twilio.sensors.sms import TwilioMessageStatusSensor
from airflow_provider_twilio.sensors.voice import TwilioCallStatusSensor
from airflow_provider_twilio.triggers.sms import TwilioMessageStatusTrigger
from airflow_provider_twilio.triggers.voice import TwilioCallStatusTrigger

CALL_SID = "CA" + "c" * 32
MESSAGE_SID = "SM" + "a" * 32
CONN = "twilio://AC" + "1" * 32 + ":" + "s" * 32 + "@?default_from=%2B15005550006&base_url=http%3A%2F%2F127.0.0.1%3A9"
COMMON_KWARGS = {"success_statuses", "failure_statuses", "states", "twilio_conn_id", "poll_interval"}


@pytest.fixture(autouse=True)
def connection(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("AIRFLOW_CONN_TWILIO_DEFAULT", CONN)


@pytest.mark.parametrize(
    ("call_class", "message_class"),
    [(TwilioCallStatusSensor, TwilioMessageStatusSensor), (TwilioCallStatusTrigger, TwilioMessageStatusTrigger)],
)
def test_call_classes_are_not_message_classes(call_class: type, message_class: type) -> None:
    assert not issubclass(call_class, message_class)
    assert not issubclass(message_class, call_class)


def test_the_call_sensor_holds_only_call_sids() -> None:
    sensor = TwilioCallStatusSensor(task_id="calls", call_sids=[CALL_SID])
    assert sensor.call_sids == [CALL_SID]
    assert not hasattr(sensor, "message_sids")
    assert set(sensor.template_fields) == {"call_sids", "twilio_conn_id"}


def test_the_message_sensor_holds_only_message_sids() -> None:
    sensor = TwilioMessageStatusSensor(task_id="messages", message_sids=[MESSAGE_SID])
    assert sensor.message_sids == [MESSAGE_SID]
    assert not hasattr(sensor, "call_sids")


def test_the_call_trigger_holds_only_call_sids_and_serializes_as_before() -> None:
    trigger = TwilioCallStatusTrigger(call_sids=[CALL_SID], poll_interval=3)
    assert trigger.call_sids == [CALL_SID]
    assert not hasattr(trigger, "message_sids")
    classpath, kwargs = trigger.serialize()
    assert classpath == "airflow_provider_twilio.triggers.voice.TwilioCallStatusTrigger"
    assert set(kwargs) == {"call_sids", *COMMON_KWARGS}
    assert kwargs["call_sids"] == [CALL_SID]
    assert kwargs["success_statuses"] == ["completed", "busy", "no-answer", "canceled"]
    assert kwargs["failure_statuses"] == ["failed"]
    assert kwargs["poll_interval"] == 3.0


def test_the_message_trigger_serializes_as_before() -> None:
    trigger = TwilioMessageStatusTrigger(message_sids=[MESSAGE_SID])
    assert not hasattr(trigger, "call_sids")
    classpath, kwargs = trigger.serialize()
    assert classpath == "airflow_provider_twilio.triggers.sms.TwilioMessageStatusTrigger"
    assert set(kwargs) == {"message_sids", *COMMON_KWARGS}
    assert kwargs["success_statuses"] == ["delivered"]
    assert kwargs["failure_statuses"] == ["failed", "undelivered", "canceled"]
    assert kwargs["poll_interval"] == 10.0


@pytest.mark.parametrize(
    ("trigger", "sids_kwarg", "tracker_class"),
    [
        (TwilioCallStatusTrigger(call_sids=[CALL_SID]), "call_sids", "CallTracker"),
        (TwilioMessageStatusTrigger(message_sids=[MESSAGE_SID]), "message_sids", "DeliveryTracker"),
    ],
)
def test_a_stored_trigger_row_loads_again(trigger: Any, sids_kwarg: str, tracker_class: str) -> None:
    """What the triggerer does with a row: import the classpath, call it with the stored kwargs."""
    import importlib

    classpath, kwargs = trigger.serialize()
    module, _, name = classpath.rpartition(".")
    loaded = getattr(importlib.import_module(module), name)(**kwargs)
    assert loaded.serialize() == (classpath, kwargs)
    tracker = loaded._new_tracker()
    assert type(tracker).__name__ == tracker_class
    assert tracker.sids == kwargs[sids_kwarg]


def test_the_call_sensor_defers_to_the_call_trigger() -> None:
    from airflow.providers.common.compat.sdk import TaskDeferred

    sensor = TwilioCallStatusSensor(task_id="calls", call_sids=CALL_SID, deferrable=True)
    with pytest.raises(TaskDeferred) as info:
        sensor.execute({})
    assert isinstance(info.value.trigger, TwilioCallStatusTrigger)
    assert info.value.trigger.call_sids == [CALL_SID]
