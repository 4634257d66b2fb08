"""TwilioSmsNotifier sends through the operator's sending core, sync and async, against the emulator."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest

from airflow_provider_twilio.exceptions import ErrorType, TwilioSendError
from airflow_provider_twilio.notifications.sms import TwilioSmsNotifier


class TI:
    task_id = "load_orders"


def callback_context() -> dict[str, Any]:
    return {"dag": None, "ti": TI(), "params": {"on_call": "+15551230001, +15551230002"}}


def test_callback_call_renders_and_sends(twilio_emulator: Any) -> None:
    notifier = TwilioSmsNotifier(to="{{ params.on_call }}", body="{{ ti.task_id }} failed")
    notifier(callback_context())

    messages = twilio_emulator.messages()
    assert sorted(m["to"] for m in messages) == ["+15551230001", "+15551230002"]
    assert {m["body"] for m in messages} == {"load_orders failed"}
    assert {m["from"] for m in messages} == {"+15005550006"}


def test_async_notify_sends(twilio_emulator: Any) -> None:
    notifier = TwilioSmsNotifier(to="+15551230003", body="Deadline missed", from_="+15005550006")
    asyncio.run(notifier.async_notify({}))
    assert [m["body"] for m in twilio_emulator.messages()] == ["Deadline missed"]


def test_awaited_with_context_passed_to_init(twilio_emulator: Any) -> None:
    """How Airflow >= 3.1 runs notifiers for deadline alerts: context to ``__init__``, then ``await``."""
    if not hasattr(TwilioSmsNotifier, "__await__"):
        pytest.skip("Airflow 2.11's BaseNotifier cannot be awaited (no deadline alerts)")

    async def run() -> None:
        await TwilioSmsNotifier(to="{{ params.on_call }}", body="{{ ti.task_id }} late", context=callback_context())

    asyncio.run(run())
    assert sorted(m["body"] for m in twilio_emulator.messages()) == ["load_orders late", "load_orders late"]


def test_failures_raise_a_named_error(twilio_emulator: Any) -> None:
    notifier = TwilioSmsNotifier(to="+15005550004", body="x")
    with pytest.raises(TwilioSendError) as info:
        notifier.notify({})
    assert info.value.error_type is ErrorType.RECIPIENT_OPTED_OUT_ERROR
    assert info.value.results[0]["error_code"] == 21610


def test_human_in_the_loop_operator_takes_it_as_a_notifier(twilio_emulator: Any) -> None:
    """Airflow >= 3.1 HITL operators call each notifier with the task context while they wait for a human."""
    hitl = pytest.importorskip("airflow.providers.standard.operators.hitl", reason="needs Airflow >= 3.1 HITL")
    notifier = TwilioSmsNotifier(to="+15551230001", body="Approval needed for {{ ti.task_id }}")
    operator = hitl.HITLOperator(task_id="approve", subject="Deploy?", options=["Yes", "No"], notifiers=notifier)
    assert list(operator.notifiers) == [notifier]
    for each in operator.notifiers:  # what HITLOperator.execute does before it waits
        each({"ti": type("TI", (), {"task_id": "approve"})(), "task_instance": None})
    assert [m["body"] for m in twilio_emulator.messages()] == ["Approval needed for approve"]
