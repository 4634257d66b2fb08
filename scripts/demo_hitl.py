"""``make demo`` (third part), ``make demo-hitl``: Airflow's own approval answered from a phone, no public URL needed.

``example_dags/example_twilio_hitl.py`` is an ``ApprovalOperator`` whose ``TwilioHITLNotifier`` texts
alice and bob. This starts a scheduler, dag-processor and api-server (Airflow 3.3) on a throwaway
SQLite DB, with the bundled emulator standing in for Twilio and an auto-reply standing in for Alice's
phone ("approve", a second after the request reaches her). The connection has no webhook, as in a
deployment Twilio cannot reach: her reply waits in the account until the api-server's inbox poller
reads it (docs/hitl.md, "Without a public URL (pull)"). Then ``example_twilio_hitl_call`` asks the
same on the phone: ``TwilioHITLCallNotifier`` calls Alice, who presses 1 (the key reaches the
api-server's receiver). Prints the conversation, who answered and each run. Everything is torn down;
on failure the processes' logs are kept and their tails printed.
"""

from __future__ import annotations

import json
import secrets
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

REPO_ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO_ROOT))  # the process helper lives with the tests that share it

from demo import print_conversation  # noqa: E402
from demo_sms_command import migrated_db  # noqa: E402

EXAMPLE = REPO_ROOT / "example_dags" / "example_twilio_hitl.py"
DAG_ID, CALL_DAG_ID, TASK_ID = "example_twilio_hitl", "example_twilio_hitl_call", "approve_deploy"
NUMBER, ALICE, REPLY = "+15005550006", "+15551230001", "approve"
POLL_INTERVAL = "2"


def run(airflow: Any, dag_id: str) -> str:
    """Trigger ``dag_id``, wait for its run to end; its state."""
    airflow.wait_for(lambda: airflow.query("SELECT 1 FROM serialized_dag WHERE dag_id = ?", dag_id), f"{dag_id} parsed")
    subprocess.run(
        [sys.executable, "-m", "airflow", "dags", "trigger", dag_id],
        env=airflow.env,
        check=True,
        capture_output=True,
        timeout=300,
    )
    started = time.monotonic()
    airflow.wait_for(lambda: set(airflow.run_states(dag_id).values()) & {"success", "failed"}, f"{dag_id} to end", 300)
    print(f"The run ended after {time.monotonic() - started:.1f} s.")
    return str(next(iter(airflow.run_states(dag_id).values())))


def report(airflow: Any, dag_id: str, state: str, how: str) -> None:
    ((by, chosen),) = airflow.query(
        "SELECT h.responded_by, h.chosen_options FROM hitl_detail h "
        "JOIN task_instance t ON t.id = h.ti_id WHERE t.dag_id = ? AND t.task_id = ?",
        dag_id,
        TASK_ID,
    )
    print(f"Answered in Airflow: {json.loads(chosen)} by {json.loads(by)} ({how})")
    tasks = dict(airflow.query("SELECT task_id, state FROM task_instance WHERE dag_id = ?", dag_id))
    print(f"Tasks: {tasks}")
    print(f"DAG run: {state}")


def main() -> int:
    from airflow_provider_twilio.emulator import TwilioEmulator
    from tests.support.airflow_processes import airflow_stack

    home = Path(tempfile.mkdtemp(prefix="airflow-twilio-demo-hitl-"))
    print("\nStarting Airflow 3 (scheduler, dag-processor, api-server) for the human-in-the-loop DAGs...")
    ok = False
    with TwilioEmulator() as emu:
        emu.add_auto_reply(ALICE, REPLY, delay=1.0, times=1)
        emu.add_call_behaviour(ALICE, answer="human", digits="1", after=0.5)
        with airflow_stack(home / "airflow", migrated_db(home), [EXAMPLE]) as airflow:
            # No SMS webhook anywhere: replies are polled. webhook_base_url is where a call's key goes.
            extras = {"base_url": emu.base_url, "default_from": NUMBER, "webhook_base_url": airflow_url(airflow)}
            login = {"conn_type": "twilio", "login": emu.account_sid, "password": emu.auth_token}
            airflow.env["AIRFLOW_CONN_TWILIO_DEFAULT"] = json.dumps({**login, "extra": extras})
            airflow.env["AIRFLOW__TWILIO__HITL_INBOX_POLL_INTERVAL"] = POLL_INTERVAL
            airflow.env["AIRFLOW__API__SECRET_KEY"] = secrets.token_urlsafe(32)
            try:
                for name in ("api-server", "dag-processor", "scheduler"):
                    airflow.start(name)
                print(f"\n1. By text. {DAG_ID}: {ALICE} (alice) replies {REPLY!r} to the request text.")
                state = run(airflow, DAG_ID)
                texts = [{**m, "body": " / ".join(m["body"].splitlines())} for m in reversed(emu.messages())]
                print_conversation(texts)
                report(airflow, DAG_ID, state, "her reply was read by the api-server's inbox poller")
                print(f"\n2. By call. {CALL_DAG_ID}: {ALICE} (alice) is called first and presses 1.")
                call_state = run(airflow, CALL_DAG_ID)
                for call in reversed(emu.calls()):
                    print(f"  Call {call['from']} -> {call['to']}: {call['status']}, answered by {call['answered_by']}")
                report(airflow, CALL_DAG_ID, call_state, "the key she pressed")
                ok = state == call_state == "success"
            except AssertionError as err:
                print(f"\nThe demo failed: {err}")
            if not ok:
                print(f"Logs kept in {home}")
    if ok:
        shutil.rmtree(home, ignore_errors=True)
    return 0 if ok else 1


def airflow_url(airflow: Any) -> str:
    return f"http://127.0.0.1:{airflow.api_port}"


if __name__ == "__main__":
    sys.exit(main())
