"""Real Airflow 3 processes for tests that ``dag.test()`` cannot cover: asset watchers, triggerer restarts.

``AirflowStack`` runs ``airflow scheduler``, ``dag-processor``, ``triggerer`` and ``api-server`` (the
workers' Execution API) in a throwaway AIRFLOW_HOME with its own copy of the session's migrated SQLite
DB and a DAGs folder holding only the DAG files under test. Every process gets its own process group
and log; every wait is bounded and fails with the processes' log tails; everything is torn down.
"""

from __future__ import annotations

import json
import os
import secrets
import shutil
import signal
import sqlite3
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Iterator
from contextlib import closing, contextmanager, suppress
from pathlib import Path
from typing import Any, TypeVar

from tests.support.net import free_port

T = TypeVar("T")

REPO_ROOT = Path(__file__).resolve().parents[2]
WAIT = 120.0  # seconds for any one thing to happen on a shared 2-core machine
STOP_GRACE = 15.0

# Airflow's own parse timeouts (30 s per DAG file in a DagBag, 50 s per file in the dag-processor)
# assume a machine with time to spare; `make test` runs suites side by side on two cores, where one
# import can take longer. Every Airflow process the tests start gets these.
LOADED_MACHINE_TIMEOUTS = {
    "AIRFLOW__CORE__DAGBAG_IMPORT_TIMEOUT": "300",
    "AIRFLOW__DAG_PROCESSOR__DAG_FILE_PROCESSOR_TIMEOUT": "300",
    # A task's runner gives up on a slow api-server after 5 tries of 5 s (Airflow's defaults): on two
    # loaded cores one start-of-task request waited 40 s and the task never ran.
    "AIRFLOW__WORKERS__EXECUTION_API_TIMEOUT": "60",
    "AIRFLOW__WORKERS__EXECUTION_API_RETRIES": "8",
}

COMMANDS = {
    "scheduler": ["scheduler", "--skip-serve-logs"],
    "dag-processor": ["dag-processor"],
    "triggerer": ["triggerer", "--skip-serve-logs"],
}


def tail(path: Path, lines: int = 30) -> str:
    try:
        return "\n".join(path.read_text(errors="replace").splitlines()[-lines:])
    except OSError:
        return "(no log)"


def stop_process_group(process: subprocess.Popen[Any], term_grace: float = STOP_GRACE, kill_grace: float = 5.0) -> None:
    """Stop a process started with ``start_new_session=True`` and everything it started (its group).

    SIGTERM first, SIGKILL if it lingers past ``term_grace``; then SIGKILL whatever is left in the
    group (workers of a leader that exited first), so no Airflow process outlives its test.
    """
    for sig, grace in ((signal.SIGTERM, term_grace), (signal.SIGKILL, kill_grace)):
        if process.poll() is not None:
            break
        try:
            os.killpg(process.pid, sig)
        except ProcessLookupError:
            break
        with suppress(subprocess.TimeoutExpired):
            process.wait(timeout=grace)
    with suppress(ProcessLookupError):
        os.killpg(process.pid, signal.SIGKILL)


class AirflowStack:
    """The processes of one Airflow 3 deployment on SQLite, started and stopped one by one."""

    def __init__(self, home: Path, session_db: Path, dag_files: list[Path], env: dict[str, str]) -> None:
        self.home = home
        self.dags = home / "dags"
        self.dags.mkdir(parents=True)
        for dag_file in dag_files:
            shutil.copy(dag_file, self.dags / dag_file.name)
        self.db = home / "airflow.db"
        shutil.copyfile(session_db, self.db)  # already migrated: saves an `airflow db migrate`
        self.api_port = free_port()
        self.env = {k: v for k, v in os.environ.items() if not k.startswith("AIRFLOW__")}
        self.env.update(
            {
                "AIRFLOW_HOME": str(home),
                "AIRFLOW__DATABASE__SQL_ALCHEMY_CONN": f"sqlite:///{self.db}",
                "AIRFLOW__CORE__DAGS_FOLDER": str(self.dags),
                "AIRFLOW__CORE__LOAD_EXAMPLES": "False",
                "AIRFLOW__CORE__UNIT_TEST_MODE": "False",
                "AIRFLOW__CORE__DAGS_ARE_PAUSED_AT_CREATION": "False",  # watchers run only for active DAGs
                "AIRFLOW__CORE__EXECUTOR": "LocalExecutor",
                "AIRFLOW__CORE__PARALLELISM": "2",
                "AIRFLOW__CORE__FERNET_KEY": _fernet_key(),
                "AIRFLOW__CORE__EXECUTION_API_SERVER_URL": f"http://127.0.0.1:{self.api_port}/execution/",
                "AIRFLOW__API_AUTH__JWT_SECRET": secrets.token_urlsafe(32),
                "AIRFLOW__API__HOST": "127.0.0.1",
                "AIRFLOW__API__PORT": str(self.api_port),
                "AIRFLOW__SCHEDULER__SCHEDULER_IDLE_SLEEP_TIME": "0.5",
                "AIRFLOW__DAG_PROCESSOR__REFRESH_INTERVAL": "5",
                "AIRFLOW__DAG_PROCESSOR__PARSING_PROCESSES": "1",
                "AIRFLOW__LOGGING__BASE_LOG_FOLDER": str(home / "logs"),
                "PYTHONUNBUFFERED": "1",
                **LOADED_MACHINE_TIMEOUTS,
            }
        )
        self.env.update(env)
        self.processes: dict[str, subprocess.Popen[bytes]] = {}
        self.logs: dict[str, list[Path]] = {}

    # ---- processes -------------------------------------------------------------------------------

    def start(self, name: str) -> None:
        args = COMMANDS.get(name) or ["api-server", "-H", "127.0.0.1", "-p", str(self.api_port), "-w", "1"]
        log = self.home / f"{name}.{len(self.logs.get(name, []))}.log"
        self.logs.setdefault(name, []).append(log)
        with log.open("wb") as out:
            self.processes[name] = subprocess.Popen(
                [sys.executable, "-m", "airflow", *args],
                env=self.env,
                cwd=self.home,
                stdout=out,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        if name == "api-server":
            self.wait_for(self._api_up, "the api-server to answer")

    def kill(self, name: str, sig: int = signal.SIGKILL) -> None:
        """Signal the process and everything it started (its process group), and reap it."""
        process = self.processes.pop(name)
        with suppress(ProcessLookupError):
            os.killpg(process.pid, sig)
        try:
            process.wait(timeout=STOP_GRACE)
        except subprocess.TimeoutExpired:
            with suppress(ProcessLookupError):
                os.killpg(process.pid, signal.SIGKILL)
            process.wait(timeout=STOP_GRACE)
        with suppress(ProcessLookupError):  # children of a leader that exited first
            os.killpg(process.pid, signal.SIGKILL)

    def stop_all(self) -> None:
        for name in list(self.processes):
            self.kill(name, signal.SIGTERM)

    def _api_up(self) -> bool:
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{self.api_port}/api/v2/version", timeout=5) as response:
                return bool(response.status == 200)
        except (urllib.error.URLError, OSError):
            return False

    # ---- waiting and reporting -------------------------------------------------------------------

    def report(self) -> str:
        parts = [f"--- {log.name}\n{tail(log)}" for logs in self.logs.values() for log in logs]
        task_logs = sorted((self.home / "logs").rglob("*.log"))[-4:]
        parts += [f"--- {log.relative_to(self.home)}\n{tail(log, 15)}" for log in task_logs]
        return "\n".join(parts)

    def logged(self, name: str, text: str) -> bool:
        """Whether any run of process ``name`` has logged ``text`` so far."""
        return any(text in log.read_text(errors="replace") for log in self.logs.get(name, []) if log.exists())

    def wait_for(self, probe: Callable[[], T], what: str, timeout: float = WAIT) -> T:
        """Poll ``probe`` until it returns something truthy; fail naming ``what`` with the logs."""
        deadline = time.monotonic() + timeout
        while True:
            value = probe()
            if value:
                return value
            for name, process in self.processes.items():
                assert process.poll() is None, (
                    f"{name} exited ({process.returncode}) waiting for {what}\n{self.report()}"
                )
            assert time.monotonic() < deadline, f"no {what} within {timeout:.0f} s\n{self.report()}"
            time.sleep(0.5)

    # ---- the metadata DB, read directly (short read-only queries; SQLite stays free for Airflow) -----

    def query(self, sql: str, *params: Any) -> list[tuple[Any, ...]]:
        for attempt in range(20):
            try:
                with closing(sqlite3.connect(f"file:{self.db}?mode=ro", uri=True, timeout=5)) as db:
                    return db.execute(sql, params).fetchall()
            except sqlite3.OperationalError:  # locked for a moment by a writer
                if attempt == 19:
                    raise
                time.sleep(0.25)
        return []

    def asset_event_payloads(self, asset: str) -> list[dict[str, Any]]:
        rows = self.query(
            "SELECT e.extra FROM asset_event e JOIN asset a ON a.id = e.asset_id WHERE a.name = ? ORDER BY e.id",
            asset,
        )
        return [json.loads(extra)["payload"] for (extra,) in rows]

    def consumed_events(self, dag_id: str) -> dict[str, list[dict[str, Any]]]:
        """Each DAG run of ``dag_id`` and the payloads of the asset events it consumed."""
        rows = self.query(
            "SELECT r.run_id, e.extra FROM dag_run r JOIN dagrun_asset_event c ON c.dag_run_id = r.id "
            "JOIN asset_event e ON e.id = c.event_id WHERE r.dag_id = ? ORDER BY r.id, e.id",
            dag_id,
        )
        runs: dict[str, list[dict[str, Any]]] = {}
        for run_id, extra in rows:
            runs.setdefault(run_id, []).append(json.loads(extra)["payload"])
        return runs

    def run_states(self, dag_id: str) -> dict[str, str]:
        return dict(self.query("SELECT run_id, state FROM dag_run WHERE dag_id = ?", dag_id))

    def deferral_settled(self, dag_id: str, run_id: str, task_id: str) -> bool:
        """The task instance is deferred, and the scheduler has taken in the exit of the worker that deferred it.

        A trigger that fires before then can get the resumed task failed by Airflow itself: the stale exit
        reads as "executor reported success, but the task instance's state attribute is running" (seen on
        3.1 and 3.3 on a loaded machine). Tests that answer a deferred task wait for this first.
        """
        state = self.query(
            "SELECT state FROM task_instance WHERE dag_id = ? AND run_id = ? AND task_id = ?", dag_id, run_id, task_id
        )
        exit_seen = (
            "Received executor event with state success for task instance "
            f"TaskInstanceKey(dag_id='{dag_id}', task_id='{task_id}', run_id='{run_id}'"
        )
        return state == [("deferred",)] and self.logged("scheduler", exit_seen)


def _fernet_key() -> str:
    from cryptography.fernet import Fernet

    return Fernet.generate_key().decode()


@contextmanager
def airflow_stack(
    home: Path, session_db: Path, dag_files: list[Path], env: dict[str, str] | None = None
) -> Iterator[AirflowStack]:
    stack = AirflowStack(home, session_db, dag_files, env or {})
    try:
        yield stack
    finally:
        stack.stop_all()
