"""A real Airflow 3.3 deployment for webhook tests: an api-server with the plugin, a scheduler and a dag-processor.

Module-scoped fixtures (``emulator``, ``airflow``) that a test module imports into its namespace, and the
helpers to post signed webhooks and read what Airflow recorded straight from the SQLite metadata DB.
The DAGs are those in ``tests/e2e/webhook_dags``.
"""

from __future__ import annotations

import json
import os
import shutil
import sqlite3
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar
from urllib.parse import urlencode

import pytest

from airflow_provider_twilio.emulator import TwilioEmulator
from tests.support.airflow_processes import LOADED_MACHINE_TIMEOUTS, stop_process_group
from tests.support.net import free_port

REPO_ROOT = Path(__file__).resolve().parents[2]
DAGS = REPO_ROOT / "tests" / "e2e" / "webhook_dags"
SENDER = "+15551230001"
NUMBER = "+15005550006"
TIMEOUT = 150.0
T = TypeVar("T")


@dataclass
class Airflow:
    base_url: str
    db: Path
    logs: list[Path]

    def query(self, sql: str, *args: Any) -> list[tuple[Any, ...]]:
        with sqlite3.connect(self.db, timeout=30) as conn:
            return conn.execute(sql, args).fetchall()

    def asset_events(self, asset: str) -> list[dict[str, Any]]:
        rows = self.query(
            "SELECT e.extra FROM asset_event e JOIN asset a ON a.id = e.asset_id WHERE a.name = ? ORDER BY e.id", asset
        )
        return [json.loads(extra) for (extra,) in rows]

    def dag_runs(self, dag_id: str) -> int:
        return int(self.query("SELECT COUNT(*) FROM dag_run WHERE dag_id = ?", dag_id)[0][0])

    def report(self) -> str:
        parts = []
        for log in self.logs:
            lines = log.read_text(errors="replace").splitlines()[-25:] if log.exists() else ["(no log)"]
            parts.append(f"--- {log.name}\n" + "\n".join(lines))
        return "\n".join(parts)


@contextmanager
def process(args: list[str], env: dict[str, str], log: Path) -> Iterator[subprocess.Popen[bytes]]:
    with log.open("wb") as out:
        proc = subprocess.Popen(
            [sys.executable, "-m", "airflow", *args],
            env=env,
            cwd=REPO_ROOT,
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    try:
        yield proc
    finally:
        stop_process_group(proc, term_grace=20.0)


def wait_for(probe: Callable[[], T], what: str, airflow: Airflow) -> T:
    deadline = time.monotonic() + TIMEOUT
    while True:
        value = probe()
        if value:
            return value
        assert time.monotonic() < deadline, f"no {what} within {TIMEOUT:.0f} s:\n{airflow.report()}"
        time.sleep(0.5)


def post(url: str, form: dict[str, str], signature: str | None = None, body: bytes | None = None) -> int:
    headers = {"Content-Type": "application/x-www-form-urlencoded"}
    if signature is not None:
        headers["X-Twilio-Signature"] = signature
    request = urllib.request.Request(url, data=body or urlencode(form).encode(), headers=headers, method="POST")
    try:
        with urllib.request.urlopen(request, timeout=30) as response:
            return int(response.status)
    except urllib.error.HTTPError as err:
        return int(err.code)


@pytest.fixture(scope="module")
def emulator() -> Iterator[TwilioEmulator]:
    with TwilioEmulator() as emu:
        yield emu


@pytest.fixture(scope="module")
def airflow(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory, emulator: TwilioEmulator
) -> Iterator[Airflow]:
    from cryptography.fernet import Fernet

    airflow_db: Path = request.getfixturevalue("airflow_db")
    home = tmp_path_factory.mktemp("airflow-webhooks-home")
    shutil.copyfile(airflow_db, home / "airflow.db")
    port = free_port()
    base_url = f"http://127.0.0.1:{port}"
    extras = {"base_url": emulator.base_url, "default_from": NUMBER, "webhook_base_url": base_url}
    connection = {
        "conn_type": "twilio",
        "login": emulator.account_sid,
        "password": emulator.auth_token,
        "extra": extras,
    }
    env = {key: value for key, value in os.environ.items() if not key.startswith(("AIRFLOW_CONN_", "AIRFLOW__"))}
    env.update(
        {
            "AIRFLOW_HOME": str(home),
            "AIRFLOW__DATABASE__SQL_ALCHEMY_CONN": f"sqlite:///{home / 'airflow.db'}",
            "AIRFLOW__CORE__DAGS_FOLDER": str(DAGS),
            "AIRFLOW__CORE__LOAD_EXAMPLES": "False",
            "AIRFLOW__CORE__DAGS_ARE_PAUSED_AT_CREATION": "False",
            "AIRFLOW__CORE__PARALLELISM": "2",
            "AIRFLOW__CORE__FERNET_KEY": Fernet.generate_key().decode(),
            "AIRFLOW__CORE__EXECUTION_API_SERVER_URL": f"{base_url}/execution/",
            "AIRFLOW__DAG_PROCESSOR__REFRESH_INTERVAL": "2",
            "AIRFLOW__DAG_PROCESSOR__MIN_FILE_PROCESS_INTERVAL": "2",
            "AIRFLOW__SCHEDULER__SCHEDULER_HEARTBEAT_SEC": "1",
            "AIRFLOW__CORE__AUTH_MANAGER": (
                "airflow.api_fastapi.auth.managers.simple.simple_auth_manager.SimpleAuthManager"
            ),
            "AIRFLOW__CORE__SIMPLE_AUTH_MANAGER_ALL_ADMINS": "True",
            "AIRFLOW_CONN_TWILIO_DEFAULT": json.dumps(connection),
            "PYTHONUNBUFFERED": "1",
            "PYTHONPATH": str(REPO_ROOT),
            **LOADED_MACHINE_TIMEOUTS,
        }
    )
    logs = [home / "api-server.log", home / "scheduler.log", home / "dag-processor.log"]
    found = Airflow(base_url=base_url, db=home / "airflow.db", logs=logs)
    with ExitStack() as stack:
        # Two workers: concurrent copies of one webhook can reach different processes.
        stack.enter_context(process(["api-server", "-H", "127.0.0.1", "-p", str(port), "-w", "2"], env, logs[0]))
        stack.enter_context(process(["scheduler", "--skip-serve-logs"], env, logs[1]))
        stack.enter_context(process(["dag-processor"], env, logs[2]))

        def up() -> bool:
            try:
                with urllib.request.urlopen(f"{base_url}/api/v2/version", timeout=5) as response:
                    return response.status == 200
            except (urllib.error.URLError, OSError):
                return False

        wait_for(up, "api-server", found)

        def watchers() -> bool:
            try:
                rows = found.query("SELECT COUNT(*) FROM trigger WHERE classpath LIKE 'airflow_provider_twilio.%'")
            except sqlite3.OperationalError:
                return False
            return rows[0][0] >= 2

        wait_for(watchers, "watcher triggers from the dag-processor", found)
        yield found
