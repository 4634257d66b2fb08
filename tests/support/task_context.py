"""Calling an operator's ``execute`` directly: a small stand-in for the task context (``ti`` and ``dag_run``),
the SMS operator with a task id and body filled in, and the messages the emulator saw sent."""

from __future__ import annotations

from datetime import datetime, timezone
from types import SimpleNamespace
from typing import Any

from airflow_provider_twilio.operators.sms import TwilioSendSmsOperator


class TaskInstance:
    def __init__(self, try_number: int = 1) -> None:
        self.try_number = try_number
        self.xcom: dict[str, Any] = {}

    def xcom_push(self, key: str, value: Any) -> None:
        self.xcom[key] = value


def context(try_number: int = 1, run_start: datetime | None = None) -> dict[str, Any]:
    run_start = run_start or datetime.now(timezone.utc)
    return {"ti": TaskInstance(try_number), "dag_run": SimpleNamespace(start_date=run_start)}


def operator(**kwargs: Any) -> TwilioSendSmsOperator:
    kwargs.setdefault("task_id", "send")
    kwargs.setdefault("body", "Hello from Airflow")
    return TwilioSendSmsOperator(**kwargs)


def outbound(emulator: Any) -> list[dict[str, Any]]:
    return [m for m in emulator.messages() if m["direction"] != "inbound"]
