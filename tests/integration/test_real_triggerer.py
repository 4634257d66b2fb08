"""TwilioInboundSmsTrigger in a real ``airflow triggerer`` process, not the in-process loop of ``dag.test()``.

The test puts a task instance of ``dags/real_triggerer_inbound.py`` in the ``deferred`` state, linked to
a Trigger row built from the sensor's own arguments, and starts ``python -m airflow triggerer`` on the
same SQLite DB. The triggerer must claim the trigger, answer a wrong reply once (``echo_error``) and
hand the matching reply back to the task instance, which the scheduler would then resume. A second
test keeps its connections in the metadata DB, rotates one and deletes the other while they wait.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import datetime, timezone
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

import pytest

from tests.support.airflow_processes import stop_process_group

if TYPE_CHECKING:
    from airflow_provider_twilio.emulator.server import TwilioEmulator

pytestmark = [pytest.mark.every_line, pytest.mark.serial]

REPO_ROOT = Path(__file__).resolve().parents[2]
DAG_FILE = Path(__file__).resolve().parent / "dags" / "real_triggerer_inbound.py"
DAG_ID, TASK_ID = "real_triggerer_inbound", "wait"
US, ANN = "+15005550006", "+15551230971"  # a sender no other test uses
WRONG, RIGHT = "maybe later {{ 7 * 7 }}", "yes 4821"
TIMEOUT = 90.0
# Airflow warns when its triggerer's event loop was blocked for more than 0.2 s. Its own steps can pass
# that on a loaded machine; a trigger importing the SDK or building its client on the loop holds it 0.7 s+.
BLOCKED_LIMIT = 0.5
OUR_TASKS = r"TriggerRunner\.run_trigger\(|name='twilio-inbox-"

T = TypeVar("T")


def airflow_major() -> int:
    from airflow import __version__

    return int(__version__.split(".")[0])


def dagbag_module() -> Any:
    """Where this Airflow 3 keeps its DagBag and bundle helpers: ``dag_processing`` from 3.2, ``models`` before."""
    try:
        from airflow.dag_processing import dagbag
    except ImportError:  # Airflow 3.0 and 3.1
        from airflow.models import dagbag
    return dagbag


def parse_dag_file() -> Any:
    """The DAG file parsed into a DagBag, the way the DAG processor (scheduler on Airflow 2) parses it."""
    if airflow_major() >= 3:
        try:
            from airflow.dag_processing.dagbag import BundleDagBag
        except ImportError:  # Airflow 3.0 and 3.1
            from airflow.models.dagbag import DagBag

            bag = DagBag(dag_folder=str(DAG_FILE), include_examples=False, bundle_path=REPO_ROOT)
        else:
            bag = BundleDagBag(dag_folder=str(DAG_FILE), bundle_path=REPO_ROOT, bundle_name="dags-folder")
    else:
        from airflow.models.dagbag import DagBag

        bag = DagBag(dag_folder=str(DAG_FILE), include_examples=False)
    assert not bag.import_errors, bag.import_errors
    return bag


def build_trigger(sensor: Any, since: str) -> Any:
    """The trigger the sensor's ``execute()`` defers with (sender and reply template as the DAG gives them)."""
    from airflow_provider_twilio.triggers.sms import TwilioInboundSmsTrigger

    return TwilioInboundSmsTrigger(
        pattern=sensor.pattern,
        to=US,
        since=since,
        from_=[sensor.from_],
        ignore_case=sensor.ignore_case,
        echo_error=sensor.echo_error,
        twilio_conn_id=sensor.twilio_conn_id,
        poll_interval=float(sensor.poke_interval),
    )


def create_run_airflow3(bag: Any, run_id: str) -> Any:
    """Serialize the DAG (bundle, DagModel, DagVersion) and start a run, as the dag processor and API would."""
    from airflow.dag_processing.bundles.manager import DagBundlesManager
    from airflow.utils.session import create_session
    from airflow.utils.state import DagRunState
    from airflow.utils.types import DagRunTriggeredByType, DagRunType

    dagbag = dagbag_module()
    with create_session() as session:
        DagBundlesManager().sync_bundles_to_db(session=session)
    with create_session() as session:
        if hasattr(dagbag, "sync_bag_to_db"):  # Airflow 3.1 and later
            dagbag.sync_bag_to_db(bag, "dags-folder", None, session=session)
        else:  # Airflow 3.0
            bag.sync_to_db("dags-folder", None, session=session)
    with create_session() as session:
        from airflow.models import dagbag as stored

        if hasattr(stored, "DBDagBag"):  # Airflow 3.1 and later
            dag = stored.DBDagBag().get_latest_version_of_dag(DAG_ID, session=session)
        else:  # Airflow 3.0
            dag = stored.DagBag(read_dags_from_db=True).get_dag(DAG_ID, session=session)
        assert dag is not None
        now = datetime.now(timezone.utc)
        run = dag.create_dagrun(
            run_id=run_id,
            logical_date=None,
            run_after=now,
            start_date=now,
            run_type=DagRunType.MANUAL,
            triggered_by=DagRunTriggeredByType.TEST,
            state=DagRunState.RUNNING,
            session=session,
        )
        return run.start_date


def create_run_airflow2(bag: Any, run_id: str) -> Any:
    from airflow.utils.session import create_session
    from airflow.utils.state import DagRunState
    from airflow.utils.types import DagRunType

    dag = bag.get_dag(DAG_ID)
    with create_session() as session:
        dag.sync_to_db(session=session)
    with create_session() as session:
        now = datetime.now(timezone.utc)
        run = dag.create_dagrun(
            run_id=run_id,
            execution_date=now,
            data_interval=(now, now),
            start_date=now,
            run_type=DagRunType.MANUAL,
            state=DagRunState.RUNNING,
            external_trigger=True,
            session=session,
        )
        return run.start_date


def defer_task_instance(run_id: str, trigger: Any) -> int:
    """Do what ``BaseOperator.defer`` leads to: a Trigger row and the task instance deferred on it."""
    from airflow.models.taskinstance import TaskInstance
    from airflow.models.trigger import Trigger
    from airflow.utils.session import create_session
    from airflow.utils.state import TaskInstanceState
    from sqlalchemy import select

    with create_session() as session:
        row = Trigger.from_object(trigger)
        session.add(row)
        session.flush()
        ti = session.scalars(
            select(TaskInstance).where(
                TaskInstance.dag_id == DAG_ID, TaskInstance.run_id == run_id, TaskInstance.task_id == TASK_ID
            )
        ).one()
        if airflow_major() >= 3:
            assert ti.dag_version_id is not None  # the triggerer skips task instances without one
        ti.try_number = 1
        ti.state = TaskInstanceState.DEFERRED
        ti.trigger_id = row.id
        ti.next_method = "execute_complete"
        return int(row.id)


def task_instance_state(run_id: str) -> dict[str, Any]:
    """One short read, so the triggerer is never kept waiting on the SQLite lock."""
    from airflow.models.taskinstance import TaskInstance
    from airflow.utils.session import create_session
    from sqlalchemy import select

    with create_session() as session:
        ti = session.scalars(
            select(TaskInstance).where(
                TaskInstance.dag_id == DAG_ID, TaskInstance.run_id == run_id, TaskInstance.task_id == TASK_ID
            )
        ).one()
        return {
            "state": str(ti.state.value if hasattr(ti.state, "value") else ti.state),
            "next_method": ti.next_method,
            "next_kwargs": ti.next_kwargs,
            "trigger_id": ti.trigger_id,
        }


def trigger_log_files(run_id: str) -> list[Path]:
    """The log the triggerer keeps per task instance: ``<task log>.trigger.<triggerer job id>.log``."""
    from airflow.configuration import conf

    base = Path(conf.get("logging", "base_log_folder"))
    return sorted(base.glob(f"dag_id={DAG_ID}/run_id={run_id}/task_id={TASK_ID}/*.trigger.*.log"))


def tail(path: Path, lines: int = 40) -> str:
    return "\n".join(path.read_text(errors="replace").splitlines()[-lines:])


def decoded(next_kwargs: Any) -> dict[str, Any]:
    """``next_kwargs`` as the task would receive them (Airflow 3.2 and later store them serde-encoded)."""
    try:
        from airflow.sdk.serde import deserialize
    except ImportError:  # Airflow 2.11, 3.0 and 3.1: the column reads back as the plain dict
        return dict(next_kwargs)

    value = deserialize(next_kwargs)
    assert isinstance(value, dict)
    return value


@contextmanager
def triggerer(log_path: Path) -> Iterator[subprocess.Popen[bytes]]:
    """``airflow triggerer`` in its own process group, with this test's environment (DB, connection)."""
    from airflow.configuration import conf

    env = os.environ.copy()
    env["AIRFLOW__CORE__FERNET_KEY"] = conf.get("core", "fernet_key")  # the trigger kwargs are encrypted
    env["PYTHONUNBUFFERED"] = "1"
    env["PYTHONASYNCIODEBUG"] = "1"  # asyncio logs each step that holds the event loop over 0.1 s, and its task
    with open(log_path, "wb") as log:
        proc = subprocess.Popen(
            [sys.executable, "-m", "airflow", "triggerer", "--skip-serve-logs"],
            env=env,
            cwd=REPO_ROOT,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        try:
            yield proc
        finally:
            stop_process_group(proc, term_grace=20.0, kill_grace=10.0)


def wait_for(probe: Callable[[], T | None], what: str, proc: subprocess.Popen[bytes], report: Callable[[], str]) -> T:
    deadline = time.monotonic() + TIMEOUT
    while True:
        value = probe()
        if value:
            return value
        assert proc.poll() is None, f"triggerer exited ({proc.returncode}) while waiting for {what}:\n{report()}"
        assert time.monotonic() < deadline, f"no {what} within {TIMEOUT:.0f} s:\n{report()}"
        time.sleep(0.25)


def list_requests(emu: TwilioEmulator) -> int:
    return sum(1 for r in emu.request_log() if r["method"] == "GET" and r["path"].endswith("/Messages.json"))


def test_trigger_runs_in_a_real_triggerer(airflow_db: Path, twilio_emulator: TwilioEmulator, tmp_path: Path) -> None:
    emu = twilio_emulator
    bag = parse_dag_file()
    sensor = bag.get_dag(DAG_ID).get_task(TASK_ID)
    run_id = f"real_triggerer__{time.time_ns()}"
    create_run = create_run_airflow3 if airflow_major() >= 3 else create_run_airflow2
    started = create_run(bag, run_id)
    trigger_id = defer_task_instance(run_id, build_trigger(sensor, started.isoformat()))
    assert task_instance_state(run_id)["state"] == "deferred"

    def error_replies() -> list[str]:
        return [m["body"] for m in emu.messages() if m["direction"] != "inbound" and m["to"] == ANN]

    def resumed() -> dict[str, Any] | None:
        ti = task_instance_state(run_id)
        return ti if ti["state"] != "deferred" else None

    log_path = tmp_path / "triggerer.log"

    def report() -> str:
        logs = [log_path, *trigger_log_files(run_id)]
        return "\n".join(f"--- {path.name}\n{tail(path)}" for path in logs if path.exists())

    def error_reply_while_deferred() -> list[str]:
        replies = error_replies()
        if not replies:
            ti = task_instance_state(run_id)
            assert ti["state"] == "deferred", f"resumed before any error reply: {ti}\n{report()}"
        return replies

    with triggerer(log_path) as proc:
        emu.inject_inbound(from_=ANN, to=US, body=WRONG)
        wait_for(error_reply_while_deferred, "error reply from the triggerer", proc, report)
        # Let the trigger poll a few more times, so a second error reply would have been sent by now.
        polls = list_requests(emu)
        wait_for(lambda: list_requests(emu) >= polls + 3, "further polls", proc, report)
        emu.inject_inbound(from_=ANN, to=US, body=RIGHT)
        ti = wait_for(resumed, "event handed to the task instance", proc, report)

    assert ti["state"] == "scheduled", report()
    assert ti["next_method"] == "execute_complete"
    assert ti["trigger_id"] is None
    event = decoded(ti["next_kwargs"])["event"]
    assert event["status"] == "match", event
    result = event["result"]
    assert result["match_groups"] == {"answer": "yes", "code": "4821"}
    assert result["message"]["from"] == ANN
    assert result["message"]["body"] == RIGHT
    # The wrong reply was answered exactly once, from the triggerer process, and never rendered.
    assert error_replies() == [f"Sorry, '{WRONG}' is not an answer. Reply YES or NO and the code."]
    # The triggerer wrote the trigger's own log lines to the task instance's trigger log.
    files = trigger_log_files(run_id)
    assert files, "the triggerer wrote no trigger log for the task instance"
    trigger_log = "\n".join(path.read_text(errors="replace") for path in files)
    assert trigger_log.count("Sent error reply") == 1, trigger_log
    assert f"(ID {trigger_id})" in trigger_log and " matched" in trigger_log, trigger_log
    # Nothing held the triggerer's event loop: not the first Twilio trigger's start-up (connection, SDK
    # import, client) and not matching. Our steps run in the trigger's task and in the inbox poller's.
    triggerer_log = log_path.read_text(errors="replace")
    ours = [line for line in triggerer_log.splitlines() if " took " in line and re.search(OUR_TASKS, line)]
    assert ours == [], "\n".join(ours)
    blocked = re.findall(r"async thread was blocked for ([0-9.]+) seconds", triggerer_log)
    assert [s for s in blocked if float(s) > BLOCKED_LIMIT] == [], report()


ROTATING, DELETED = "twilio_rotating", "twilio_deleted"
OTHER = "+15005550016"  # a second number: the deleted connection's waiter has its own poller
SLOW_POLL = 3.0  # seconds: each connection change below lands well between two polls


def store_connection(conn_id: str, emu: TwilioEmulator, login: str, password: str) -> None:
    """The connection in the metadata DB, as the UI saves it; replaces one of the same id."""
    import json

    from airflow.models.connection import Connection
    from airflow.utils.session import create_session

    with create_session() as session:
        session.query(Connection).filter(Connection.conn_id == conn_id).delete()
        session.add(
            Connection(
                conn_id=conn_id,
                conn_type="twilio",
                login=login,
                password=password,
                extra=json.dumps({"account_sid": emu.account_sid, "base_url": emu.base_url}),
            )
        )


def delete_connection(conn_id: str) -> None:
    from airflow.models.connection import Connection
    from airflow.utils.session import create_session

    with create_session() as session:
        assert session.query(Connection).filter(Connection.conn_id == conn_id).delete() == 1


def inbox_polls(emu: TwilioEmulator, number: str, status: int | None = None) -> int:
    digits = number.removeprefix("+")
    return sum(
        1
        for r in emu.request_log()
        if r["path"].endswith("/Messages.json") and digits in r["query"] and status in (None, r["status"])
    )


def test_a_real_triggerer_follows_rotated_and_deleted_connections(
    airflow_db: Path, twilio_emulator: TwilioEmulator, tmp_path: Path
) -> None:
    """Connections in the metadata DB: a rotated token is used at the next poll, a deleted connection fails
    its waiter (an error event naming it) and no poll follows, and no connection read holds the event loop."""
    from airflow_provider_twilio.triggers.sms import TwilioInboundSmsTrigger

    emu = twilio_emulator
    first_token = emu.auth_token
    key_sid, key_secret = emu.create_api_key()
    store_connection(ROTATING, emu, emu.account_sid, emu.auth_token)
    store_connection(DELETED, emu, key_sid, key_secret)  # an API key: the token rotation leaves it working
    bag = parse_dag_file()
    sensor = bag.get_dag(DAG_ID).get_task(TASK_ID)
    create_run = create_run_airflow3 if airflow_major() >= 3 else create_run_airflow2
    runs = {}
    for conn_id, number in ((ROTATING, US), (DELETED, OTHER)):
        run_id = f"real_triggerer_{conn_id}__{time.time_ns()}"
        started = create_run(bag, run_id)
        trigger = TwilioInboundSmsTrigger(
            pattern=sensor.pattern,
            to=number,
            since=started.isoformat(),
            from_=[ANN],
            ignore_case=True,
            twilio_conn_id=conn_id,
            poll_interval=SLOW_POLL,
        )
        defer_task_instance(run_id, trigger)
        runs[conn_id] = run_id

    log_path = tmp_path / "triggerer.log"

    def report() -> str:
        return f"--- {log_path.name}\n{tail(log_path)}" if log_path.exists() else "(no triggerer log)"

    def resumed(conn_id: str) -> dict[str, Any] | None:
        ti = task_instance_state(runs[conn_id])
        return ti if ti["state"] != "deferred" else None

    def next_poll(number: str, after: int) -> Callable[[], bool]:
        return lambda: inbox_polls(emu, number) > after

    with triggerer(log_path) as proc:
        wait_for(next_poll(US, 1), "two polls with the first token", proc, report)
        # Right after a poll: the token changes at Twilio, then in the connection, long before the next one.
        wait_for(next_poll(US, inbox_polls(emu, US)), "a poll to rotate after", proc, report)
        emu.rotate_auth_token()
        store_connection(ROTATING, emu, emu.account_sid, emu.auth_token)
        polls = inbox_polls(emu, US)
        wait_for(next_poll(US, polls + 1), "two polls with the new token", proc, report)

        wait_for(next_poll(OTHER, 1), "polls of the other number", proc, report)
        wait_for(next_poll(OTHER, inbox_polls(emu, OTHER)), "a poll to delete after", proc, report)
        delete_connection(DELETED)
        polls_before_deletion = inbox_polls(emu, OTHER)
        failed = wait_for(lambda: resumed(DELETED), "the error event of the deleted connection", proc, report)
        assert resumed(ROTATING) is None, "the rotated connection's waiter ended"

        emu.inject_inbound(from_=ANN, to=US, body=RIGHT)
        matched = wait_for(lambda: resumed(ROTATING), "the match after the rotation", proc, report)
        polls_after_deletion = inbox_polls(emu, OTHER) - polls_before_deletion

    error = decoded(failed["next_kwargs"])["event"]
    assert error["status"] == "error", error
    assert error["message"].startswith(f"Twilio connection {DELETED!r} no longer exists"), error
    assert polls_after_deletion == 0, report()
    event = decoded(matched["next_kwargs"])["event"]
    assert event["status"] == "match", event
    assert event["result"]["message"]["body"] == RIGHT
    assert inbox_polls(emu, US, status=401) == 0, report()
    triggerer_log = log_path.read_text(errors="replace")
    assert all(secret not in triggerer_log for secret in (first_token, emu.auth_token, key_secret))
    ours = [line for line in triggerer_log.splitlines() if " took " in line and re.search(OUR_TASKS, line)]
    assert ours == [], "\n".join(ours)
    blocked = re.findall(r"async thread was blocked for ([0-9.]+) seconds", triggerer_log)
    assert [s for s in blocked if float(s) > BLOCKED_LIMIT] == [], report()
