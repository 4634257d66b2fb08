"""TwilioMessageStatusSensor under ``dag.test()`` against the emulator, in every mode."""

from __future__ import annotations

import re
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest

if TYPE_CHECKING:
    from airflow_provider_twilio.emulator.server import TwilioEmulator

DAGS = Path(__file__).resolve().parent / "dags"
SID = re.compile(r"^SM[0-9a-f]{32}$")


@pytest.fixture(scope="module")
def dagbag() -> Any:
    from airflow.models import DagBag

    return DagBag(dag_folder=str(DAGS / "sensor_status_modes.py"))


@pytest.fixture(autouse=True)
def dags_folder(monkeypatch: pytest.MonkeyPatch) -> None:
    from airflow import settings

    monkeypatch.setenv("AIRFLOW__CORE__DAGS_FOLDER", str(DAGS))
    monkeypatch.setattr(settings, "DAGS_FOLDER", str(DAGS))


@pytest.mark.parametrize("mode", ["poke", "reschedule", "deferrable"])
def test_delivered_and_undelivered(mode: str, twilio_emulator: TwilioEmulator, airflow_db: Path, dagbag: Any) -> None:
    twilio_emulator.configure(status_delay=0.05)
    dag = dagbag.get_dag(f"sensor_status_{mode}")
    assert dag is not None, dagbag.import_errors
    dag_run = dag.test()

    states = {ti.task_id: str(getattr(ti.state, "value", ti.state)) for ti in dag_run.get_task_instances()}
    assert states == {"send_ok": "success", "send_bad": "success", "delivered": "success", "undelivered": "failed"}
    ti = dag_run.get_task_instance("delivered")
    result = ti.xcom_pull(task_ids="delivered")
    sent = ti.xcom_pull(task_ids="send_ok")
    assert list(result) == [r["sid"] for r in sent] and all(SID.match(sid) for sid in result)
    assert [state for state in result.values()] == [
        {"to": "+15551230101", "status": "delivered", "error_code": None, "error_type": None},
        {"to": "+15551230102", "status": "delivered", "error_code": None, "error_type": None},
    ]
