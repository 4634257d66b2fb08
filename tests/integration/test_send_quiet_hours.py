"""Quiet hours under ``dag.test()`` on the real metadata DB against the emulator: waves across four time
zones, the skip policy, and a task retried after a quiet-hours deferral (tests/integration/dags/send_quiet_hours.py)."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from tests.support.dag_files import DAGS

pytestmark = pytest.mark.usefixtures("dags_folder")

WAVES_XCOM_KEY = "twilio_quiet_hours_waves"


def dagbag() -> Any:
    from airflow.models import DagBag

    bag = DagBag(dag_folder=str(DAGS / "send_quiet_hours.py"))
    assert not bag.import_errors, bag.import_errors
    return bag


def run(dag_id: str) -> Any:
    return dagbag().get_dag(dag_id).test()


# The DAGs' recipients, by the zone their prefix is in: Tokyo and Chicago open at the fixed moment, London
# opens at 08:00 UTC, New York at 13:00 UTC, and the last has no known zone.
@dataclass(frozen=True)
class Recipients:
    all: list[str]
    tokyo: list[str]
    chicago: list[str]
    london: list[str]
    new_york: list[str]
    no_zone: str

    @classmethod
    def of_the_dags(cls) -> Recipients:
        to = list(dagbag().get_dag("send_quiet_hours_defer").get_task("send").to)
        zone = {prefix: [n for n in to if n.startswith(prefix)] for prefix in ("+813", "+1312", "+4420", "+1212")}
        return cls(to, zone["+813"], zone["+1312"], zone["+4420"], zone["+1212"], to[-1])


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
    people = Recipients.of_the_dags()
    dag_run = run("send_quiet_hours_defer")

    assert state(task_instance(dag_run)) == "success"
    order = sent_to(twilio_emulator, "send_quiet_hours_defer")
    everyone = people.tokyo + people.chicago + people.london + people.new_york
    assert Counter(order) == Counter(everyone) and len(set(order)) == len(everyone)  # each exactly once
    first, second = len(people.tokyo + people.chicago), len(people.london)
    waves = [set(order[:first]), set(order[first : first + second]), set(order[first + second :])]
    assert waves == [set(people.tokyo + people.chicago), set(people.london), set(people.new_york)]  # opening order
    record = task_instance(dag_run).xcom_pull(task_ids="send", key=WAVES_XCOM_KEY)
    assert record["waves"] == 2 and record["resume_at"] == "2025-01-15T13:00:00+00:00"  # recorded before the last

    final = results(dag_run)
    assert [r["to"] for r in final] == people.all  # one result each, over all waves, in recipient order
    assert all(r["sid"] and r["error_type"] is None for r in final[:-1])
    assert final[-1]["status"] == "skipped" and final[-1]["error_type"] == "QUIET_HOURS"
    assert "no known time zone" in final[-1]["error_message"]


def test_skip_policy_reports_quiet_recipients_and_succeeds(airflow_db: Path, twilio_emulator: Any) -> None:
    people = Recipients.of_the_dags()
    dag_run = run("send_quiet_hours_skip")

    assert state(task_instance(dag_run)) == "success"
    assert sorted(sent_to(twilio_emulator, "send_quiet_hours_skip")) == sorted(people.tokyo + people.chicago)
    by_to = {r["to"]: r for r in results(dag_run)}
    assert [r["to"] for r in results(dag_run)] == people.all
    assert {to: r["status"] for to, r in by_to.items() if r["sid"] is None} == dict.fromkeys(
        [*people.london, *people.new_york, people.no_zone], "skipped"
    )
    london = by_to[people.london[0]]["error_message"]
    assert by_to[people.london[0]]["error_type"] == "QUIET_HOURS"
    assert "02:00 in Europe/London" in london and "opens 2025-01-15T08:00Z" in london
    assert "21:00 in America/New_York" in by_to[people.new_york[0]]["error_message"]


def test_retry_after_a_quiet_hours_deferral_texts_nobody_twice(airflow_db: Path, twilio_emulator: Any) -> None:
    """Try 1 sends the first wave, defers, and dies as it resumes; try 2 reads the log and sends the rest."""
    people = Recipients.of_the_dags()
    dag_run = run("send_quiet_hours_retry")

    ti = task_instance(dag_run)
    assert state(ti) == "success" and ti.try_number == 2
    order = sent_to(twilio_emulator, "send_quiet_hours_retry")
    assert sorted(order) == sorted(people.tokyo + people.chicago + people.london + people.new_york)  # each exactly once
    final = results(dag_run)
    assert [r["to"] for r in final] == people.all
    sids = {m["to"]: m["sid"] for m in twilio_emulator.messages()}
    assert {r["to"]: r["sid"] for r in final[:-1]} == {to: sids[to] for to in people.all[:-1]}


def test_notifier_skips_recipients_in_their_quiet_hours(twilio_emulator: Any) -> None:
    """A callback cannot wait: the notifier texts those whose window is open and reports the rest as skipped."""
    from datetime import datetime, timezone

    from airflow_provider_twilio.notifications.sms import TwilioSmsNotifier

    people = Recipients.of_the_dags()

    class NotifierAtFixedTime(TwilioSmsNotifier):
        def current_time(self) -> datetime:
            return datetime(2025, 1, 15, 2, 0, tzinfo=timezone.utc)

    to = [people.tokyo[0], people.london[0], people.chicago[0], people.new_york[0], people.no_zone]
    notifier = NotifierAtFixedTime(to=to, body="Load failed", quiet_hours=("21:00", "08:00"))
    outcome = notifier.send()

    assert sorted(m["to"] for m in twilio_emulator.messages()) == sorted([people.tokyo[0], people.chicago[0]])
    assert [r["to"] for r in outcome.results] == to
    assert [r["status"] for r in outcome.results if r["sid"] is None] == ["skipped"] * 3
    assert not outcome.failures
