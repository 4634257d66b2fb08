"""Where one bulk send's client CPU goes, by phase (not part of ``make bench``; run it by hand).

One batch of ``RECIPIENTS`` (default 1,000) against the emulator in its own process, every sending
thread under its own profiler, merged. Prints CPU per message for each phase and the top functions.

    PYTHONPATH=. .venv/airflow-3/bin/python benchmarks/_profile_bulk_send.py [recipients] [concurrency]
"""

from __future__ import annotations

import cProfile
import json
import logging
import os
import pstats
import sys
import threading
import time

from _shared import print_phases
from bulk_send import BODY, LATENCY, numbers

PHASES = (
    # (label, file suffix, function name): a phase's cumulative time is its function's.
    ("validation", "sending/validation.py", "validate_batch"),
    ("pacing (slots, rate limit)", "sending/pacing.py", "acquire"),
    ("log pre-read", "sending/prior.py", "before_attempt"),
    ("creating messages in all (SDK _create)", "sending/creation.py", "create_message"),
    ("  HTTP round trip (adapter)", "requests/adapters.py", "send"),
    ("  request preparation", "hooks/_http.py", "_prepare"),
    ("  response JSON parsing", "json/__init__.py", "loads"),
    ("MessageInstance building (log reads only)", "rest/api/v2010/account/message/__init__.py", "__init__"),
    ("result building", "sending/results.py", "from_message"),
)


def main() -> int:
    recipients = int(sys.argv[1]) if len(sys.argv) > 1 else 1000
    concurrency = int(sys.argv[2]) if len(sys.argv) > 2 else 10
    from airflow_provider_twilio.emulator import TwilioEmulator

    with TwilioEmulator(separate_process=True) as emulator:
        emulator.configure(latency=LATENCY, status_delay=3600)
        os.environ["AIRFLOW_CONN_TWILIO_DEFAULT"] = emulator.connection_uri
        return profile(recipients, concurrency)


def profile(recipients: int, concurrency: int) -> int:
    from airflow_provider_twilio.hooks.twilio import TwilioHook
    from airflow_provider_twilio.sending import BatchOptions, send_batch, validate_batch
    from airflow_provider_twilio.sending.core import messages_resource

    hook = TwilioHook()
    sender = hook.settings.default_from
    messages = messages_resource(hook.get_conn())
    for to in numbers("212", 20):
        messages.create(to=to, from_=sender, body=BODY)
    quiet = logging.getLogger("bench.quiet")
    quiet.setLevel(logging.WARNING)

    profilers: list[cProfile.Profile] = []
    lock = threading.Lock()

    def start_thread_profiler(*_args: object) -> None:
        # Runs in each new thread (threading.setprofile): swap in a real profiler for the thread's life.
        sys.setprofile(None)
        prof = cProfile.Profile(time.thread_time)
        with lock:
            profilers.append(prof)
        prof.enable()

    main_profiler = cProfile.Profile(time.thread_time)
    threading.setprofile(start_thread_profiler)
    cpu, wall = time.process_time(), time.perf_counter()
    main_profiler.enable()
    batch = validate_batch(to=numbers("415", recipients), body=BODY, default_from=sender)
    outcome = send_batch(messages, batch, BatchOptions(max_concurrency=concurrency), log=quiet)
    main_profiler.disable()
    cpu, wall = time.process_time() - cpu, time.perf_counter() - wall
    threading.setprofile(None)  # type: ignore[arg-type]
    for prof in profilers:
        prof.disable()

    stats = pstats.Stats(main_profiler)
    for prof in profilers:
        stats.add(prof)
    per_message = 1000 / recipients
    print(f"{recipients} recipients, concurrency {concurrency}: {wall:.2f} s wall, {cpu * per_message:.3f} ms CPU/msg")
    print(f"  (profiled; {len(outcome.failures)} failed; the profiler itself roughly doubles CPU)")
    print_phases(stats, PHASES, per_message, "message", top=(30, 40))
    stats.stream = sys.stdout  # print_phases left it on its own buffer
    for name in sys.argv[3:]:
        stats.print_callers(name)
    print(json.dumps({"cpu_ms_per_message": cpu * per_message}))
    return 0


if __name__ == "__main__":
    sys.exit(main())
