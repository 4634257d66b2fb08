"""Bulk sending: TwilioSendSmsOperator's sending core vs a plain sequential SDK loop (``make bench``).

1,000 recipients against the emulator with 25 ms of latency per request. The emulator runs in its own
process so that this process's CPU time is the client's alone. Reports, from one run:
- our wall time, the sequential loop's (what a provider that calls ``create()`` in a loop takes),
  and the floor ``N x latency / concurrency``;
- our CPU per message against a bare SDK ``messages.create()``.
The sequential loop is timed on a sample and scaled. Exits 0 even when a target is missed.
"""

from __future__ import annotations

import json
import logging
import os
import subprocess
import sys
import textwrap
import time
from collections.abc import Callable
from typing import Any

RECIPIENTS = 1000
LATENCY = 0.025
SAMPLE = 200
CONCURRENCY = 10
BODY = "Scheduled maintenance tonight 22:00-23:00 UTC. Reply STOP to opt out."
NAME = "bulk_send"

EMULATOR = textwrap.dedent(
    """
    import json, sys
    from airflow_provider_twilio.emulator import TwilioEmulator
    with TwilioEmulator() as emu:
        emu.configure(latency=float(sys.argv[1]), status_delay=3600)
        print(json.dumps({"uri": emu.connection_uri}), flush=True)
        sys.stdin.read()
    """
)


def numbers(prefix: str, count: int) -> list[str]:
    return [f"+1{prefix}{i:07d}" for i in range(count)]


def timed(work: Callable[[], Any]) -> tuple[float, float, Any]:
    wall, cpu = time.perf_counter(), time.process_time()
    result = work()
    return time.perf_counter() - wall, time.process_time() - cpu, result


def main() -> int:
    emulator = subprocess.Popen(
        [sys.executable, "-c", EMULATOR, str(LATENCY)], stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True
    )
    try:
        assert emulator.stdout is not None
        os.environ["AIRFLOW_CONN_TWILIO_DEFAULT"] = json.loads(emulator.stdout.readline())["uri"]
        return run()
    finally:
        if emulator.stdin:
            emulator.stdin.close()
        emulator.wait(timeout=30)


def run() -> int:
    from airflow_provider_twilio.hooks.twilio import TwilioHook
    from airflow_provider_twilio.sending import BatchOptions, send_batch, validate_batch
    from airflow_provider_twilio.sending.core import messages_resource

    hook = TwilioHook()
    sender = hook.settings.default_from
    messages = messages_resource(hook.get_conn())
    for to in numbers("212", 20):  # warm up connections and imports for both paths
        messages.create(to=to, from_=sender, body=BODY)

    quiet = logging.getLogger("bench.quiet")
    quiet.setLevel(logging.WARNING)

    def ours() -> Any:
        batch = validate_batch(to=numbers("415", RECIPIENTS), body=BODY, default_from=sender)
        return send_batch(messages, batch, BatchOptions(max_concurrency=CONCURRENCY), log=quiet)

    def sequential() -> None:
        for to in numbers("646", SAMPLE):
            hook.get_conn().messages.create(to=to, from_=sender, body=BODY)

    our_wall, our_cpu, outcome = timed(ours)
    seq_wall, seq_cpu, _ = timed(sequential)
    failures = len(outcome.failures)

    seq_wall_full = seq_wall * RECIPIENTS / SAMPLE
    floor = RECIPIENTS * LATENCY / CONCURRENCY
    our_cpu_ms = our_cpu / RECIPIENTS * 1000
    bare_cpu_ms = seq_cpu / SAMPLE * 1000
    speedup = seq_wall_full / our_wall
    over_floor = our_wall / floor
    cpu_ratio = our_cpu_ms / bare_cpu_ms

    print(f"Bulk send: {RECIPIENTS} recipients, emulator latency {LATENCY * 1000:.0f} ms, concurrency {CONCURRENCY}")
    print(
        f"  ours (validate + send_batch)   {our_wall:7.2f} s wall  {our_cpu_ms:6.3f} ms CPU/message  {failures} failed"
    )
    print(f"  sequential SDK loop (scaled)   {seq_wall_full:7.2f} s wall  (timed on {SAMPLE}: {seq_wall:.2f} s)")
    print(f"  bare SDK create()                          {bare_cpu_ms:6.3f} ms CPU/message")
    print(f"  floor N x latency / concurrency {floor:6.2f} s")
    overhead_ms = seq_wall / SAMPLE * 1000 - LATENCY * 1000
    print(
        f"  (one request costs {overhead_ms:.1f} ms beyond the {LATENCY * 1000:.0f} ms latency: client and emulator "
        "CPU, loopback; the floor leaves that out)"
    )
    print(
        f"  speed-up vs sequential {speedup:.1f}x (target >= 8x); vs floor {over_floor:.2f}x (target <= 1.3x); "
        f"CPU {cpu_ratio:.2f}x bare create() (target <= 1.2x)"
    )

    rows = [
        row(
            "wall time vs sequential SDK loop",
            our_wall,
            "s",
            seq_wall_full,
            seq_wall_full / our_wall,
            ">= 8x",
            speedup >= 8,
        ),
        row("wall time vs floor N*latency/concurrency", our_wall, "s", floor, over_floor, "<= 1.3x", over_floor <= 1.3),
        row(
            "CPU per message vs bare SDK create()",
            our_cpu_ms,
            "ms",
            bare_cpu_ms,
            cpu_ratio,
            "<= 1.2x",
            cpu_ratio <= 1.2,
        ),
        row("failed sends", failures, "", 0, None, "0", failures == 0),
    ]
    print("BENCH_JSON " + json.dumps(rows))
    return 0


def row(metric: str, value: float, unit: str, baseline: float, ratio: float | None, target: str, ok: bool) -> dict:
    return {
        "benchmark": NAME,
        "metric": metric,
        "value": round(value, 4),
        "unit": unit,
        "baseline": round(baseline, 4),
        "ratio": round(ratio, 3) if ratio is not None else None,
        "target": target,
        "ok": ok,
    }


if __name__ == "__main__":
    sys.exit(main())
