"""Bulk sending through ambiguous failures: waiting recipients hold no request slot (``make bench``).

After a 5xx or a timeout the sender reads the message log through the commit grace before it sends
again. 500 recipients against the emulator (25 ms latency, 10% of creates failing before Twilio stores
them, 2 s grace, concurrency 10), sent twice in one run:
- ours: a waiting recipient holds a thread but none of the ``max_concurrency`` slots;
- baseline: the same sender with no threads beyond the slots, so each waiting recipient holds one
  (how the sender worked before).
Both must leave exactly one message per recipient. Exits 0 even when a target is missed.
"""

from __future__ import annotations

import contextlib
import json
import logging
import os
import sys
import time
from collections import Counter
from typing import Any
from unittest import mock

from bulk_send import numbers
from bulk_send import row as bulk_send_row

RECIPIENTS = 500
LATENCY = 0.025
FAIL_BEFORE_COMMIT = 0.1
GRACE = 2.0
CONCURRENCY = 10
BODY = "Water outage tonight 22:00-23:00. Reply STOP to opt out."
NAME = "bulk_send_faults"


def row(*args: Any) -> dict[str, Any]:
    return {**bulk_send_row(*args), "benchmark": NAME}


def main() -> int:
    from airflow_provider_twilio.emulator import TwilioEmulator

    # In its own process, so this process's CPU time is the client's alone.
    with TwilioEmulator(separate_process=True) as emulator:
        os.environ["AIRFLOW_CONN_TWILIO_DEFAULT"] = emulator.connection_uri
        return run(emulator)


def run(emulator: Any) -> int:
    from airflow_provider_twilio.hooks.twilio import TwilioHook
    from airflow_provider_twilio.retry import RetryPolicy
    from airflow_provider_twilio.sending import BatchOptions, send_batch, validate_batch
    from airflow_provider_twilio.sending.core import messages_resource

    hook = TwilioHook()
    sender = hook.settings.default_from
    messages = messages_resource(hook.get_conn())
    quiet = logging.getLogger("bench.quiet")
    quiet.setLevel(logging.WARNING)
    options = BatchOptions(max_concurrency=CONCURRENCY, retry=RetryPolicy(commit_grace=GRACE))

    def send(prefix: str, body: str, waiters_per_slot: int | None) -> tuple[float, int, bool]:
        recipients = numbers(prefix, RECIPIENTS)
        emulator.configure(latency=LATENCY, fail_before_commit=FAIL_BEFORE_COMMIT, seed=7)
        batch = validate_batch(to=recipients, body=body, default_from=sender)
        patch = (
            mock.patch("airflow_provider_twilio.sending.batch.WAITERS_PER_SLOT", waiters_per_slot)
            if waiters_per_slot is not None
            else contextlib.nullcontext()
        )
        started = time.perf_counter()
        with patch:
            outcome = send_batch(messages, batch, options, log=quiet)
        wall = time.perf_counter() - started
        emulator.configure(latency=0, fail_before_commit=0)
        sent = Counter(m["to"] for m in emulator.messages() if m["body"] == body)
        exactly_once = sorted(sent) == sorted(recipients) and set(sent.values()) == {1}
        return wall, len(outcome.failures), exactly_once

    our_wall, our_failed, our_once = send("415", BODY + " (ours)", None)
    base_wall, base_failed, base_once = send("646", BODY + " (baseline)", 0)
    ratio = our_wall / base_wall

    print(
        f"Bulk send through faults: {RECIPIENTS} recipients, {FAIL_BEFORE_COMMIT:.0%} of creates failing before "
        f"Twilio stores them, {GRACE:.0f} s commit grace, latency {LATENCY * 1000:.0f} ms, concurrency {CONCURRENCY}"
    )
    for label, wall, failed, once in (
        ("ours (waiting holds no slot)   ", our_wall, our_failed, our_once),
        ("baseline (waiting holds a slot)", base_wall, base_failed, base_once),
    ):
        print(f"  {label}  {wall:6.2f} s wall  {failed} failed  exactly once: {once}")
    print(f"  ratio {ratio:.2f}x (target <= 0.5x)")
    rows = [
        row("wall time vs waiting recipients holding a slot", our_wall, "s", base_wall, ratio, "<= 0.5x", ratio <= 0.5),
        row("recipients not sent exactly once", 0 if our_once else 1, "", 0 if base_once else 1, None, "0", our_once),
        row("failed sends", our_failed, "", base_failed, None, "0", our_failed == 0),
    ]
    print("BENCH_JSON " + json.dumps(rows))
    return 0


if __name__ == "__main__":
    sys.exit(main())
