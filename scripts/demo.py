"""``make demo``: run the SMS approval example end to end against the bundled Twilio emulator.

Everything happens in a throwaway AIRFLOW_HOME: a fresh SQLite metadata DB, the emulator in this
process standing in for Twilio, and an auto-reply standing in for the approver's phone. Airflow's own
output goes to a log file there, so what is printed is the conversation and what the DAG made of it.
On success nothing is left behind; on failure the log's path is printed and the folder kept.
"""

from __future__ import annotations

import contextlib
import email.utils
import os
import shutil
import subprocess
import sys
import tempfile
import traceback
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any

REPO_ROOT = Path(__file__).resolve().parent.parent
EXAMPLE_DAGS = REPO_ROOT / "example_dags"
DAG_ID = "example_twilio_sms_approval"
APPROVER = "+15551230001"
REPLY = "YES 4821"
REPLY_DELAY = 1.0


@dataclass
class Outcome:
    state: str = "not run"
    task_states: dict[str, str] = field(default_factory=dict)
    match_groups: Any = None
    messages: list[dict[str, Any]] = field(default_factory=list)
    error: str | None = None


def prepare_environment(home: Path) -> None:
    """Point Airflow at the throwaway home before anything imports it."""
    os.environ.update(
        {
            "AIRFLOW_HOME": str(home),
            "AIRFLOW__CORE__DAGS_FOLDER": str(EXAMPLE_DAGS),
            "AIRFLOW__CORE__LOAD_EXAMPLES": "False",
            "AIRFLOW__CORE__UNIT_TEST_MODE": "False",
            "AIRFLOW__DATABASE__SQL_ALCHEMY_CONN": f"sqlite:///{home / 'airflow.db'}",
        }
    )
    os.environ.pop("AIRFLOW_CONN_TWILIO_DEFAULT", None)


@contextlib.contextmanager
def output_to(log: IO[bytes]) -> Iterator[None]:
    """Send everything written to stdout/stderr, by Python or by child processes, to ``log``."""
    sys.stdout.flush()
    sys.stderr.flush()
    saved = os.dup(1), os.dup(2)
    os.dup2(log.fileno(), 1)
    os.dup2(log.fileno(), 2)
    try:
        yield
    finally:
        sys.stdout.flush()
        sys.stderr.flush()
        os.dup2(saved[0], 1)
        os.dup2(saved[1], 2)
        os.close(saved[0])
        os.close(saved[1])


def state_name(state: Any) -> str:
    return str(getattr(state, "value", state))


def run_approval(outcome: Outcome) -> None:
    """Migrate the DB, start the emulator, run the DAG; record what happened in ``outcome``."""
    subprocess.run([sys.executable, "-m", "airflow", "db", "migrate"], check=True)

    from airflow.models import DagBag

    from airflow_provider_twilio.emulator import TwilioEmulator

    with TwilioEmulator() as emulator:
        os.environ["AIRFLOW_CONN_TWILIO_DEFAULT"] = emulator.connection_uri
        emulator.configure(status_delay=0.2)
        emulator.add_auto_reply(to=APPROVER, body=REPLY, delay=REPLY_DELAY, times=1)

        dagbag = DagBag(dag_folder=str(EXAMPLE_DAGS))
        dag = dagbag.get_dag(DAG_ID)
        if dag is None:
            raise RuntimeError(f"{DAG_ID} did not load: {dagbag.import_errors}")
        dag_run = dag.test()

        outcome.state = state_name(dag_run.state)
        outcome.task_states = {ti.task_id: state_name(ti.state) for ti in dag_run.get_task_instances()}
        sensor = dag_run.get_task_instance("wait_for_reply")
        if sensor is not None:
            outcome.match_groups = sensor.xcom_pull(task_ids="wait_for_reply", key="match_groups")
        outcome.messages = list(reversed(emulator.messages()))


def clock(rfc2822: str | None) -> str:
    if not rfc2822:
        return "--:--:--"
    return email.utils.parsedate_to_datetime(rfc2822).strftime("%H:%M:%S")


def print_conversation(messages: list[dict[str, Any]]) -> None:
    """Each message, oldest first: time, from -> to, body, status."""
    print("Conversation:")
    width = max((len(m["body"]) for m in messages), default=0)
    for m in messages:
        arrow = f"{m['from']} -> {m['to']}"
        print(f"  {clock(m.get('date_created'))}  {arrow:<29}  {m['body']:<{width}}  [{m['status']}]")


def print_report(outcome: Outcome) -> None:
    print(f"Approval DAG {DAG_ID!r} against the local Twilio emulator; the approver {APPROVER} is simulated")
    print(f"by an auto-reply ({REPLY!r}, {REPLY_DELAY:g} s after the first text it gets).\n")
    print_conversation(outcome.messages)
    print(f"\nMatch groups pushed by wait_for_reply: {outcome.match_groups}")
    branch = [t for t in ("deploy", "hold") if outcome.task_states.get(t) == "success"]
    print(f"Branch taken: {', '.join(branch) or 'none'}")
    print(f"DAG run: {outcome.state}")


def main() -> int:
    home = Path(tempfile.mkdtemp(prefix="airflow-twilio-demo-"))
    log_path = home / "airflow.log"
    prepare_environment(home)
    outcome = Outcome()
    print("Setting up a throwaway Airflow (metadata DB, emulator) and running the approval DAG...", flush=True)
    with log_path.open("wb") as log, output_to(log):
        try:
            run_approval(outcome)
        except Exception:
            outcome.error = traceback.format_exc()
            print(outcome.error, flush=True)

    ok = outcome.error is None and outcome.state == "success"
    if outcome.messages:
        print_report(outcome)
    if not ok:
        print(f"\nThe demo failed ({outcome.error.splitlines()[-1] if outcome.error else outcome.state}).")
        print(f"Airflow's log: {log_path}")
        return 1
    shutil.rmtree(home, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
