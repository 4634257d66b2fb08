"""Exporting message history: TwilioLogExportOperator against the SDK's plain ``messages.list()`` (``make bench``).

The emulator runs in its own process, seeded (in one bulk request) with N messages sent over one day.
For N = 25,000 and 100,000, each measurement runs in a fresh process, so its peak RSS is its own:
- the operator exporting that day to a local Parquet file (``file://``; pages of 1,000 streamed as row groups);
- the baseline: ``client.messages.list(date_sent_after=..., date_sent_before=..., page_size=1000)``, every
  record in one Python list, as a hand-written export would start.
Reports rows per second for both, peak RSS for both, and how the peak grows from 25,000 to 100,000
rows (target: the export's growth per row at most a tenth of the list's: flat, where the list grows with N).
Exits 0 even when a target is missed.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
import textwrap
from datetime import datetime, timezone
from typing import Any

from _shared import row

NAME = "log_export"
SIZES = (25_000, 100_000)
DAY = datetime(2026, 11, 20, tzinfo=timezone.utc)
SPEED_TARGET = 0.5
FLAT_TARGET = 0.1

EMULATOR = textwrap.dedent(
    """
    import json, sys
    from airflow_provider_twilio.emulator import TwilioEmulator
    with TwilioEmulator() as emu:
        print(json.dumps({"uri": emu.connection_uri, "url": emu.base_url}), flush=True)
        for line in sys.stdin:
            count, start = json.loads(line)
            emu.reset()
            step = 86400 / count
            emu.seed_messages([
                {"to": f"+1415555{i % 10000:04d}", "from": "+15005550006", "date_created": start + i * step,
                 "date_sent": start + i * step, "status": "delivered", "num_segments": 1 + i % 2}
                for i in range(count)
            ])
            print("seeded", flush=True)
    """
)

MEASURE = textwrap.dedent(
    """
    import json, resource, sys, time
    from datetime import datetime, timedelta, timezone
    kind, day, target = sys.argv[1], datetime.fromisoformat(sys.argv[2]), sys.argv[3]
    import pyarrow.parquet
    from airflow_provider_twilio.hooks.twilio import TwilioHook
    from airflow_provider_twilio.transfers.logs import TwilioLogExportOperator
    client = TwilioHook().get_conn()
    client.messages  # the SDK's account tree, loaded before the baseline RSS is read

    def rss_kib():
        with open("/proc/self/status") as status:
            return next(int(line.split()[1]) for line in status if line.startswith("VmRSS:"))

    before = rss_kib()
    started = time.perf_counter()
    if kind == "export":
        task = TwilioLogExportOperator(task_id="export", resource="messages", path=target, status_lookback=0)
        results = task.execute({"data_interval_start": day, "data_interval_end": day + timedelta(days=1), "params": {}})
        rows = sum(r["rows"] for r in results)
    else:
        records = client.messages.list(
            date_sent_after=day, date_sent_before=day + timedelta(days=1, seconds=-1), page_size=1000
        )
        rows = len(records)
    seconds = time.perf_counter() - started
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    print(json.dumps({"rows": rows, "seconds": seconds, "peak_kib": peak, "before_kib": before}), flush=True)
    """
)


def measure(kind: str, target: str) -> dict[str, Any]:
    out = subprocess.run(
        [sys.executable, "-c", MEASURE, kind, DAY.isoformat(), target],
        check=True,
        capture_output=True,
        text=True,
        env=os.environ,
    ).stdout
    return json.loads(out.strip().splitlines()[-1])  # type: ignore[no-any-return]


def run(sizes: tuple[int, ...] = SIZES) -> int:
    emulator = subprocess.Popen(
        [sys.executable, "-c", EMULATOR], stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True
    )
    results: dict[tuple[str, int], dict[str, Any]] = {}
    try:
        assert emulator.stdin is not None and emulator.stdout is not None
        os.environ["AIRFLOW_CONN_TWILIO_DEFAULT"] = json.loads(emulator.stdout.readline())["uri"]
        for count in sizes:
            emulator.stdin.write(json.dumps([count, DAY.timestamp()]) + "\n")
            emulator.stdin.flush()
            assert emulator.stdout.readline().strip() == "seeded"
            with tempfile.TemporaryDirectory(prefix="log-export-bench-") as lake:
                for kind in ("export", "list"):
                    result = measure(kind, f"file://{lake}/")
                    results[(kind, count)] = result
                    growth = (result["peak_kib"] - result["before_kib"]) / 1024
                    rate = result["rows"] / result["seconds"]
                    print(
                        f"{kind:>6} {count:>7,} rows: {result['rows']:>7,} in {result['seconds']:.2f} s "
                        f"({rate:,.0f} rows/s), peak RSS {result['peak_kib'] / 1024:.1f} MB (+{growth:.1f} MB)",
                        flush=True,
                    )
    finally:
        if emulator.stdin:
            emulator.stdin.close()
        emulator.wait(timeout=60)

    small, big = sizes[0], sizes[-1]
    export, listed = results[("export", big)], results[("list", big)]
    export_rate = export["rows"] / export["seconds"]
    list_rate = listed["rows"] / listed["seconds"]

    def growth_per_row(kind: str) -> float:
        low, high = results[(kind, small)], results[(kind, big)]
        return (high["peak_kib"] - low["peak_kib"]) / (high["rows"] - low["rows"]) * 1024  # bytes per row

    export_growth, list_growth = growth_per_row("export"), growth_per_row("list")
    flat = export_growth / list_growth if list_growth > 0 else 0.0
    rows = [
        row(NAME, f"rows per second exported, {big:,} messages, vs messages.list()", export_rate, "rows/s", list_rate,
            f">= {SPEED_TARGET}x", export_rate >= SPEED_TARGET * list_rate),
        row(NAME, f"peak RSS, {big:,} messages, vs messages.list()", export["peak_kib"] / 1024, "MB",
            listed["peak_kib"] / 1024, "-", None),
        row(NAME, f"peak RSS growth per row, {small:,} to {big:,}, vs messages.list()", max(export_growth, 0.0), "B",
            list_growth, f"<= {FLAT_TARGET}x (flat)", flat <= FLAT_TARGET),
        row(NAME, f"rows exported of {big:,}", export["rows"], "", big, "all", export["rows"] == big),
    ]  # fmt: skip
    print("BENCH_JSON " + json.dumps(rows))
    return 0


if __name__ == "__main__":
    sizes = tuple(int(n) for n in sys.argv[1:]) or SIZES
    sys.exit(run(sizes))
