"""Testing your own Twilio DAGs offline with the ``twilio_emulator`` fixture.

This is the complete example from docs/testing-your-dags.md. The ``twilio_emulator`` fixture comes with
the package (a pytest plugin): it starts a local Twilio emulator and points the ``twilio_default``
connection at it, so ``dag.test()`` sends real API requests through the real Twilio SDK, but to the
emulator. ``airflow_db`` is the session fixture from conftest.py that migrates a throwaway metadata DB.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

# Ours also runs on every supported Airflow line; a project of your own needs no marker.
pytestmark = pytest.mark.every_line

# Your project's DAGs folder.
DAGS_FOLDER = Path(__file__).resolve().parents[2] / "example_dags"


@pytest.fixture(autouse=True)
def dags_folder(monkeypatch: pytest.MonkeyPatch) -> None:
    """dag.test() on Airflow 3 parses the configured DAGs folder: make it this project's."""
    from airflow import settings

    monkeypatch.setenv("AIRFLOW__CORE__DAGS_FOLDER", str(DAGS_FOLDER))
    monkeypatch.setattr(settings, "DAGS_FOLDER", str(DAGS_FOLDER))


def load_dag(dag_id: str) -> Any:
    from airflow.models import DagBag

    dagbag = DagBag(dag_folder=str(DAGS_FOLDER))
    assert not dagbag.import_errors, dagbag.import_errors
    return dagbag.get_dag(dag_id)


def test_release_is_approved_by_sms(airflow_db: Path, twilio_emulator: Any) -> None:
    # The approver's phone, simulated: it answers every text sent to it half a second later.
    twilio_emulator.add_auto_reply(to="+15551230001", body="YES 4821", delay=0.5)

    dag_run = load_dag("example_twilio_sms_approval").test()

    states = {ti.task_id: str(getattr(ti.state, "value", ti.state)) for ti in dag_run.get_task_instances()}
    assert states["deploy"] == "success"
    assert states["hold"] == "skipped"
    reply = dag_run.get_task_instance("wait_for_reply").xcom_pull(task_ids="wait_for_reply")
    assert reply["match_groups"] == {"answer": "YES", "code": "4821"}

    # messages() is newest first, like Twilio's message log.
    texts = [m["body"] for m in reversed(twilio_emulator.messages()) if m["direction"] == "outbound-api"]
    assert texts == ["Reply YES 4821 to deploy 2.4.1 (or NO 4821 to stop it).", "Got it: YES for 4821."]


def test_nobody_is_texted_twice_when_twilio_misbehaves(airflow_db: Path, twilio_emulator: Any) -> None:
    # A bad day at Twilio, reproducible by seed: requests fail with 500 before the message is stored,
    # or the message is stored and the answer is lost (500 or a dropped connection), or get 429.
    twilio_emulator.configure(fail_before_commit=0.2, fail_after_commit=0.3, throttle=0.2, seed=7)

    dag_run = load_dag("example_twilio_send_sms").test()

    assert str(getattr(dag_run.state, "value", dag_run.state)) == "success"
    sent = [m for m in twilio_emulator.messages() if m["direction"] == "outbound-api"]
    recipients = [m["to"] for m in sent]
    assert sorted(recipients) == sorted(set(recipients)), "someone got the same text twice"
    assert len(recipients) == 5
    results = dag_run.get_task_instance("notify_on_call").xcom_pull(task_ids="notify_on_call")
    assert {r["sid"] for r in results} <= {m["sid"] for m in sent}
    # And the faults really happened.
    assert {429, 500} & {request["status"] for request in twilio_emulator.request_log()}
