"""Airflow's own approvals answered from a phone, in real Airflow processes on SQLite, against the emulator.

A scheduler (LocalExecutor), a dag-processor, the api-server and, before Airflow 3.3 (where the HITL
task defers to Airflow's ``HITLTrigger``), a triggerer run two DAGs:

- ``hitl_pull_approval``: ``TwilioHITLNotifier`` texts Alice and Bob on a connection with no webhook at
  all; Alice's reply "approve" sits in the account's inbox until the api-server's inbox poller
  (``answers/inbox.py``) reads it. On every line with human-in-the-loop (3.1+): ``every_line``.
- ``hitl_call_approval`` (3.3+, the key comes through the webhook receiver): ``TwilioHITLCallNotifier``
  calls Alice, who presses 1; Bob is never called.
"""

from __future__ import annotations

import json
import secrets
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs

import pytest

from airflow_provider_twilio.emulator import TwilioEmulator

DAGS = Path(__file__).resolve().parent / "hitl_dags"
PULL_DAG, CALL_DAG, TASK_ID = "hitl_pull_approval", "hitl_call_approval", "approve_deploy"
ALICE, BOB = "+15551230081", "+15551230082"
CALLED_FIRST, CALLED_SECOND = "+15551230083", "+15551230084"
NUMBER = "+15005550006"
POLL_INTERVAL = "1"


def airflow_line() -> tuple[int, int]:
    from airflow import __version__

    major, minor = __version__.split(".")[:2]
    return int(major), int(minor)


pytestmark = pytest.mark.skipif(
    airflow_line() < (3, 1), reason="human-in-the-loop operators exist on Airflow 3.1+ (not on 2.11 or 3.0)"
)


@pytest.fixture(scope="module")
def emulator() -> Iterator[TwilioEmulator]:
    with TwilioEmulator() as emu:
        emu.configure(status_delay=0.05)
        emu.add_auto_reply(ALICE, "Approve", delay=1.0, times=1)  # Alice answers the request text
        emu.add_call_behaviour(CALLED_FIRST, answer="human", digits="1", after=0.2)
        emu.add_call_behaviour(CALLED_SECOND, answer="human", digits="2", after=0.2)
        yield emu


@pytest.fixture(scope="module")
def stack(airflow_db: Path, emulator: TwilioEmulator, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Any]:
    from tests.support.airflow_processes import airflow_stack

    dag_files = [DAGS / f"{PULL_DAG}.py"]
    if airflow_line() >= (3, 3):
        dag_files.append(DAGS / f"{CALL_DAG}.py")
    with airflow_stack(tmp_path_factory.mktemp("hitl-stack"), airflow_db, dag_files) as airflow:
        connection = {"conn_type": "twilio", "login": emulator.account_sid, "password": emulator.auth_token}
        # The text notifier's connection has no webhook at all: answers come only through the poller.
        plain = {"base_url": emulator.base_url, "default_from": NUMBER}
        airflow.env["AIRFLOW_CONN_TWILIO_DEFAULT"] = json.dumps({**connection, "extra": plain})
        calls = {**plain, "webhook_base_url": f"http://127.0.0.1:{airflow.api_port}"}
        airflow.env["AIRFLOW_CONN_TWILIO_CALLS"] = json.dumps({**connection, "extra": calls})
        airflow.env["AIRFLOW__API__SECRET_KEY"] = secrets.token_urlsafe(32)
        airflow.env["AIRFLOW__TWILIO__HITL_INBOX_POLL_INTERVAL"] = POLL_INTERVAL
        processes = ["api-server", "dag-processor", "scheduler"]
        if airflow_line() < (3, 3):
            processes.append("triggerer")  # HITLTrigger resumes the deferred task
        for name in processes:
            airflow.start(name)
        yield airflow


def trigger(stack: Any, dag_id: str) -> None:
    stack.wait_for(lambda: stack.query("SELECT 1 FROM serialized_dag WHERE dag_id = ?", dag_id), f"{dag_id} parsed")
    subprocess.run(
        [sys.executable, "-m", "airflow", "dags", "trigger", dag_id],
        env=stack.env,
        check=True,
        capture_output=True,
        timeout=300,
    )


def wait_until_ended(stack: Any, dag_id: str) -> str:
    states = stack.wait_for(
        lambda: set(stack.run_states(dag_id).values()) & {"success", "failed"} and stack.run_states(dag_id),
        f"{dag_id} to end",
        timeout=300,
    )
    return str(next(iter(states.values())))


def response(stack: Any, dag_id: str) -> tuple[Any, Any]:
    ((chosen, responded_by),) = stack.query(
        "SELECT h.chosen_options, h.responded_by FROM hitl_detail h JOIN task_instance t ON t.id = h.ti_id "
        "WHERE t.dag_id = ? AND t.task_id = ?",
        dag_id,
        TASK_ID,
    )
    return json.loads(chosen), json.loads(responded_by)


def task_states(stack: Any, dag_id: str) -> dict[str, str]:
    return dict(stack.query("SELECT task_id, state FROM task_instance WHERE dag_id = ?", dag_id))


@pytest.mark.every_line
def test_an_approval_is_answered_by_text_with_no_webhook_through_the_inbox_poller(
    stack: Any, emulator: TwilioEmulator
) -> None:
    trigger(stack, PULL_DAG)
    assert wait_until_ended(stack, PULL_DAG) == "success", stack.report()
    assert task_states(stack, PULL_DAG) == {TASK_ID: "success", "deploy": "success"}
    chosen, responded_by = response(stack, PULL_DAG)
    assert chosen == ["Approve"] and responded_by["id"] == "alice"

    texts = emulator.messages()
    to_alice = [m["body"] for m in texts if m["to"] == ALICE and m["direction"].startswith("outbound")]
    assert len(to_alice) == 2 and to_alice[0].startswith("Recorded: Approve"), to_alice  # newest first
    # Nothing came by webhook: the poller read Alice's reply with a list of what she sent.
    assert [d for d in emulator.webhook_log() if d["kind"] == "sms"] == []
    lists = [parse_qs(r["query"]) for r in emulator.request_log() if r["path"].endswith("/Messages.json")]
    assert any(query.get("From") == [ALICE] and "To" not in query for query in lists)


@pytest.mark.skipif(
    airflow_line() < (3, 3), reason="a key reaches Airflow through the webhook receiver, an api-server plugin of 3.3+"
)
def test_the_call_notifier_calls_in_order_and_the_first_person_presses_1_to_approve(
    stack: Any, emulator: TwilioEmulator
) -> None:
    trigger(stack, CALL_DAG)
    assert wait_until_ended(stack, CALL_DAG) == "success", stack.report()
    assert task_states(stack, CALL_DAG) == {TASK_ID: "success", "deploy": "success"}
    chosen, responded_by = response(stack, CALL_DAG)
    assert chosen == ["Approve"] and responded_by["id"] == "alice"

    calls = emulator.calls()
    assert [c["to"] for c in calls if c["to"] in (CALLED_FIRST, CALLED_SECOND)] == [CALLED_FIRST]  # Bob never rang
    (call,) = [c for c in calls if c["to"] == CALLED_FIRST]
    choices = [d for d in emulator.webhook_log() if d["kind"] == "voice" and d["sid"] == call["sid"]]
    assert [d["status"] for d in choices] == [200]
    assert choices[0]["url"].startswith(f"http://127.0.0.1:{stack.api_port}/twilio/twilio_calls/choice?")
