"""A killed worker and its retry: the call escalation rings nobody twice in one DAG run.

Try 1 runs under ``dag.test()`` in a real process and is SIGKILLed while the first call rings;
try 2 runs the task again for that same DAG run (its start date read back from the metadata DB).
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest

from tests.support.dag_files import DAGS

pytestmark = pytest.mark.usefixtures("dags_folder")

ON_CALL, BACKUP = "+15551230051", "+15551230052"

FIRST_TRY = """
import sys
from airflow.models import DagBag

dag = DagBag(dag_folder=sys.argv[1]).get_dag("call_escalation")
dag.test()
"""


def test_worker_killed_while_calling_then_try_two_rings_nobody_twice(airflow_db: Path, twilio_emulator: Any) -> None:
    from airflow.models import DagRun

    from airflow_provider_twilio.operators.voice import TwilioCallOperator

    twilio_emulator.configure(status_delay=0.02)
    twilio_emulator.add_call_behaviour(ON_CALL, answer="no-answer")  # rings for the call's 3 s timeout
    twilio_emulator.add_call_behaviour(BACKUP, answer="human", after=0.1)

    def calls_to(number: str) -> list[dict[str, Any]]:
        return [call for call in twilio_emulator.calls() if call["to"] == number]

    worker = subprocess.Popen(
        [sys.executable, "-c", FIRST_TRY, str(DAGS / "call_escalation.py")],
        env=os.environ.copy(),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        deadline = time.monotonic() + 120
        while not calls_to(ON_CALL):
            assert worker.poll() is None, "try 1 ended before it called anyone"
            assert time.monotonic() < deadline, "try 1 never placed its first call"
            time.sleep(0.01)
        worker.send_signal(signal.SIGKILL)
    finally:
        worker.kill()
        worker.wait()
    assert worker.returncode == -signal.SIGKILL
    assert calls_to(ON_CALL)[0]["status"] in ("queued", "ringing")  # killed mid-call
    assert calls_to(BACKUP) == []

    (dag_run,) = DagRun.find(dag_id="call_escalation")
    first_try = dag_run.get_task_instance("call")
    assert str(getattr(first_try.state, "value", first_try.state)) != "success"
    ti = SimpleNamespace(try_number=(first_try.try_number or 1) + 1, xcom_push=lambda key, value: None)
    operator = TwilioCallOperator(task_id="call", to=[ON_CALL, BACKUP], say="The warehouse load failed.", timeout=3)
    operator.poll_interval = 0.2
    results = operator.execute({"ti": ti, "dag_run": dag_run})

    assert len(calls_to(ON_CALL)) == 1  # followed, not rung again
    assert len(calls_to(BACKUP)) == 1
    assert [(r["to"], r["status"], r["acknowledged"]) for r in results] == [
        (ON_CALL, "no-answer", False),
        (BACKUP, "completed", True),
    ]
    assert results[0]["sid"] == calls_to(ON_CALL)[0]["sid"]
