"""The SMS command example with real Airflow 3 processes: scheduler, dag-processor, triggerer, api-server.

``dag.test()`` cannot run asset watchers, so this starts the real processes on a SQLite DB (see
airflow_processes.py) against the emulator, with ``example_dags/example_twilio_sms_command.py`` as the
only DAG: a "RUN <job>" text must start a run that answers "Started <job>: run <run_id>", and a
triggerer SIGKILLed between texts must neither lose nor repeat one.
"""

from __future__ import annotations

import re
import signal
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from airflow_provider_twilio.triggers.events import EVENT_TRIGGERS_AVAILABLE

pytestmark = [
    pytest.mark.skipif(
        not EVENT_TRIGGERS_AVAILABLE, reason="asset watchers and event triggers exist only on Airflow 3"
    ),
]

EXAMPLE = Path(__file__).resolve().parents[2] / "example_dags" / "example_twilio_sms_command.py"
DAG_ID, ASSET = "example_twilio_sms_command", "sms_commands"
US, ANN, BOB = "+15005550006", "+15551230991", "+15551230992"


@pytest.fixture(scope="module")
def stack(airflow_db: Path, emulator: Any, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Any]:
    from tests.support.airflow_processes import airflow_stack

    env = {
        "AIRFLOW_CONN_TWILIO_DEFAULT": emulator.connection_uri,
        # A SIGKILLed triggerer's watchers move to a new one once its heartbeat is this old.
        "AIRFLOW__TRIGGERER__JOB_HEARTBEAT_SEC": "1",
        "AIRFLOW__TRIGGERER__TRIGGERER_HEALTH_CHECK_THRESHOLD": "5",
    }
    with airflow_stack(tmp_path_factory.mktemp("events-stack"), airflow_db, [EXAMPLE], env) as airflow:
        for name in ("api-server", "dag-processor", "scheduler", "triggerer"):
            airflow.start(name)
        # A new watcher watches from the moment it has set up its checkpoint, which it logs; the shared
        # stream may already poll before that (under load, seconds before), so polls alone do not say
        # that a text sent now will count.
        airflow.wait_for(lambda: airflow.logged("triggerer", "Watching texts to"), "the watcher to start watching")
        polls = watcher_polls(emulator)
        airflow.wait_for(lambda: watcher_polls(emulator) >= polls + 1, "the watcher's next poll of the inbox")
        yield airflow


def watcher_polls(emu: Any) -> int:
    return sum(1 for r in emu.request_log() if r["method"] == "GET" and r["path"].endswith("/Messages.json"))


def acknowledgements(emu: Any, to: str) -> list[str]:
    return sorted(m["body"] for m in emu.messages() if m["direction"] != "inbound" and m["to"] == to)


def test_a_run_text_starts_a_run_that_acknowledges_it(stack: Any, emulator: Any) -> None:
    emulator.inject_inbound(from_=ANN, to=US, body="RUN nightly-report")
    [answer] = stack.wait_for(lambda: acknowledgements(emulator, ANN), "the acknowledgement SMS")
    found = re.fullmatch(r"Started nightly-report: run (\S+)", answer)
    assert found, answer
    runs = stack.consumed_events(DAG_ID)
    assert [p["body"] for p in runs[found.group(1)]] == ["RUN nightly-report"]
    stack.wait_for(lambda: stack.run_states(DAG_ID).get(found.group(1)) == "success", "the run to succeed")


def asset_state_store_available() -> bool:
    try:
        from airflow.sdk.execution_time.context import AssetStateStoreAccessors  # noqa: F401
    except ImportError:
        return False
    return True


@pytest.mark.skipif(
    not asset_state_store_available(),
    reason="texts sent while the triggerer is down fire only with the asset state store (Airflow 3.3+)",
)
def test_each_text_fires_once_across_a_sigkilled_triggerer(stack: Any, emulator: Any) -> None:
    before = len(stack.asset_event_payloads(ASSET))
    # Texts of earlier tests in this module's deployment (if any ran before, in this process) are left out.
    answered = set(acknowledgements(emulator, ANN) + acknowledgements(emulator, BOB))

    def new_events() -> list[dict[str, Any]]:
        return stack.asset_event_payloads(ASSET)[before:]

    for sender, body in ((ANN, "RUN a"), (BOB, "hello"), (ANN, "RUN b"), (BOB, "RUN"), (BOB, "RUN c")):
        emulator.inject_inbound(from_=sender, to=US, body=body)
    stack.wait_for(lambda: len(new_events()) >= 3, "three asset events")
    stack.kill("triggerer", signal.SIGKILL)
    emulator.inject_inbound(from_=ANN, to=US, body="RUN d")
    emulator.inject_inbound(from_=BOB, to=US, body="RUN e")
    polls = watcher_polls(emulator)
    stack.start("triggerer")
    stack.wait_for(lambda: len(new_events()) >= 5, "the two texts sent while the triggerer was down")
    # Let the restarted watcher poll a few more times: a repeated event would have fired by then.
    stack.wait_for(lambda: watcher_polls(emulator) >= polls + 4, "more polls after the restart")

    events = new_events()
    assert [e["body"] for e in events] == ["RUN a", "RUN b", "RUN c", "RUN d", "RUN e"], stack.report()
    assert len({e["sid"] for e in events}) == 5
    assert [e["match_groups"]["job"] for e in events] == ["a", "b", "c", "d", "e"]
    assert [e["from"] for e in events] == [ANN, ANN, BOB, ANN, BOB]
    # Every event is consumed by exactly one DAG run, whose task answers each of its texts once. Airflow
    # 3.3 folds events that arrive close together into one run, and can leave the last of a burst queued
    # until the next event arrives (apache/airflow#54659; 3.4 queues each event, #70972): a later text
    # lets that one through too.
    emulator.inject_inbound(from_=ANN, to=US, body="RUN f")
    stack.wait_for(lambda: len(new_events()) >= 6, "the asset event of a later text")
    sids = [e["sid"] for e in new_events()]

    def consumed() -> list[str]:
        runs = stack.consumed_events(DAG_ID).values()
        return sorted(p["sid"] for payloads in runs for p in payloads if p["sid"] in sids)

    stack.wait_for(lambda: len(consumed()) >= len(sids), "DAG runs for all six events")
    assert consumed() == sorted(sids), "an event was consumed by more than one run"

    def answers(to: str) -> list[str]:
        return [a for a in acknowledgements(emulator, to) if a not in answered]

    stack.wait_for(lambda: len(answers(ANN)) >= 4, "the answers to the first sender")
    stack.wait_for(lambda: len(answers(BOB)) >= 2, "the answers to the second sender")
    jobs = [a.split(":")[0] for a in answers(ANN) + answers(BOB)]
    assert sorted(jobs) == sorted(f"Started {job}" for job in ("a", "b", "c", "d", "e", "f"))


@pytest.mark.skipif(
    not asset_state_store_available(),
    reason="events are queued again by the api-server's webhook plugin, which needs Airflow 3.3+",
)
def test_every_text_of_a_burst_is_in_a_dag_run_without_a_later_text(stack: Any, emulator: Any) -> None:
    """Texts 74 ms apart, and texts stored while the scheduler is busy: each must be in a run, with no later text.

    Airflow 3.3 queues one run per asset and DAG, dated by the first event, and that run consumes only
    events stored up to that date (apache/airflow#54659); the api-server's plugin queues the rest again
    once they have waited ``queueing.REQUEUE_AFTER``, whatever arrives later.
    """
    import statistics
    import time
    from datetime import datetime

    before = len(stack.asset_event_payloads(ASSET))
    bursts = [[f"RUN burst-{burst}-{i}" for i in range(4)] for burst in range(3)]

    def consumed(sids: list[str]) -> list[str]:
        runs = stack.consumed_events(DAG_ID).values()
        return sorted(p["sid"] for payloads in runs for p in payloads if p["sid"] in sids)

    for burst in bursts[:2]:
        for body in burst:
            emulator.inject_inbound(from_=ANN, to=US, body=body)
            time.sleep(0.074)
        time.sleep(3.0)
    stack.wait_for(lambda: len(stack.asset_event_payloads(ASSET)) >= before + 8, "the bursts' asset events")
    paced = [e["sid"] for e in stack.asset_event_payloads(ASSET)[before:]]
    # Nothing else is sent now. Every event is consumed by exactly one run within the (generous) wait.
    stack.wait_for(lambda: len(consumed(paced)) >= len(paced), "DAG runs for every text of the bursts")
    assert consumed(paced) == sorted(paced), "an event was consumed by more than one run"
    latencies = [
        (datetime.fromisoformat(str(queued)) - datetime.fromisoformat(str(stored))).total_seconds()
        for stored, queued, extra in stack.query(
            "SELECT e.timestamp, r.queued_at, e.extra FROM asset_event e "
            "JOIN dagrun_asset_event c ON c.event_id = e.id "
            "JOIN dag_run r ON r.id = c.dag_run_id WHERE r.dag_id = ?",
            DAG_ID,
        )
        if any(sid in extra for sid in paced)
    ]
    print(  # the measured figures, for docs/events.md
        f"\n{len(paced)} polled burst texts; stored -> run queued: "
        f"p50 {statistics.median(latencies):.2f} s, max {max(latencies):.2f} s"
    )

    # The scheduler is away (a long loop, a restart) while the last burst is stored: one queue row,
    # dated by its first event, would leave the others waiting.
    stack.kill("scheduler", signal.SIGTERM)
    for body in bursts[2]:
        emulator.inject_inbound(from_=ANN, to=US, body=body)
        time.sleep(0.074)
    stack.wait_for(lambda: len(stack.asset_event_payloads(ASSET)) >= before + 12, "the last burst's asset events")
    stack.start("scheduler")
    sids = [e["sid"] for e in stack.asset_event_payloads(ASSET)[before:]]
    assert len(sids) == 12 and len(set(sids)) == 12
    stack.wait_for(
        lambda: len(consumed(sids)) >= len(sids), "DAG runs for the texts stored while the scheduler was away"
    )
    assert consumed(sids) == sorted(sids), "an event was consumed by more than one run"
