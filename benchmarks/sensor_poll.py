"""Waiting for replies: what a poke and a waiting trigger cost (``make bench``).

The emulator runs in its own process with a large history already in the inbox. Reports, from one run:
- requests and bytes per idle poke of TwilioInboundSmsSensor at 1,000 / 10,000 / 100,000 stored
  messages, against a plain ``client.messages.list(to=...)`` scan (at Twilio's largest page size);
- for 500 deferred TwilioInboundSmsTriggers waiting on one number in one event loop: list requests per
  poll interval against a single trigger's, memory per waiting trigger, and the latency from a reply
  arriving to its trigger firing (p50/p99; target: within one poll interval + 1 s).
Exits 0 even when a target is missed.
"""

from __future__ import annotations

import asyncio
import json
import os
import random
import statistics
import subprocess
import sys
import textwrap
import time
import tracemalloc
import urllib.request
from datetime import datetime, timezone
from types import SimpleNamespace
from typing import Any

NAME = "sensor_poll"
US = "+15005550006"
HISTORY_STEPS = (1_000, 10_000, 100_000)
TRIGGERS = 500
INTERVAL = 1.0
MEASURED_INTERVALS = 4

EMULATOR = textwrap.dedent(
    """
    import json, sys
    from airflow_provider_twilio.emulator import TwilioEmulator
    with TwilioEmulator() as emu:
        print(json.dumps({"uri": emu.connection_uri, "base_url": emu.base_url}), flush=True)
        stored = 0
        for line in sys.stdin:
            target = int(line)
            while stored < target:
                emu.inject_inbound(from_=f"+1555{stored % 5000:07d}", to="+15005550006", body=f"history {stored}")
                stored += 1
            print("ok", flush=True)
    """
)


class Emulator:
    """The emulator process: grow its history, read and clear its request log, inject replies."""

    def __init__(self) -> None:
        self.proc = subprocess.Popen(
            [sys.executable, "-c", EMULATOR], stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True
        )
        assert self.proc.stdout is not None
        info = json.loads(self.proc.stdout.readline())
        self.uri, self.base_url = info["uri"], info["base_url"]

    def grow_to(self, count: int) -> None:
        assert self.proc.stdin is not None and self.proc.stdout is not None
        self.proc.stdin.write(f"{count}\n")
        self.proc.stdin.flush()
        assert self.proc.stdout.readline().strip() == "ok"

    def _call(self, method: str, path: str, payload: dict[str, Any] | None = None) -> Any:
        data = json.dumps(payload).encode() if payload is not None else None
        request = urllib.request.Request(
            self.base_url + path, data=data, method=method, headers={"Content-Type": "application/json"}
        )
        with urllib.request.urlopen(request, timeout=30) as response:
            body = response.read()
        return json.loads(body) if body else None

    def list_requests(self) -> list[dict[str, Any]]:
        log = self._call("GET", "/_emulator/requests")["requests"]
        return [r for r in log if r["method"] == "GET" and r["path"].endswith("/Messages.json")]

    def clear_log(self) -> None:
        self._call("DELETE", "/_emulator/requests")

    def inject(self, from_: str, body: str) -> None:
        self._call("POST", "/_emulator/inbound", {"from": from_, "to": US, "body": body})

    def close(self) -> None:
        if self.proc.stdin is not None:
            self.proc.stdin.close()
        self.proc.wait(timeout=30)


def row(
    metric: str, value: float, unit: str, baseline: float | None, target: str, ok: bool | None, benchmark: str = NAME
) -> dict:
    ratio = round(value / baseline, 6) if baseline else None
    return {
        "benchmark": benchmark,
        "metric": metric,
        "value": round(value, 3),
        "unit": unit,
        "baseline": round(baseline, 3) if baseline is not None else None,
        "ratio": ratio,
        "target": target,
        "ok": ok,
    }


def next_second() -> datetime:
    time.sleep(1.02 - (time.time() % 1))
    return datetime.now(timezone.utc)


def idle_pokes(emu: Emulator) -> list[dict]:
    from airflow_provider_twilio.hooks.twilio import TwilioHook
    from airflow_provider_twilio.sensors.sms import TwilioInboundSmsSensor

    class TI:
        def xcom_push(self, key: str, value: Any) -> None:
            pass

    rows: list[dict] = []
    print(f"{'history':>9} | {'ours: requests':>14} {'bytes':>9} | {'plain list: requests':>20} {'bytes':>12}")
    for size in HISTORY_STEPS:
        emu.grow_to(size)
        since = next_second()
        sensor = TwilioInboundSmsSensor(task_id="wait", pattern=r"^YES (\d{4})$", poke_interval=1)
        context = {"dag_run": SimpleNamespace(start_date=since), "ti": TI()}
        sensor._wait = sensor._prepare(context)
        sensor.poke(context)  # the first poke reads the window; the next ones are the idle ones we measure
        emu.clear_log()
        pokes = 5
        for _ in range(pokes):
            assert sensor.poke(context) is False
        ours = emu.list_requests()
        ours_requests, ours_bytes = len(ours) / pokes, sum(r["response_bytes"] for r in ours) / pokes

        emu.clear_log()
        client = TwilioHook().get_conn()
        scanned = len(client.messages.list(to=US, page_size=1000))
        plain = emu.list_requests()
        plain_requests, plain_bytes = len(plain), sum(r["response_bytes"] for r in plain)
        assert scanned >= size
        print(f"{size:>9,} | {ours_requests:>14g} {ours_bytes:>9,.0f} | {plain_requests:>20} {plain_bytes:>12,}")
        rows.append(
            row(
                f"requests per idle poke, {size:,} messages",
                ours_requests,
                "req",
                plain_requests,
                "1",
                ours_requests == 1,
            )
        )
        rows.append(row(f"bytes per idle poke, {size:,} messages", ours_bytes, "B", plain_bytes, "-", None))
    return rows


async def waiting_triggers(emu: Emulator, count: int, measure_memory: bool) -> dict[str, Any]:
    from airflow_provider_twilio.triggers import inbox_poller
    from airflow_provider_twilio.triggers.sms import TwilioInboundSmsTrigger

    loop = asyncio.get_running_loop()
    since = (await loop.run_in_executor(None, next_second)).isoformat()
    if measure_memory:
        tracemalloc.start()
        before = tracemalloc.take_snapshot()
    triggers = [
        TwilioInboundSmsTrigger(pattern=rf"^YES {i:04d}$", to=US, since=since, poll_interval=INTERVAL)
        for i in range(count)
    ]
    fired: dict[int, float] = {}

    async def wait(i: int, trigger: TwilioInboundSmsTrigger) -> None:
        await trigger.run().__anext__()
        fired[i] = time.perf_counter()

    tasks = [asyncio.ensure_future(wait(i, t)) for i, t in enumerate(triggers)]
    await asyncio.sleep(INTERVAL * 1.5)  # every trigger subscribed, the first poll done
    memory = None
    if measure_memory:
        after = tracemalloc.take_snapshot()
        tracemalloc.stop()
        grown = sum(stat.size_diff for stat in after.compare_to(before, "filename"))
        memory = grown / count
    await loop.run_in_executor(None, emu.clear_log)
    await asyncio.sleep(INTERVAL * MEASURED_INTERVALS)
    per_interval = len(await loop.run_in_executor(None, emu.list_requests)) / MEASURED_INTERVALS

    # Replies arrive spread over a few intervals, in random order.
    injected: dict[int, float] = {}
    order = list(range(count))
    random.Random(7).shuffle(order)
    spread = INTERVAL * 3
    started = time.perf_counter()
    for n, i in enumerate(order):
        due = started + spread * n / count
        await asyncio.sleep(max(0.0, due - time.perf_counter()))
        injected[i] = time.perf_counter()
        await loop.run_in_executor(None, emu.inject, "+15551230001", f"YES {i:04d}")
    await asyncio.wait_for(asyncio.gather(*tasks), timeout=60)
    latencies = sorted(fired[i] - injected[i] for i in range(count))
    assert inbox_poller.pollers() == {}, "pollers left behind"
    return {
        "per_interval": per_interval,
        "memory": memory,
        "p50": statistics.median(latencies),
        "p99": latencies[min(len(latencies) - 1, int(len(latencies) * 0.99))],
    }


def main() -> int:
    import logging
    import warnings

    warnings.simplefilter("ignore", DeprecationWarning)
    logging.disable(logging.WARNING)
    try:  # Airflow 3 logs through structlog: keep the report readable
        import structlog

        structlog.configure(wrapper_class=structlog.make_filtering_bound_logger(logging.WARNING))
    except ImportError:
        pass
    emu = Emulator()
    try:
        os.environ["AIRFLOW_CONN_TWILIO_DEFAULT"] = emu.uri
        print("Idle pokes of TwilioInboundSmsSensor vs a plain client.messages.list(to=...) scan")
        rows = idle_pokes(emu)

        print(f"\nDeferred triggers on one number, poll interval {INTERVAL:g} s")
        one = asyncio.run(waiting_triggers(emu, 1, measure_memory=False))
        many = asyncio.run(waiting_triggers(emu, TRIGGERS, measure_memory=True))
        limit = INTERVAL + 1.0
        single, shared = one["per_interval"], many["per_interval"]
        print(f"  list requests per interval: 1 trigger {single:g}, {TRIGGERS} triggers {shared:g}")
        print(f"  memory per waiting trigger: {many['memory'] / 1024:.1f} KiB")
        print(f"  reply-to-event latency: p50 {many['p50']:.3f} s, p99 {many['p99']:.3f} s (target <= {limit:g} s)")
        rows += [
            row(
                f"list requests per interval, {TRIGGERS} triggers",
                many["per_interval"],
                "req",
                one["per_interval"],
                "<= 1 trigger's",
                many["per_interval"] <= one["per_interval"],
            ),
            row("memory per waiting trigger", many["memory"] / 1024, "KiB", None, "-", None),
            row("reply-to-event latency p50", many["p50"], "s", None, f"<= {limit:g} s", many["p50"] <= limit),
            row("reply-to-event latency p99", many["p99"], "s", None, f"<= {limit:g} s", many["p99"] <= limit),
        ]
    finally:
        emu.close()
    print("BENCH_JSON " + json.dumps(rows))
    return 0


if __name__ == "__main__":
    sys.exit(main())
