"""DAGs using TwilioSendSmsOperator and TwilioSmsNotifier, run with ``dag.test()`` on the real metadata DB
against the emulator, including the "never twice" bulk run under injected faults."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

pytestmark = pytest.mark.integration

DAGS = Path(__file__).resolve().parent / "dags"


@pytest.fixture(autouse=True)
def dags_folder(monkeypatch: pytest.MonkeyPatch) -> Path:
    """Airflow 3's ``dag.test()`` parses the DAGs folder; keep it to these test DAGs."""
    from airflow import settings

    monkeypatch.setenv("AIRFLOW__CORE__DAGS_FOLDER", str(DAGS))
    monkeypatch.setattr(settings, "DAGS_FOLDER", str(DAGS))
    return DAGS


def load_dag(airflow_db: Path, name: str) -> Any:
    from airflow.models import DagBag

    dagbag = DagBag(dag_folder=str(DAGS / f"{name}.py"))
    assert not dagbag.import_errors, dagbag.import_errors
    return dagbag.get_dag(name)


def state_of(dag_run: Any, task_id: str) -> str:
    ti = dag_run.get_task_instance(task_id)
    return str(getattr(ti.state, "value", ti.state))


def xcom(dag_run: Any, task_id: str) -> Any:
    return dag_run.get_task_instance(task_id).xcom_pull(task_ids=task_id)


def console_link(dag: Any, dag_run: Any, task_id: str) -> str:
    """The extra link as the UI would show it."""
    from airflow import __version__

    from airflow_provider_twilio.operators.sms import TwilioConsoleMessagesLink

    ti = dag_run.get_task_instance(task_id)
    link = TwilioConsoleMessagesLink()
    if int(__version__.split(".")[0]) >= 3:
        # Airflow 3 workers store every extra link in XCom when the task ends; the UI reads it there.
        return ti.xcom_pull(task_ids=task_id, key=link.xcom_key)
    return link.get_link(dag.get_task(task_id), ti_key=ti.key)


def test_bulk_send_under_faults_sends_exactly_once_per_recipient(airflow_db: Path, twilio_emulator: Any) -> None:
    recipients = [f"+1415555{i:04d}" for i in range(1000)]
    dag = load_dag(airflow_db, "send_bulk_with_notifier")
    twilio_emulator.configure(fail_before_commit=0.1, fail_after_commit=0.1, throttle=0.05, seed=7)

    dag_run = dag.test(run_conf={"recipients": recipients, "body": "Water outage tonight"})

    twilio_emulator.configure(fail_before_commit=0, fail_after_commit=0, throttle=0)
    assert state_of(dag_run, "send") == "success"
    body = "Water outage tonight (send_bulk_with_notifier)"
    sent = [m for m in twilio_emulator.messages() if m["body"] == body]
    assert sorted(m["to"] for m in sent) == recipients  # exactly one message per recipient
    results = xcom(dag_run, "send")
    assert [r["to"] for r in results] == recipients
    assert {r["to"]: r["sid"] for r in results} == {m["to"]: m["sid"] for m in sent}
    assert all(r["error_type"] is None for r in results)
    log = twilio_emulator.request_log()
    assert any(entry["status"] == 429 for entry in log) and any(entry.get("dropped") for entry in log)


def test_operator_and_success_notifier(airflow_db: Path, twilio_emulator: Any) -> None:
    dag = load_dag(airflow_db, "send_bulk_with_notifier")
    dag_run = dag.test(run_conf={"recipients": ["+15551230001", "+15551230002"], "body": "Hello"})

    assert state_of(dag_run, "send") == "success"
    outbound = {m["to"]: m for m in twilio_emulator.messages()}
    assert outbound["+15551230001"]["body"] == "Hello (send_bulk_with_notifier)"
    assert outbound["+15551230099"]["body"] == "send in send_bulk_with_notifier finished: 2 sent"
    assert outbound["+15551230099"]["from"] == "+15005550006"
    assert console_link(dag, dag_run, "send") == "https://console.twilio.com/us1/monitor/logs/sms"


def test_failure_notifier_texts_on_call(airflow_db: Path, twilio_emulator: Any) -> None:
    dag = load_dag(airflow_db, "send_failure_alert")
    dag_run = dag.test()

    assert state_of(dag_run, "send_to_bad_number") == "failed"
    results = xcom(dag_run, "send_to_bad_number")
    assert results == [
        {
            "to": "+15005550001",
            "sid": None,
            "status": "failed",
            "num_segments": None,
            "error_code": 21211,
            "error_type": "INVALID_TO_PHONE_NUMBER_ERROR",
            "error_message": results[0]["error_message"],
        }
    ]
    alerts = [m for m in twilio_emulator.messages() if m["to"] == "+15551230098"]
    assert [m["body"] for m in alerts] == ["ALERT: send_to_bad_number in send_failure_alert failed"]
