from __future__ import annotations

from datetime import datetime, timezone
from types import SimpleNamespace
from typing import Any

import pytest

from airflow_provider_twilio.exceptions import (
    ErrorType,
    TwilioApiError,
    TwilioAuthenticationError,
    TwilioDeliveryFailedError,
    TwilioInputError,
)
from airflow_provider_twilio.sensors.sms import TwilioInboundSmsSensor, TwilioMessageStatusSensor
from airflow_provider_twilio.tracking.messages import DeliveryTracker, parse_message_statuses
from airflow_provider_twilio.triggers.sms import TwilioInboundSmsTrigger, TwilioMessageStatusTrigger

SID_A, SID_B = "SM" + "a" * 32, "SM" + "b" * 32
CONN = "twilio://AC" + "1" * 32 + ":" + "s" * 32 + "@?default_from=%2B15005550006&base_url=http%3A%2F%2F127.0.0.1%3A9"


@pytest.fixture(autouse=True)
def connection(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("AIRFLOW_CONN_TWILIO_DEFAULT", CONN)


def test_templated_fields() -> None:
    assert set(TwilioInboundSmsSensor.template_fields) == {
        "pattern",
        "to",
        "from_",
        "since",
        "echo",
        "echo_error",
        "twilio_conn_id",
    }
    assert set(TwilioMessageStatusSensor.template_fields) == {"message_sids", "twilio_conn_id"}


def test_deferrable_defaults_to_the_airflow_setting(monkeypatch: pytest.MonkeyPatch) -> None:
    assert TwilioInboundSmsSensor(task_id="a", pattern="x").deferrable is False
    monkeypatch.setenv("AIRFLOW__OPERATORS__DEFAULT_DEFERRABLE", "true")
    assert TwilioInboundSmsSensor(task_id="b", pattern="x").deferrable is True
    assert TwilioMessageStatusSensor(task_id="c", message_sids=SID_A).deferrable is True
    assert TwilioMessageStatusSensor(task_id="d", message_sids=SID_A, deferrable=False).deferrable is False


def test_inbound_sensor_defers_with_everything_checked() -> None:
    from airflow.providers.common.compat.sdk import TaskDeferred

    start = datetime(2026, 11, 22, 14, 0, 0, 123456, tzinfo=timezone.utc)
    sensor = TwilioInboundSmsSensor(
        task_id="wait",
        pattern=r"^YES (?P<code>\d+)$",
        from_="['+15551230001']",
        echo_error="Sorry ${body}",
        deferrable=True,
        poke_interval=7,
        timeout=600,
    )
    with pytest.raises(TaskDeferred) as info:
        sensor.execute({"dag_run": SimpleNamespace(start_date=start)})
    trigger = info.value.trigger
    assert isinstance(trigger, TwilioInboundSmsTrigger)
    assert trigger.serialize()[1] == {
        "pattern": r"^YES (?P<code>\d+)$",
        "to": "+15005550006",
        "since": "2026-11-22T14:00:00.123456+00:00",
        "from_": ["+15551230001"],
        "ignore_case": False,
        "echo_error": "Sorry ${body}",
        "twilio_conn_id": "twilio_default",
        "poll_interval": 7.0,
    }
    assert info.value.method_name == "execute_complete"
    assert info.value.timeout.total_seconds() == 600


def test_status_sensor_defers() -> None:
    from airflow.providers.common.compat.sdk import TaskDeferred

    sensor = TwilioMessageStatusSensor(task_id="s", message_sids=[{"sid": SID_A}, {"sid": SID_B}], deferrable=True)
    with pytest.raises(TaskDeferred) as info:
        sensor.execute({})
    assert isinstance(info.value.trigger, TwilioMessageStatusTrigger)
    assert info.value.trigger.message_sids == [SID_A, SID_B]


@pytest.mark.parametrize(
    ("event", "cls", "error_type"),
    [
        ({"status": "error", "message": "bad token", "error_type": "AUTHENTICATION_CONNECTION_ERROR"},
         TwilioAuthenticationError, ErrorType.AUTHENTICATION_CONNECTION_ERROR),
        ({"status": "error", "message": "nope", "error_type": "INVALID_INPUT", "error_code": 21211},
         TwilioApiError, ErrorType.INVALID_INPUT),
    ],
)  # fmt: skip
def test_trigger_errors_surface_with_their_type(event: dict[str, Any], cls: type, error_type: ErrorType) -> None:
    for sensor in (
        TwilioInboundSmsSensor(task_id="a", pattern="x"),
        TwilioMessageStatusSensor(task_id="b", message_sids=SID_A),
    ):
        with pytest.raises(cls) as info:
            sensor.execute_complete({}, event)
        assert info.value.error_type is error_type


def test_tracker_states_and_failures() -> None:
    tracker = DeliveryTracker([SID_A, SID_B])
    assert tracker.pending() == [SID_A, SID_B]
    tracker.states[SID_A] = {"to": "+1", "status": "sent", "error_code": None, "error_type": None}
    filtered = {"to": "+2", "status": "failed", "error_code": 30007, "error_type": "MESSAGE_FILTERED_ERROR"}
    tracker.states[SID_B] = filtered
    assert tracker.pending() == [SID_A] and not tracker.done
    tracker.states[SID_A]["status"] = "delivered"
    assert tracker.done and tracker.summary() == "1 delivered, 1 failed"
    error = tracker.failure_error()
    assert isinstance(error, TwilioDeliveryFailedError)
    assert error.error_type is ErrorType.MESSAGE_FILTERED_ERROR and error.code == 30007
    assert list(error.failures) == [SID_B]


def test_status_arguments_are_checked() -> None:
    assert parse_message_statuses("Delivered", "success_statuses") == ("delivered",)
    with pytest.raises(TwilioInputError, match="success_statuses: unknown message status"):
        parse_message_statuses(["delivred"], "success_statuses")
    with pytest.raises(TwilioInputError, match="failure_statuses: expected at least one"):
        parse_message_statuses([], "failure_statuses")
    with pytest.raises(TwilioInputError, match="both contain"):
        DeliveryTracker([SID_A], ["delivered", "failed"])


def test_status_trigger_serialize_round_trips() -> None:
    trigger = TwilioMessageStatusTrigger(
        message_sids=[SID_A],
        states={SID_A: {"to": "+1", "status": "sent", "error_code": None, "error_type": None}},
        poll_interval=3,
    )
    classpath, kwargs = trigger.serialize()
    assert classpath == "airflow_provider_twilio.triggers.sms.TwilioMessageStatusTrigger"
    assert TwilioMessageStatusTrigger(**kwargs).serialize() == (classpath, kwargs)
