"""Signed webhooks into one real api-server worker: throughput and latency (``make bench``).

A throwaway AIRFLOW_HOME (SQLite) with one DAG whose asset is watched by a webhook-mode
TwilioInboundSmsEventTrigger, registered by ``airflow dags reserialize`` (what a dag-processor does).
Then ``airflow api-server -w 1`` gets signed inbound-SMS webhooks, each a new message that matches,
so every accepted request checks the signature and records one asset event. Reports:
- accepted webhooks per second with 8 concurrent clients, against ``GET /api/v2/version`` on the
  same worker (the same-run baseline: what the api-server answers with no work of ours; target 0.5x);
- p50/p99 latency at a paced 50 requests per second (target: p99 < 100 ms), measured from each
  request's scheduled send time, so a slow answer delays the ones behind it in the figures too;
- that every accepted webhook became exactly one asset event;
- for reference, after the api-server has stopped: the CPU of Airflow's own
  ``AssetManager.register_asset_change`` per event on the same DB and asset (in transactions of 10, as
  the receiver batches them), and the rate a worker would reach if a webhook cost nothing but the
  trivial endpoint's work plus that one event (the most any receiver that writes the event while
  answering can reach).
Exits 0 even when a target is missed.
"""

from __future__ import annotations

import http.client
import json
import os
import shutil
import sqlite3
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

NAME = "webhooks"
ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))  # the process helper lives with the tests that share it

from benchmarks._shared import percentile, row, wait_until  # noqa: E402
from tests.support.airflow_processes import stop_process_group  # noqa: E402
from tests.support.net import free_port  # noqa: E402

ACCOUNT = "AC" + "0" * 32
TOKEN = "b" * 32
NUMBER = "+15005550006"
RATE = 50.0
PACED = 500
CONCURRENCY = 8
BURST = 1000
P99_TARGET = 0.100
RATE_TARGET = 0.5

DAG = """
import pendulum
from airflow.sdk import DAG, Asset, AssetWatcher
from airflow.providers.standard.operators.empty import EmptyOperator
from airflow_provider_twilio.triggers.events import TwilioInboundSmsEventTrigger

texts = Asset("bench_texts", watchers=[AssetWatcher(name="bench_texts",
    trigger=TwilioInboundSmsEventTrigger(pattern=r"^BENCH (?P<n>\\d+)$", source="webhook"))])
with DAG("bench_webhooks", schedule=[texts], start_date=pendulum.datetime(2026, 1, 1), catchup=False):
    EmptyOperator(task_id="noop")
"""


def start(args: list[str], env: dict[str, str], log: Path) -> subprocess.Popen[bytes]:
    with log.open("wb") as out:
        return subprocess.Popen(
            [sys.executable, "-m", "airflow", *args], env=env, stdout=out, stderr=subprocess.STDOUT,
            start_new_session=True, cwd=ROOT,
        )  # fmt: skip


class Client:
    """Keep-alive HTTP connections, one per thread; every webhook is a new, signed, matching message."""

    def __init__(self, port: int) -> None:
        from twilio.request_validator import RequestValidator

        self.port = port
        self.url = f"http://127.0.0.1:{port}/twilio/twilio_default/sms"
        self.validator = RequestValidator(TOKEN)
        self.local = threading.local()
        self.counter = 0
        self.lock = threading.Lock()

    def _conn(self) -> http.client.HTTPConnection:
        conn = getattr(self.local, "conn", None)
        if conn is None:
            conn = self.local.conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=30)
        return conn

    def request(self, method: str, path: str, body: bytes | None = None, headers: dict[str, str] | None = None) -> int:
        conn = self._conn()
        try:
            conn.request(method, path, body=body, headers=headers or {})
            response = conn.getresponse()
            response.read()
            return response.status
        except (OSError, http.client.HTTPException):
            conn.close()
            self.local.conn = None
            raise

    def webhook(self) -> int:
        with self.lock:
            self.counter += 1
            n = self.counter
        sid = f"SM{n:032x}"
        form = {"MessageSid": sid, "SmsSid": sid, "AccountSid": ACCOUNT, "From": "+15551230001", "To": NUMBER,
                "Body": f"BENCH {n}", "NumMedia": "0"}  # fmt: skip
        headers = {
            "Content-Type": "application/x-www-form-urlencoded",
            "X-Twilio-Signature": self.validator.compute_signature(self.url, form),
        }
        return self.request("POST", "/twilio/twilio_default/sms", urlencode(form).encode(), headers)

    def version(self) -> int:
        return self.request("GET", "/api/v2/version")


def closed_loop(call: Callable[[], int], count: int) -> tuple[float, int]:
    """``count`` calls from CONCURRENCY threads as fast as answered: calls per second and how many got 200."""
    started = time.perf_counter()
    with ThreadPoolExecutor(CONCURRENCY) as pool:
        statuses = list(pool.map(lambda _: call(), range(count)))
    return count / (time.perf_counter() - started), statuses.count(200)


def paced(client: Client) -> tuple[list[float], int]:
    """PACED webhooks at RATE per second; latencies from each one's scheduled time."""
    latencies: list[float] = []
    ok = 0
    lock = threading.Lock()
    start_at = time.perf_counter() + 0.2

    def send(i: int) -> None:
        nonlocal ok
        scheduled = start_at + i / RATE
        time.sleep(max(0.0, scheduled - time.perf_counter()))
        status = client.webhook()
        with lock:
            latencies.append(time.perf_counter() - scheduled)
            ok += status == 200

    with ThreadPoolExecutor(CONCURRENCY) as pool:
        list(pool.map(send, range(PACED)))
    return sorted(latencies), ok


ASSET_EVENTS_TIMED = 500
ASSET_EVENTS_PER_TRANSACTION = 10
TIME_ASSET_EVENTS = f"""
import json, time
from airflow.assets.manager import AssetManager
from airflow.serialization.definitions.assets import SerializedAssetUniqueKey
from airflow.utils.session import create_session

asset = SerializedAssetUniqueKey(name="bench_texts", uri="bench_texts")

def record(count):
    for start in range(0, count, {ASSET_EVENTS_PER_TRANSACTION}):
        with create_session() as session:
            for n in range(start, start + {ASSET_EVENTS_PER_TRANSACTION}):
                payload = {{"from_trigger": True, "payload": {{"n": n}}}}
                AssetManager.register_asset_change(asset=asset, extra=payload, session=session)

record(50)  # warm-up: imports, the engine, statement caches
cpu = time.process_time()
record({ASSET_EVENTS_TIMED})
print(json.dumps({{"cpu_ms": (time.process_time() - cpu) / {ASSET_EVENTS_TIMED} * 1000}}))
"""


def asset_event_cpu_ms(env: dict[str, str]) -> float:
    """CPU milliseconds of one ``register_asset_change`` in a process of its own (nothing else running)."""
    done = subprocess.run(
        [sys.executable, "-c", TIME_ASSET_EVENTS], env=env, check=True, capture_output=True, text=True, cwd=ROOT
    )
    return float(json.loads(done.stdout.strip().splitlines()[-1])["cpu_ms"])


def main() -> int:
    from cryptography.fernet import Fernet

    home = Path(tempfile.mkdtemp(prefix="bench-webhooks-"))
    (home / "dags").mkdir()
    (home / "dags" / "bench_webhooks.py").write_text(DAG)
    port = free_port()
    connection = {"conn_type": "twilio", "login": ACCOUNT, "password": TOKEN,
                  "extra": {"default_from": NUMBER, "webhook_base_url": f"http://127.0.0.1:{port}"}}  # fmt: skip
    env = {key: value for key, value in os.environ.items() if not key.startswith(("AIRFLOW_CONN_", "AIRFLOW__"))}
    env.update(
        {
            "AIRFLOW_HOME": str(home),
            "AIRFLOW__DATABASE__SQL_ALCHEMY_CONN": f"sqlite:///{home / 'airflow.db'}",
            "AIRFLOW__CORE__DAGS_FOLDER": str(home / "dags"),
            "AIRFLOW__CORE__LOAD_EXAMPLES": "False",
            "AIRFLOW__CORE__DAGS_ARE_PAUSED_AT_CREATION": "False",
            "AIRFLOW__CORE__FERNET_KEY": Fernet.generate_key().decode(),
            "AIRFLOW__DAG_PROCESSOR__REFRESH_INTERVAL": "2",
            "AIRFLOW__DAG_PROCESSOR__MIN_FILE_PROCESS_INTERVAL": "2",
            "AIRFLOW__LOGGING__LOGGING_LEVEL": "WARNING",
            "AIRFLOW_CONN_TWILIO_DEFAULT": json.dumps(connection),
            "PYTHONPATH": str(ROOT),
        }
    )
    procs: list[subprocess.Popen[bytes]] = []
    db = home / "airflow.db"

    def query(sql: str) -> int:
        with sqlite3.connect(db, timeout=30) as conn:
            return int(conn.execute(sql).fetchone()[0])

    def watcher_registered() -> bool:
        try:
            return query("SELECT COUNT(*) FROM trigger WHERE classpath LIKE 'airflow_provider_twilio.%'") > 0
        except sqlite3.OperationalError:
            return False

    rows: list[dict[str, Any]] = []
    try:
        subprocess.run([sys.executable, "-m", "airflow", "db", "migrate"], env=env, check=True, capture_output=True)
        reserialize = [sys.executable, "-m", "airflow", "dags", "reserialize"]
        subprocess.run(reserialize, env=env, check=True, capture_output=True)
        if not watcher_registered():
            raise RuntimeError("airflow dags reserialize registered no watcher")
        procs.append(start(["api-server", "-H", "127.0.0.1", "-p", str(port), "-w", "1"], env, home / "api.log"))
        client = Client(port)

        def up() -> bool:
            try:
                return client.version() == 200
            except OSError:
                return False

        wait_until(up, "api-server")
        closed_loop(client.webhook, 50)  # warm-up: first requests import, connect, fill caches
        closed_loop(client.version, 50)
        events_before = query("SELECT COUNT(*) FROM asset_event")

        baseline, _ = closed_loop(client.version, BURST)
        rate, accepted = closed_loop(client.webhook, BURST)
        latencies, paced_ok = paced(client)
        events = query("SELECT COUNT(*) FROM asset_event") - events_before
        p50, p99 = percentile(latencies, 0.50), percentile(latencies, 0.99)
        exact = events == accepted + paced_ok == BURST + PACED
        rate_ok = accepted == BURST and rate >= RATE_TARGET * baseline

        print(f"One api-server worker, {CONCURRENCY} concurrent clients, SQLite metadata DB")
        print(f"  GET /api/v2/version: {baseline:.0f} req/s (baseline)")
        print(f"  signed webhooks, checked and recorded: {rate:.0f} req/s ({accepted}/{BURST} accepted)")
        print(f"  paced {RATE:g} req/s: p50 {p50 * 1000:.1f} ms, p99 {p99 * 1000:.1f} ms ({paced_ok}/{PACED} accepted)")
        print(f"  asset events recorded: {events} for {accepted + paced_ok} accepted webhooks")
        for proc in reversed(procs):
            stop_process_group(proc, term_grace=20.0)
        procs.clear()
        event_ms = asset_event_cpu_ms(env)
        trivial_ms = 1000 / baseline
        ceiling = 1000 / (trivial_ms + event_ms)
        print(
            f"  Airflow's register_asset_change alone: {event_ms:.2f} ms CPU per event; a webhook costing only the "
            f"trivial endpoint's {trivial_ms:.2f} ms plus one event: {ceiling:.0f} req/s = {ceiling / baseline:.2f}x"
        )
        rows = [
            row(NAME, "accepted webhooks per second", rate, "req/s", baseline, f">= {RATE_TARGET}x", rate_ok),
            row(NAME, f"latency p50 at {RATE:g} req/s", p50 * 1000, "ms", None, "-", None),
            row(NAME, f"latency p99 at {RATE:g} req/s", p99 * 1000, "ms", None, "< 100 ms", p99 < P99_TARGET),
            row(NAME, "asset events per accepted webhook", events / max(accepted + paced_ok, 1), "", None, "1", exact),
            row(NAME, "Airflow's register_asset_change alone, CPU per event", event_ms, "ms", trivial_ms, "-", None),
            row(NAME, "ceiling: trivial endpoint + one asset event per webhook", ceiling, "req/s", baseline, "-", None),
        ]
    finally:
        for proc in reversed(procs):
            stop_process_group(proc, term_grace=20.0)
        shutil.rmtree(home, ignore_errors=True)
    print("BENCH_JSON " + json.dumps(rows))
    return 0


if __name__ == "__main__":
    sys.exit(main())
