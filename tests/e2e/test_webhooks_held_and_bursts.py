"""Nothing accepted is dropped or left waiting: held webhooks and bursts, in a real Airflow 3.3.

The same real processes as ``test_webhooks_real_airflow.py`` (api-server with two workers, scheduler,
dag-processor; SQLite metadata DB). One test posts signed webhooks for DAGs that are still paused,
so that Airflow has registered no trigger for their watchers, then unpauses them: each webhook must
become exactly one asset event and a DAG run. The other sends bursts of matching texts 74 ms apart and
then nothing: every text's asset event must be consumed by a DAG run, without a later text to push it.
"""

from __future__ import annotations

import sqlite3
import statistics
import time
from datetime import datetime

import pytest

from airflow_provider_twilio.emulator import TwilioEmulator
from airflow_provider_twilio.webhooks import webhooks_supported
from tests.support import webhook_stack
from tests.support.webhook_stack import NUMBER, SENDER, Airflow, post, wait_for

pytestmark = pytest.mark.skipif(
    not webhooks_supported(),
    reason="webhooks need Airflow 3.3+: FastAPI plugins on the api-server (none on 2.11) and the asset state store",
)

# The same real processes (module-scoped: started once for this module).
emulator = webhook_stack.emulator
airflow = webhook_stack.airflow

BURSTS = 3
BURST_SIZE = 5
BURST_GAP = 0.074
"""Seconds between the texts of a burst, as seen in production."""


def _signed_post(stack: Airflow, emu: TwilioEmulator, route: str, form: dict[str, str]) -> int:
    from twilio.request_validator import RequestValidator

    url = f"{stack.base_url}/twilio/twilio_default/{route}"
    return post(url, form, RequestValidator(emu.auth_token).compute_signature(url, form))


def _text(emu: TwilioEmulator, n: int, body: str) -> dict[str, str]:
    sid = f"SM{n:032x}"
    return {"MessageSid": sid, "SmsSid": sid, "AccountSid": emu.account_sid, "From": SENDER, "To": NUMBER,
            "Body": body, "NumMedia": "0"}  # fmt: skip


def _held_rows(stack: Airflow) -> int:
    return int(stack.query("SELECT COUNT(*) FROM asset_state_store WHERE key LIKE 'twilio_held:%'")[0][0])


def _consumed(stack: Airflow, asset: str, dag_id: str) -> list[tuple[int, int]]:
    """(event id, number of runs of the DAG that consumed it) for each event of the asset."""
    return [
        (int(event_id), int(runs))
        for event_id, runs in stack.query(
            "SELECT e.id, (SELECT COUNT(*) FROM dagrun_asset_event x JOIN dag_run r ON r.id = x.dag_run_id "
            "WHERE x.event_id = e.id AND r.dag_id = ?) FROM asset_event e JOIN asset a ON a.id = e.asset_id "
            "WHERE a.name = ? ORDER BY e.id",
            dag_id,
            asset,
        )
    ]


def test_webhooks_before_the_watcher_is_registered_are_held_and_handed_over(
    airflow: Airflow,
    emulator: TwilioEmulator,
) -> None:
    wait_for(
        lambda: (
            airflow.query("SELECT COUNT(*) FROM asset WHERE name IN ('twilio_held_texts', 'twilio_held_deliveries')")[
                0
            ][0]
            == 2
        ),
        "the held DAGs' assets from the dag-processor",
        airflow,
    )
    paused = airflow.query(
        "SELECT is_paused FROM dag WHERE dag_id IN ('webhook_held_texts', 'webhook_held_deliveries')"
    )
    assert [bool(p) for (p,) in paused] == [True, True], "the held DAGs must start paused: no watcher registered"
    before = _held_rows(airflow)

    text = _text(emulator, 0x4E1D, "HELD 42")
    callback = {"MessageSid": "SM" + "d" * 32, "MessageStatus": "read", "AccountSid": emulator.account_sid,
                "To": SENDER, "From": NUMBER}  # fmt: skip
    assert _signed_post(airflow, emulator, "sms", text) == 200
    assert _signed_post(airflow, emulator, "status", callback) == 200
    assert _signed_post(airflow, emulator, "sms", text) == 200  # Twilio's retry: held once
    assert _held_rows(airflow) == before + 2
    # A text no DAG declares a watcher for is answered too, and kept nowhere.
    assert _signed_post(airflow, emulator, "sms", _text(emulator, 0x4E1E, "nobody wants this")) == 200
    assert _held_rows(airflow) == before + 2
    assert airflow.asset_events("twilio_held_texts") == [] and airflow.asset_events("twilio_held_deliveries") == []

    # An asset that already holds its maximum does not keep another webhook, and says so: 503, not 200.
    from airflow_provider_twilio.webhooks.holding import MAX_HELD_PER_ASSET

    [(asset_id,)] = airflow.query("SELECT id FROM asset WHERE name = 'twilio_held_deliveries'")
    filler = [(asset_id, f"twilio_held:status:filler{i}", "{}") for i in range(MAX_HELD_PER_ASSET - 1)]
    with sqlite3.connect(airflow.db, timeout=30) as db:
        db.executemany(
            "INSERT INTO asset_state_store (asset_id, key, value, updated_at) VALUES (?, ?, ?, CURRENT_TIMESTAMP)",
            filler,
        )
    overflow = {**callback, "MessageSid": "SM" + "e" * 32}
    assert _signed_post(airflow, emulator, "status", overflow) == 503
    airflow.query("DELETE FROM asset_state_store WHERE key LIKE 'twilio_held:status:filler%'")
    assert _held_rows(airflow) == before + 2

    airflow.query("UPDATE dag SET is_paused = 0 WHERE dag_id IN ('webhook_held_texts', 'webhook_held_deliveries')")

    (event,) = wait_for(lambda: airflow.asset_events("twilio_held_texts"), "the held text's asset event", airflow)
    assert (event["payload"]["sid"], event["payload"]["body"]) == (text["MessageSid"], "HELD 42")
    assert event["payload"]["match_groups"] == {"n": "42"} and event["from_trigger"] is True
    (status,) = wait_for(
        lambda: airflow.asset_events("twilio_held_deliveries"), "the held callback's asset event", airflow
    )
    assert (status["payload"]["sid"], status["payload"]["status"]) == (callback["MessageSid"], "read")
    wait_for(lambda: airflow.dag_runs("webhook_held_texts"), "a run of webhook_held_texts", airflow)
    wait_for(lambda: airflow.dag_runs("webhook_held_deliveries"), "a run of webhook_held_deliveries", airflow)
    time.sleep(6)  # several hand-over rounds: the held webhooks must not fire again
    assert len(airflow.asset_events("twilio_held_texts")) == 1
    assert len(airflow.asset_events("twilio_held_deliveries")) == 1
    # Twilio sending it again after the hand-over records nothing new either.
    assert _signed_post(airflow, emulator, "sms", text) == 200
    assert len(airflow.asset_events("twilio_held_texts")) == 1

    # Once every worker sees the registered watcher, a new text is recorded at once and not held: the
    # declared watcher is recognised as the registered one.
    n = 0x4E20

    def recorded_at_once() -> bool:
        nonlocal n
        n += 1
        held = _held_rows(airflow)
        assert _signed_post(airflow, emulator, "sms", _text(emulator, n, f"HELD {n}")) == 200
        at_once = any(e["payload"]["body"] == f"HELD {n}" for e in airflow.asset_events("twilio_held_texts"))
        return at_once and _held_rows(airflow) == held

    wait_for(recorded_at_once, "a text recorded at once, without holding it", airflow)


def test_every_text_of_a_burst_is_in_a_dag_run_without_a_later_text(
    airflow: Airflow,
    emulator: TwilioEmulator,
) -> None:
    # The watcher list is cached for a few seconds per worker: send a first text until it is recorded.
    n = 0x8000

    def first_recorded() -> bool:
        nonlocal n
        n += 1
        assert _signed_post(airflow, emulator, "sms", _text(emulator, n, f"BURST {n}")) == 200
        return bool(airflow.asset_events("twilio_burst_texts"))

    wait_for(first_recorded, "the burst watcher to receive texts", airflow)
    for burst in range(BURSTS):
        for _ in range(BURST_SIZE):
            n += 1
            assert _signed_post(airflow, emulator, "sms", _text(emulator, n, f"BURST {n}")) == 200
            time.sleep(BURST_GAP)
        time.sleep(3.0 if burst < BURSTS - 1 else 0)
    sent = n - 0x8000
    # Nothing else arrives now. Every text must be one event, consumed by a run within the bound
    # (asserted as a count: all of them, each by exactly one run; the wait is generous for a loaded machine).
    wait_for(
        lambda: [runs for _, runs in _consumed(airflow, "twilio_burst_texts", "webhook_burst") if runs] == [1] * sent,
        f"all {sent} burst texts consumed by DAG runs",
        airflow,
    )
    consumed = _consumed(airflow, "twilio_burst_texts", "webhook_burst")
    assert len(consumed) == sent and all(runs == 1 for _, runs in consumed), consumed
    latencies = [
        (datetime.fromisoformat(str(queued)) - datetime.fromisoformat(str(stored))).total_seconds()
        for stored, queued in airflow.query(
            "SELECT e.timestamp, r.queued_at FROM asset_event e JOIN asset a ON a.id = e.asset_id "
            "JOIN dagrun_asset_event x ON x.event_id = e.id JOIN dag_run r ON r.id = x.dag_run_id "
            "WHERE a.name = 'twilio_burst_texts' AND r.dag_id = 'webhook_burst'"
        )
    ]
    runs = airflow.dag_runs("webhook_burst")
    print(  # the measured figures, for docs/webhooks.md
        f"\n{sent} burst texts in {runs} runs; stored -> run queued: p50 {statistics.median(latencies):.2f} s, "
        f"max {max(latencies):.2f} s"
    )
