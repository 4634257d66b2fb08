"""End to end under ``dag.test()``: send a question, wait for the emulator's auto reply, branch on it."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest

if TYPE_CHECKING:
    from airflow_provider_twilio.emulator.server import TwilioEmulator

DAGS = Path(__file__).resolve().parent / "dags"
APPROVER, US = "+15551230001", "+15005550006"


@pytest.fixture(scope="module")
def dag() -> Any:
    from airflow.models import DagBag

    bag = DagBag(dag_folder=str(DAGS / "sensor_approval_e2e.py"))
    assert bag.import_errors == {}
    return bag.get_dag("sensor_approval_e2e")


@pytest.fixture(autouse=True)
def dags_folder(monkeypatch: pytest.MonkeyPatch) -> None:
    from airflow import settings

    monkeypatch.setenv("AIRFLOW__CORE__DAGS_FOLDER", str(DAGS))
    monkeypatch.setattr(settings, "DAGS_FOLDER", str(DAGS))


@pytest.mark.parametrize(("answer", "runs", "skipped"), [("yes 4821", "deploy", "halt"), ("NO 4821", "halt", "deploy")])
def test_approval_branches_on_the_answer(
    answer: str, runs: str, skipped: str, twilio_emulator: TwilioEmulator, airflow_db: Path, dag: Any
) -> None:
    emu = twilio_emulator
    emu.add_auto_reply(to=APPROVER, body="YES 1111", delay=0.2)  # wrong code: must not count
    emu.add_auto_reply(to=APPROVER, body=answer, delay=1.0)
    dag_run = dag.test()

    states = {ti.task_id: str(getattr(ti.state, "value", ti.state)) for ti in dag_run.get_task_instances()}
    assert states == {"ask": "success", "wait": "success", "decide": "success", runs: "success", skipped: "skipped"}
    wait = dag_run.get_task_instance("wait")
    assert wait.xcom_pull(task_ids="wait", key="match_groups") == {"answer": answer.split()[0]}
    outbound = [(m["to"], m["body"]) for m in reversed(emu.messages()) if m["direction"] != "inbound"]
    assert outbound == [
        (APPROVER, "Reply YES 4821 to deploy v1.2.3, or NO 4821."),
        (APPROVER, f"Got it: {answer.split()[0]} for v1.2.3."),
    ]
