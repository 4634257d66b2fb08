"""Following active calls: what CallTracker costs per interval against a per-call fetch loop (``make bench``).

The emulator runs in its own process; 100 calls ring there (nobody answers for the whole run). In one
run, for several intervals each:
- CallTracker.refresh: Calls list requests per interval (target: at most 1);
- the baseline, ``client.calls(sid).fetch()`` for every call: requests per interval;
- the time one interval's reading takes, both ways.
Exits 0 even when a target is missed.
"""

from __future__ import annotations

import json
import logging
import statistics
import sys
import time
from typing import Any

from sensor_poll import row

NAME = "call_tracking"
CALLS = 100
INTERVALS = 5
CALLER = "+15005550006"
SAY = "<Response><Say>Disk full on db-1</Say></Response>"


def main() -> int:
    from twilio.rest import Client

    logging.getLogger("twilio").setLevel(logging.WARNING)

    from airflow_provider_twilio.emulator import TwilioEmulator
    from airflow_provider_twilio.tracking.calls import CallTracker, call_state

    with TwilioEmulator(separate_process=True) as emu:
        client = Client(emu.account_sid, emu.auth_token)
        client.api.base_url = emu.base_url
        numbers = [f"+1555300{i:04d}" for i in range(CALLS)]
        for number in numbers:
            emu.add_call_behaviour(number, answer="no-answer")
        placed = [client.calls.create(to=n, from_=CALLER, twiml=SAY, timeout=600) for n in numbers]
        time.sleep(0.5)  # every call is ringing now
        tracker = CallTracker([c.sid for c in placed], states={c.sid: call_state(c) for c in placed})

        def measure(read: Any) -> tuple[float, float]:
            counts, seconds = [], []
            for _ in range(INTERVALS):
                emu.clear_request_log()
                started = time.perf_counter()
                read()
                seconds.append(time.perf_counter() - started)
                counts.append(sum(1 for entry in emu.request_log() if "/Calls" in entry["path"]))
            return statistics.mean(counts), statistics.median(seconds)

        ours, ours_seconds = measure(lambda: tracker.refresh(client))
        assert not tracker.done and len(tracker.pending()) == CALLS, tracker.summary()
        loop, loop_seconds = measure(lambda: [client.calls(c.sid).fetch() for c in placed])
        print(f"{CALLS} ringing calls, {INTERVALS} intervals each")
        print(f"  CallTracker.refresh: {ours:g} request(s) per interval, {ours_seconds * 1000:.1f} ms")
        print(f"  per-call fetch loop: {loop:g} request(s) per interval, {loop_seconds * 1000:.1f} ms")
        rows = [
            row(f"requests per interval, {CALLS} active calls", ours, "req", loop, "<= 1", ours <= 1, NAME),
            row(
                f"seconds per interval's reading, {CALLS} active calls",
                ours_seconds,
                "s",
                loop_seconds,
                "-",
                None,
                NAME,
            ),
        ]
    print("BENCH_JSON " + json.dumps(rows))
    return 0


if __name__ == "__main__":
    sys.exit(main())
