"""Where a signed webhook's CPU goes in the receiver, by phase (not part of ``make bench``; run it by hand).

The receiver app (as the plugin mounts it) in this process with a throwaway SQLite metadata DB and one
registered webhook watcher; ``COUNT`` signed inbound-SMS webhooks from ``CLIENTS`` threads, every thread
of the process under its own profiler (CPU time), merged.

    PYTHONPATH=. .venv/airflow-3/bin/python benchmarks/_profile_webhooks.py [count] [clients]
"""

from __future__ import annotations

import cProfile
import json
import os
import pstats
import subprocess
import sys
import tempfile
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

from _shared import print_phases

HOME = Path(tempfile.mkdtemp(prefix="profile-webhooks-"))
os.environ.update(
    {
        "AIRFLOW_HOME": str(HOME),
        "AIRFLOW__DATABASE__SQL_ALCHEMY_CONN": f"sqlite:///{HOME / 'airflow.db'}",
        "AIRFLOW__CORE__LOAD_EXAMPLES": "False",
        "AIRFLOW__LOGGING__LOGGING_LEVEL": "WARNING",
    }
)
ACCOUNT = "AC" + "0" * 32
TOKEN = "b" * 32
NUMBER = "+15005550006"
BASE = "http://testserver"
PHASES = (
    # (label, file suffix, function name): a phase's cumulative CPU is its function's.
    ("signature and connection (verify)", "webhooks/receiver.py", "verify"),
    ("  connection settings", "webhooks/connections.py", "get"),
    ("  signature", "webhooks/signature.py", "is_signed"),
    ("handler in all (thread side)", "webhooks/receiver.py", "handle"),
    ("first-split mark", "webhooks/deliveries.py", "mark"),
    ("writer batches in all", "webhooks/recording.py", "_write"),
    ("  watchers' events (matching)", "webhooks/receiver.py", "event_for"),
    ("  claims", "webhooks/recording.py", "_claim"),
    ("  asset events (AssetManager)", "webhooks/recording.py", "_record"),
    ("  holding check", "webhooks/holding.py", "hold"),
    ("  queue cover", "webhooks/queueing.py", "cover"),
    ("  commits", "sqlalchemy/orm/session.py", "commit"),
)


TIMED = (
    # (label, module, attribute path): CPU of the calls, by thread_time around each (no profiler).
    ("verify: connection settings and signature", "airflow_provider_twilio.webhooks.receiver", "verify"),
    ("handler (thread side, waits for the writer)", "airflow_provider_twilio.webhooks.receiver", "_inbound_events"),
    ("writer: one batch transaction in all", "airflow_provider_twilio.webhooks.recording", "_write"),
    ("  first-split marks", "airflow_provider_twilio.webhooks.deliveries", "FirstSplit.mark"),
    ("  claims", "airflow_provider_twilio.webhooks.recording", "_claim"),
    ("  asset events (AssetManager)", "airflow_provider_twilio.webhooks.recording", "_record"),
    ("  queue cover", "airflow_provider_twilio.webhooks.queueing", "cover"),
)


def time_phases() -> dict[str, list[float]]:
    """Wrap each TIMED function so that its callers' CPU inside it is added up."""
    import importlib

    spent: dict[str, list[float]] = {}
    for label, module_name, path in TIMED:
        owner: Any = importlib.import_module(module_name)
        *parents, name = path.split(".")
        for parent in parents:
            owner = getattr(owner, parent)
        real = getattr(owner, name)
        spent[label] = [0.0, 0]

        def timed(*args: Any, _real: Any = real, _cell: list[float] = spent[label], **kwargs: Any) -> Any:
            started = time.thread_time()
            try:
                return _real(*args, **kwargs)
            finally:
                _cell[0] += time.thread_time() - started
                _cell[1] += 1

        setattr(owner, name, timed)
    return spent


def main() -> int:
    count = int(sys.argv[1]) if len(sys.argv) > 1 else 500
    clients = int(sys.argv[2]) if len(sys.argv) > 2 else 8
    profiling = os.environ.get("PROFILE", "1") != "0"
    subprocess.run([sys.executable, "-m", "airflow", "db", "migrate"], check=True, capture_output=True)
    connection = {"conn_type": "twilio", "login": ACCOUNT, "password": TOKEN,
                  "extra": {"default_from": NUMBER, "webhook_base_url": BASE}}  # fmt: skip
    os.environ["AIRFLOW_CONN_TWILIO_DEFAULT"] = json.dumps(connection)

    from airflow.models.asset import AssetActive, AssetModel, AssetWatcherModel
    from airflow.models.trigger import Trigger
    from airflow.utils.session import create_session
    from fastapi import FastAPI
    from starlette.testclient import TestClient
    from twilio.request_validator import RequestValidator

    from airflow_provider_twilio.triggers.events import TwilioInboundSmsEventTrigger
    from airflow_provider_twilio.webhooks.receiver import create_app

    with create_session() as session:
        classpath, kwargs = TwilioInboundSmsEventTrigger(pattern=r"^BENCH (?P<n>\d+)$", source="webhook").serialize()
        asset, trigger = AssetModel(name="texts", uri="texts"), Trigger(classpath=classpath, kwargs=kwargs)
        session.add_all([asset, trigger])
        session.flush()
        session.add(AssetWatcherModel(name="texts", asset_id=asset.id, trigger_id=trigger.id))
        session.add(AssetActive.for_asset(asset))
    outer = FastAPI()
    outer.mount("/twilio", create_app())
    validator = RequestValidator(TOKEN)
    path = "/twilio/twilio_default/sms"
    counter = iter(range(1, 10**9))
    lock = threading.Lock()

    def webhook(client: TestClient) -> int:
        with lock:
            n = next(counter)
        sid = f"SM{n:032x}"
        form = {"MessageSid": sid, "SmsSid": sid, "AccountSid": ACCOUNT, "From": "+15551230001", "To": NUMBER,
                "Body": f"BENCH {n}", "NumMedia": "0"}  # fmt: skip
        headers = {"Content-Type": "application/x-www-form-urlencoded",
                   "X-Twilio-Signature": validator.compute_signature(BASE + path, form)}  # fmt: skip
        return int(client.post(path, content=urlencode(form).encode(), headers=headers).status_code)

    profilers: list[cProfile.Profile] = []

    def start_thread_profiler(*_args: object) -> None:
        # Runs in each new thread (threading.setprofile): a CPU-time profiler for the thread's life.
        sys.setprofile(None)
        prof = cProfile.Profile(time.thread_time)
        with lock:
            profilers.append(prof)
        prof.enable()

    spent = {} if profiling else time_phases()
    if profiling:
        threading.setprofile(start_thread_profiler)  # before the server's, the writer's and the clients' threads
    with TestClient(outer) as client:
        with ThreadPoolExecutor(clients) as pool:
            list(pool.map(lambda _: webhook(client), range(50)))  # warm-up
        with lock:
            for prof in profilers:
                prof.clear()
            for cell in spent.values():
                cell[0] = cell[1] = 0
        wall, cpu = time.perf_counter(), time.process_time()
        with ThreadPoolExecutor(clients) as pool:
            statuses = list(pool.map(lambda _: webhook(client), range(count)))
        wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
        threading.setprofile(None)  # type: ignore[arg-type]

    print(f"{count} webhooks from {clients} clients: {count / wall:.0f} req/s, {cpu / count * 1000:.2f} ms CPU each")
    for label, (seconds, calls) in spent.items():
        print(f"  {label:46s} {seconds / count * 1000:7.3f} ms CPU/webhook  ({calls} calls)")
    stats = None
    for prof in profilers:
        prof.create_stats()
        if prof.stats:  # type: ignore[attr-defined]
            stats = pstats.Stats(prof) if stats is None else stats.add(prof)
    print(f"  (profiled; {statuses.count(200)} accepted; threads profiled: {len(profilers)})")
    if stats is None:
        return 0
    print_phases(stats, PHASES, 1000 / count, "webhook")
    return 0


if __name__ == "__main__":
    sys.exit(main())
