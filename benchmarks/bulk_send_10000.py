"""Bulk sending at 10,000 recipients: wall time, CPU and peak memory stay flat per recipient (``make bench``).

The same set-up as ``bulk_send`` (emulator in its own process, 25 ms latency, concurrency 10). One
batch of 1,000 and then one of 10,000 in this process; reports for the 10,000:
- wall time against the floor ``N x latency / concurrency``;
- CPU per message against a bare SDK ``messages.create()`` (as ``bulk_send`` measures it);
- peak RSS, and the peak's growth per recipient over the RSS before the first batch, against the
  1,000-recipient batch's (flat: no more per recipient at 10,000 than at 1,000).
Exits 0 even when a target is missed.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

from bulk_send import (
    BODY,
    CONCURRENCY,
    CPU_TARGET,
    LATENCY,
    WALL_TARGET,
    bare_messages,
    cpu_per_create,
    numbers,
    peak_rss_mb,
    quiet_logger,
    timed,
    with_emulator,
)
from bulk_send import row as bulk_send_row

RECIPIENTS = 10_000
SMALL = 1_000
NAME = "bulk_send_10000"


def row(*args: Any) -> dict[str, Any]:
    return {**bulk_send_row(*args), "benchmark": NAME}


def rss_mb() -> float:
    """Resident memory now (not the peak)."""
    pages = int(Path("/proc/self/statm").read_text().split()[1])
    return pages * 4096 / 2**20


def run() -> int:
    from airflow_provider_twilio.hooks.twilio import TwilioHook
    from airflow_provider_twilio.sending import BatchOptions, send_batch, validate_batch
    from airflow_provider_twilio.sending.core import messages_resource

    hook = TwilioHook()
    sender = hook.settings.default_from
    messages = messages_resource(hook.get_conn())
    bare = bare_messages(hook)
    for to in numbers("212", 20):
        messages.create(to=to, from_=sender, body=BODY)
        bare.create(to=to, from_=sender, body=BODY)
    quiet = quiet_logger()
    options = BatchOptions(max_concurrency=CONCURRENCY)

    def send(prefix: str, count: int) -> Any:
        batch = validate_batch(to=numbers(prefix, count), body=BODY, default_from=sender)
        return send_batch(messages, batch, options, log=quiet)

    before = rss_mb()
    _, _, small = timed(lambda: send("414", SMALL))
    small_peak = peak_rss_mb()
    del small
    wall, cpu, outcome = timed(lambda: send("415", RECIPIENTS))
    peak = peak_rss_mb()
    _, bare_cpu_ms = cpu_per_create(bare, sender, "646")
    failures = len(outcome.failures)

    floor = RECIPIENTS * LATENCY / CONCURRENCY
    over_floor = wall / floor
    cpu_ms = cpu / RECIPIENTS * 1000
    cpu_ratio = cpu_ms / bare_cpu_ms
    per_small = (small_peak - before) * 1024 / SMALL
    per_big = (peak - before) * 1024 / RECIPIENTS
    flat = per_big / per_small if per_small > 0 else 0.0

    print(f"Bulk send: {RECIPIENTS:,} recipients, emulator latency {LATENCY * 1000:.0f} ms, concurrency {CONCURRENCY}")
    print(f"  wall {wall:.2f} s, floor {floor:.2f} s: {over_floor:.2f}x (target <= {WALL_TARGET}x)")
    print(f"  CPU {cpu_ms:.3f} ms/message, bare create() {bare_cpu_ms:.3f}: {cpu_ratio:.2f}x (target <= {CPU_TARGET}x)")
    print(f"  RSS before {before:.0f} MB; peak after {SMALL:,}: {small_peak:.0f} MB, then {peak:.0f} MB")
    print(f"  peak growth per recipient: {per_small:.1f} KiB at {SMALL:,}, {per_big:.1f} KiB at {RECIPIENTS:,}")
    print(f"  {failures} failed")
    rows = [
        row("wall time vs floor N*latency/concurrency", wall, "s", floor, over_floor, f"<= {WALL_TARGET}x",
            over_floor <= WALL_TARGET),
        row("CPU per message vs bare SDK create()", cpu_ms, "ms", bare_cpu_ms, cpu_ratio, f"<= {CPU_TARGET}x",
            cpu_ratio <= CPU_TARGET),
        row("peak RSS", peak, "MB", None, None, "-", None),
        row(f"peak RSS growth per recipient vs {SMALL:,} recipients", per_big, "KiB", per_small, flat, "<= 1x (flat)",
            flat <= 1.0),
        row("failed sends", failures, "", 0, None, "0", failures == 0),
    ]  # fmt: skip
    print("BENCH_JSON " + json.dumps(rows))
    return 0


if __name__ == "__main__":
    sys.exit(with_emulator(run))
