"""DAGs using TwilioSendSmsOperator and TwilioSmsNotifier, run with ``dag.test()`` on the real metadata DB
against the emulator, including the "never twice" bulk run under injected faults."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from tests.support.dag_files import DAGS

pytestmark = pytest.mark.usefixtures("dags_folder")


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


FIRST_TRY = """
import json, sys
from airflow.models import DagBag

dag = DagBag(dag_folder=sys.argv[1]).get_dag("send_bulk_with_notifier")
dag.test(run_conf=json.loads(sys.argv[2]))
"""


# In one pytest process after the whole Airflow 3.3 suite, this test's in-process DagRun lookup finds no run
# that the killed try-1 process created; alone, or after the few serial tests, it passes. Until that
# interaction is found, the Makefile runs it apart from the whole suite, with the serial tests.
@pytest.mark.own_process
def test_worker_killed_halfway_then_try_two_texts_nobody_twice(airflow_db: Path, twilio_emulator: Any) -> None:
    """Try 1 runs under ``dag.test()`` in a real process, SIGKILLed once half the messages exist; try 2
    runs the task again for that same DAG run (its start date read back from the metadata DB)."""
    import os
    import signal
    import subprocess
    import sys
    import time
    from types import SimpleNamespace

    from airflow.models import DagRun

    from airflow_provider_twilio.operators.sms import TwilioSendSmsOperator

    count = 400
    recipients = [f"+1555200{i:04d}" for i in range(count)]
    conf = {"recipients": recipients, "body": "Boil water notice"}
    body = "Boil water notice (send_bulk_with_notifier)"
    twilio_emulator.configure(latency=0.05)

    def sent() -> list[dict[str, Any]]:
        return [m for m in twilio_emulator.messages() if m["body"] == body]

    worker = subprocess.Popen(
        [sys.executable, "-c", FIRST_TRY, str(DAGS / "send_bulk_with_notifier.py"), json.dumps(conf)],
        env=os.environ.copy(),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        deadline = time.monotonic() + 180
        while len(sent()) < count // 2:
            assert worker.poll() is None, "try 1 ended before it could be killed"
            assert time.monotonic() < deadline, "try 1 never got halfway"
            time.sleep(0.01)
        worker.send_signal(signal.SIGKILL)
    finally:
        worker.kill()
        worker.wait()
    assert worker.returncode == -signal.SIGKILL
    time.sleep(0.3)  # requests in flight when the worker died still complete on the server
    assert count // 2 <= len(sent()) < count

    runs = DagRun.find(dag_id="send_bulk_with_notifier")
    (dag_run,) = [run for run in runs if (run.conf or {}).get("body") == conf["body"]]
    first_try = dag_run.get_task_instance("send")
    assert str(getattr(first_try.state, "value", first_try.state)) != "success"  # the worker died mid-task
    ti = SimpleNamespace(try_number=(first_try.try_number or 1) + 1, xcom_push=lambda key, value: None)
    twilio_emulator.configure(latency=0)
    results = TwilioSendSmsOperator(task_id="send", to=recipients, body=body).execute({"ti": ti, "dag_run": dag_run})

    messages = sent()
    assert sorted(m["to"] for m in messages) == recipients  # exactly one each
    assert {r["to"]: r["sid"] for r in results} == {m["to"]: m["sid"] for m in messages}


def test_native_rendering_sends_numbers_as_text(airflow_db: Path, twilio_emulator: Any) -> None:
    """With render_template_as_native_obj=True, body="{{ params.rows }}" renders an int; it is sent as its digits."""
    dag = load_dag(airflow_db, "send_native_rendering")
    dag_run = dag.test()

    assert state_of(dag_run, "send_row_count") == "success"
    sent = [m for m in twilio_emulator.messages() if m["to"] == "+15551230097"]
    assert [(m["from"], m["body"]) for m in sent] == [("89898", "1204")]
