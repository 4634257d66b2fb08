"""Quiet hours under ``dag.test()`` on the real metadata DB against the emulator: waves across four time
zones, the skip policy, and a task retried after a quiet-hours deferral (tests/integration/dags/send_quiet_hours.py)."""

from __future__ import annotations

from collections import Counter
from pathlib import Path
from typing import Any

import pytest

from tests.support.dag_files import DAGS

pytestmark = pytest.mark.usefixtures("dags_folder")

TOKYO, CHICAGO, LONDON, NEW_YORK = "+81312345678", "+13125550147", "+442079460123", "+12125550148"
NO_ZONE = "+15551230150"
RECIPIENTS = [NEW_YORK, TOKYO, LONDON, CHICAGO, NO_ZONE]
WAVES_XCOM_KEY = "twilio_quiet_hours_waves"


def run(dag_id: str) -> Any:
    from airflow.models import DagBag

    dagbag = DagBag(dag_folder=str(DAGS / "send_quiet_hours.py"))
    assert not dagbag.import_errors, dagbag.import_errors
    return dagbag.get_dag(dag_id).test()


def sent_to(emulator: Any, dag_id: str) -> list[str]:
    """Recipients texted by ``dag_id``, oldest first (the emulator lists newest first)."""
    body = f"Your parcel arrives tomorrow ({dag_id})"
    return [m["to"] for m in reversed(emulator.messages()) if m["body"] == body]


def task_instance(dag_run: Any) -> Any:
    return dag_run.get_task_instance("send")


def state(ti: Any) -> str:
    return str(getattr(ti.state, "value", ti.state))


def results(dag_run: Any) -> list[dict[str, Any]]:
    return task_instance(dag_run).xcom_pull(task_ids="send")


def test_defer_sends_in_waves_as_each_window_opens(airflow_db: Path, twilio_emulator: Any) -> None:
    dag_run = run("send_quiet_hours_defer")

    assert state(task_instance(dag_run)) == "success"
    order = sent_to(twilio_emulator, "send_quiet_hours_defer")
    assert Counter(order) == Counter({TOKYO: 1, CHICAGO: 1, LONDON: 1, NEW_YORK: 1})  # each exactly once
    assert sorted(order[:2]) == sorted([TOKYO, CHICAGO]) and order[2:] == [LONDON, NEW_YORK]  # three waves
    waves = task_instance(dag_run).xcom_pull(task_ids="send", key=WAVES_XCOM_KEY)
    assert waves["waves"] == 2 and waves["resume_at"] == "2025-01-15T13:00:00+00:00"  # recorded before the last

    final = results(dag_run)
    assert [r["to"] for r in final] == RECIPIENTS  # one result each, over all waves, in recipient order
    assert all(r["sid"] and r["error_type"] is None for r in final[:4])
    assert final[4]["status"] == "skipped" and final[4]["error_type"] == "QUIET_HOURS"
    assert "no known time zone" in final[4]["error_message"]


def test_skip_policy_reports_quiet_recipients_and_succeeds(airflow_db: Path, twilio_emulator: Any) -> None:
    dag_run = run("send_quiet_hours_skip")

    assert state(task_instance(dag_run)) == "success"
    assert sorted(sent_to(twilio_emulator, "send_quiet_hours_skip")) == sorted([TOKYO, CHICAGO])
    by_to = {r["to"]: r for r in results(dag_run)}
    assert [r["to"] for r in results(dag_run)] == RECIPIENTS
    assert {to: r["status"] for to, r in by_to.items() if r["sid"] is None} == {
        NEW_YORK: "skipped",
        LONDON: "skipped",
        NO_ZONE: "skipped",
    }
    london = by_to[LONDON]["error_message"]
    assert by_to[LONDON]["error_type"] == "QUIET_HOURS"
    assert "02:00 in Europe/London" in london and "opens 2025-01-15T08:00Z" in london
    assert "21:00 in America/New_York" in by_to[NEW_YORK]["error_message"]


def test_retry_after_a_quiet_hours_deferral_texts_nobody_twice(airflow_db: Path, twilio_emulator: Any) -> None:
    """Try 1 sends the first wave, defers, and dies as it resumes; try 2 reads the log and sends the rest."""
    dag_run = run("send_quiet_hours_retry")

    ti = task_instance(dag_run)
    assert state(ti) == "success" and ti.try_number == 2
    order = sent_to(twilio_emulator, "send_quiet_hours_retry")
    assert Counter(order) == Counter({TOKYO: 1, CHICAGO: 1, LONDON: 1, NEW_YORK: 1})
    final = results(dag_run)
    assert [r["to"] for r in final] == RECIPIENTS
    sids = {m["to"]: m["sid"] for m in twilio_emulator.messages()}
    assert {r["to"]: r["sid"] for r in final[:4]} == {to: sids[to] for to in RECIPIENTS[:4]}


def test_notifier_skips_recipients_in_their_quiet_hours(twilio_emulator: Any) -> None:
    """A callback cannot wait: the notifier texts those whose window is open and reports the rest as skipped."""
    from datetime import datetime, timezone

    from airflow_provider_twilio.notifications.sms import TwilioSmsNotifier

    class NotifierAtFixedTime(TwilioSmsNotifier):
        def current_time(self) -> datetime:
            return datetime(2025, 1, 15, 2, 0, tzinfo=timezone.utc)

    notifier = NotifierAtFixedTime(to=RECIPIENTS, body="Load failed", quiet_hours=("21:00", "08:00"))
    outcome = notifier.send()

    assert sorted(m["to"] for m in twilio_emulator.messages()) == sorted([TOKYO, CHICAGO])
    assert [r["to"] for r in outcome.results] == RECIPIENTS
    assert [r["status"] for r in outcome.results if r["sid"] is None] == ["skipped"] * 3
    assert not outcome.failures
