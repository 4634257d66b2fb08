"""The Twilio view's data for a run that texted 1,000 people, on one real api-server worker (``make bench``).

A throwaway AIRFLOW_HOME (SQLite): ``airflow dags test`` runs a DAG whose send operator texts 1,000
recipients through the emulator, then ``airflow api-server -w 1`` serves the view (its plugin from the
plugins folder). A viewer's JWT comes from ``POST /auth/token``. Reports:
- list requests the emulator saw for the first (cold) load of the run's tab data: the target is one
  per connection, whatever the number of messages;
- list requests during the timed loop, against the loop's length over the cache's lifetime;
- time to data, p50 and p99, for ``GET /twilio/ui/api/runs/{dag_id}/{run_id}`` (all 1,000 events,
  masked), against Airflow's own ``GET /api/v2/dags/{dag_id}/dagRuns/{run_id}`` in the same run.
Exits 0 even when a target is missed.
"""

from __future__ import annotations

import http.client
import json
import math
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any
from urllib.parse import quote

NAME = "ui"
ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))  # the process helper lives with the tests that share it

from airflow_provider_twilio.emulator import TwilioEmulator  # noqa: E402
from airflow_provider_twilio.ui.lists import TTL  # noqa: E402
from benchmarks._shared import percentile, row, wait_until  # noqa: E402
from tests.support.airflow_processes import stop_process_group  # noqa: E402
from tests.support.net import free_port  # noqa: E402

RECIPIENTS = 1000
SAMPLES = 200
DAG_ID = "bench_ui"
NUMBER = "+15005550006"
USER, PASSWORD = "bench", "bench-password"
DAG = f"""
import pendulum
from airflow.providers.common.compat.sdk import DAG
from airflow_provider_twilio.operators.sms import TwilioSendSmsOperator

with DAG("{DAG_ID}", schedule=None, start_date=pendulum.datetime(2026, 1, 1), catchup=False):
    TwilioSendSmsOperator(task_id="notify", to=[f"+1555300{{i:04d}}" for i in range({RECIPIENTS})],
                          body="Maintenance tonight at 22:00 UTC", max_concurrency=16)
"""
PLUGIN = "from airflow_provider_twilio.ui.plugin import TwilioUiPlugin\n"


class Client:
    def __init__(self, port: int) -> None:
        self.port = port
        self.token = ""
        self.conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)

    def request(self, method: str, path: str, body: Any = None) -> tuple[int, bytes]:
        headers = {"Content-Type": "application/json"}
        if self.token:
            headers["Authorization"] = f"Bearer {self.token}"
        try:
            self.conn.request(method, path, body=None if body is None else json.dumps(body), headers=headers)
            response = self.conn.getresponse()
            return response.status, response.read()
        except (OSError, http.client.HTTPException):
            self.conn.close()
            self.conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=60)
            raise

    def up(self) -> bool:
        try:
            return self.request("GET", "/api/v2/version")[0] == 200
        except OSError:
            return False

    def timed(self, path: str) -> float:
        start = time.perf_counter()
        status, body = self.request("GET", path)
        json.loads(body)
        elapsed = time.perf_counter() - start
        if status != 200:
            raise RuntimeError(f"GET {path}: {status} {body[:300]!r}")
        return elapsed


def list_requests(emulator: TwilioEmulator) -> int:
    return sum(1 for r in emulator.request_log() if r["method"] == "GET" and r["path"].endswith("/Messages.json"))


def main() -> int:
    from cryptography.fernet import Fernet

    home = Path(tempfile.mkdtemp(prefix="bench-ui-"))
    for folder, name, text in (("dags", "bench_ui.py", DAG), ("plugins", "twilio_ui_plugin.py", PLUGIN)):
        (home / folder).mkdir()
        (home / folder / name).write_text(text)
    (home / "passwords.json").write_text(json.dumps({USER: PASSWORD}))
    port = free_port()
    rows: list[dict[str, Any]] = []
    api: subprocess.Popen[bytes] | None = None
    with TwilioEmulator() as emulator:
        connection = {"conn_type": "twilio", "login": emulator.account_sid, "password": emulator.auth_token,
                      "extra": {"base_url": emulator.base_url, "default_from": NUMBER}}  # fmt: skip
        env = {key: value for key, value in os.environ.items() if not key.startswith(("AIRFLOW_CONN_", "AIRFLOW__"))}
        env.update(
            {
                "AIRFLOW_HOME": str(home),
                "AIRFLOW__DATABASE__SQL_ALCHEMY_CONN": f"sqlite:///{home / 'airflow.db'}",
                "AIRFLOW__CORE__DAGS_FOLDER": str(home / "dags"),
                "AIRFLOW__CORE__PLUGINS_FOLDER": str(home / "plugins"),
                "AIRFLOW__CORE__LOAD_EXAMPLES": "False",
                "AIRFLOW__CORE__FERNET_KEY": Fernet.generate_key().decode(),
                "AIRFLOW__CORE__SIMPLE_AUTH_MANAGER_USERS": f"{USER}:viewer",
                "AIRFLOW__CORE__SIMPLE_AUTH_MANAGER_PASSWORDS_FILE": str(home / "passwords.json"),
                "AIRFLOW__LOGGING__LOGGING_LEVEL": "WARNING",
                "AIRFLOW_CONN_TWILIO_DEFAULT": json.dumps(connection),
                "PYTHONPATH": str(ROOT),
            }
        )
        try:
            subprocess.run([sys.executable, "-m", "airflow", "db", "migrate"], env=env, check=True, capture_output=True)
            started = time.monotonic()
            test = [sys.executable, "-m", "airflow", "dags", "test", DAG_ID]
            subprocess.run(test, env=env, check=True, capture_output=True, timeout=900)
            print(f"Run {DAG_ID}: {RECIPIENTS} texts sent in {time.monotonic() - started:.0f} s (airflow dags test)")
            with (home / "api.log").open("wb") as log:
                api = subprocess.Popen(
                    [sys.executable, "-m", "airflow", "api-server", "-H", "127.0.0.1", "-p", str(port), "-w", "1"],
                    env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True,
                )  # fmt: skip
            client = Client(port)
            wait_until(client.up, "api-server")
            status, body = client.request("POST", "/auth/token", {"username": USER, "password": PASSWORD})
            if status not in (200, 201):
                raise RuntimeError(f"POST /auth/token: {status} {body[:300]!r}")
            client.token = json.loads(body)["access_token"]
            status, body = client.request("GET", f"/api/v2/dags/{DAG_ID}/dagRuns?limit=1")
            run_id = json.loads(body)["dag_runs"][0]["dag_run_id"]
            view = f"/twilio/ui/api/runs/{DAG_ID}/{quote(run_id, safe='')}"
            airflow = f"/api/v2/dags/{DAG_ID}/dagRuns/{quote(run_id, safe='')}"

            emulator.clear_request_log()
            status, body = client.request("GET", view)
            data = json.loads(body)
            cold = list_requests(emulator)
            events = sum(1 for e in data.get("events", []) if e["kind"] == "message")
            delivered = sum(1 for e in data.get("events", []) if e["kind"] == "message" and e["status"])
            print(f"  cold load: {status}, {events} message events ({delivered} with a status), {cold} list request(s)")

            for _ in range(20):  # warm-up
                client.timed(view)
                client.timed(airflow)
            emulator.clear_request_log()
            loop_start = time.monotonic()
            ours, theirs = [], []
            for _ in range(SAMPLES):
                ours.append(client.timed(view))
                theirs.append(client.timed(airflow))
            loop_seconds = time.monotonic() - loop_start
            during = list_requests(emulator)
            allowed = math.ceil(loop_seconds / TTL) + 1
            p50, p99 = percentile(ours, 0.5) * 1000, percentile(ours, 0.99) * 1000
            b50, b99 = percentile(theirs, 0.5) * 1000, percentile(theirs, 0.99) * 1000
            print(f"  {SAMPLES} loads in {loop_seconds:.1f} s: {during} list request(s) (cache {TTL:g} s)")
            print(f"  time to data: p50 {p50:.1f} ms, p99 {p99:.1f} ms (all {RECIPIENTS} events, masked)")
            print(f"  GET /api/v2/dags/.../dagRuns/...: p50 {b50:.1f} ms, p99 {b99:.1f} ms (baseline)")
            rows = [
                row(
                    NAME,
                    f"list requests, cold load of {RECIPIENTS} messages",
                    cold,
                    "",
                    None,
                    "1 per connection",
                    cold == 1,
                ),
                row(NAME, "message events in the tab data", events, "", None, str(RECIPIENTS), events == RECIPIENTS),
                row(NAME, f"list requests over {SAMPLES} loads", during, "", None, f"<= {allowed}", during <= allowed),
                row(NAME, "time to data p50", p50, "ms", b50, "-", None),
                row(NAME, "time to data p99", p99, "ms", b99, "-", None),
            ]
        finally:
            if api is not None:
                stop_process_group(api, term_grace=20.0)
            shutil.rmtree(home, ignore_errors=True)
    print("BENCH_JSON " + json.dumps(rows))
    return 0


if __name__ == "__main__":
    sys.exit(main())
