"""Bulk sending: TwilioSendSmsOperator's sending core vs a plain sequential SDK loop (``make bench``).

1,000 recipients against the emulator with 25 ms of latency per request. The emulator runs in its own
process so that this process's CPU time is the client's alone. Reports, from one run:
- our wall time, the sequential loop's (what a provider that calls ``create()`` in a loop takes),
  and the floor ``N x latency / concurrency``;
- our CPU per message against a bare SDK ``messages.create()``: the SDK's own ``TwilioHttpClient``
  with its logger quiet and the proxy settings read once, as the hook built it before it had a client
  of its own; and, for reference, a ``create()`` through the hook's client;
- for reference, the wall time of bare SDK creates from ``CONCURRENCY`` plain threads and nothing
  else, against the same floor: what this machine and the emulator allow before any of our work;
  and the time of one create on the batch's own path with nothing else in flight, against the
  latency: the part of the 10% budget over the floor that a single request already uses up.
The sequential loop is timed on a sample and scaled. Then number hygiene: the same batch of
``BENCH_LOOKUP_RECIPIENTS`` (default 10,000) recipients, 6% of them on lines that cannot take a text,
sent once without and once with ``lookup="line_type"``: requests made and wall time of each. Exits 0
even when a target is missed.
"""

from __future__ import annotations

import json
import logging
import os
import resource
import subprocess
import sys
import textwrap
import threading
import time
from collections.abc import Callable
from typing import Any

RECIPIENTS = 1000
LOOKUP_RECIPIENTS = int(os.environ.get("BENCH_LOOKUP_RECIPIENTS", "10000"))
LATENCY = 0.025
SAMPLE = 200
CONCURRENCY = 10
BODY = "Scheduled maintenance tonight 22:00-23:00 UTC. Reply STOP to opt out."
NAME = "bulk_send"
WALL_TARGET = 1.1
CPU_TARGET = 0.5

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


def with_emulator(run: Callable[[], int]) -> int:
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


def main() -> int:
    return with_emulator(run)


def quiet_logger() -> logging.Logger:
    quiet = logging.getLogger("bench.quiet")
    quiet.setLevel(logging.WARNING)
    return quiet


def bare_messages(hook: Any) -> Any:
    """The messages resource of an SDK client on the SDK's own HTTP client (quiet, proxies read once)."""
    from twilio.http.http_client import TwilioHttpClient
    from twilio.rest import Client

    from airflow_provider_twilio.hooks._http import pin_environment

    settings = hook.settings
    http_client = TwilioHttpClient(timeout=settings.timeout, logger=quiet_logger())
    client = Client(settings.username, settings.secret, account_sid=settings.account_sid, http_client=http_client)
    client.api.base_url = settings.base_url
    pin_environment(http_client, settings.base_url)
    return client.api.v2010.account.messages


def cpu_per_create(messages: Any, sender: str, prefix: str, count: int = SAMPLE) -> tuple[float, float]:
    """Wall seconds and CPU milliseconds per message of ``count`` sequential creates."""
    wall, cpu, _ = timed(lambda: [messages.create(to=to, from_=sender, body=BODY) for to in numbers(prefix, count)])
    return wall, cpu / count * 1000


def alone_per_request(messages: Any, sender: str, prefix: str, count: int = SAMPLE) -> float:
    """Milliseconds per create on the batch's path (``create_message``), one after another, nothing else in flight."""
    from airflow_provider_twilio.sending.creation import create_message

    def creates() -> None:
        for to in numbers(prefix, count):
            create_message(messages, {"to": to, "from_": sender, "body": BODY})

    wall, _, _ = timed(creates)
    return wall / count * 1000


def threaded_creates(messages: Any, sender: str, prefix: str, count: int, threads: int) -> float:
    """Wall seconds of ``count`` creates from ``threads`` threads that each loop over a shared list, nothing else.

    What this machine and the emulator allow at that concurrency, measured beside ours: no batch, no checks.
    """
    recipients = iter(numbers(prefix, count))
    lock = threading.Lock()

    def loop() -> None:
        while True:
            with lock:
                to = next(recipients, None)
            if to is None:
                return
            messages.create(to=to, from_=sender, body=BODY)

    def all_threads() -> None:
        workers = [threading.Thread(target=loop) for _ in range(threads)]
        for worker in workers:
            worker.start()
        for worker in workers:
            worker.join()

    wall, _, _ = timed(all_threads)
    return wall


def peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def run() -> int:
    from airflow_provider_twilio.hooks.twilio import TwilioHook
    from airflow_provider_twilio.sending import BatchOptions, send_batch, validate_batch
    from airflow_provider_twilio.sending.core import messages_resource

    hook = TwilioHook()
    sender = hook.settings.default_from
    messages = messages_resource(hook.get_conn())
    bare = bare_messages(hook)
    for to in numbers("212", 20):  # warm up connections and imports for all paths
        messages.create(to=to, from_=sender, body=BODY)
        bare.create(to=to, from_=sender, body=BODY)
    quiet = quiet_logger()

    def ours() -> Any:
        batch = validate_batch(to=numbers("415", RECIPIENTS), body=BODY, default_from=sender)
        return send_batch(messages, batch, BatchOptions(max_concurrency=CONCURRENCY), log=quiet)

    our_wall, our_cpu, outcome = timed(ours)
    seq_wall, bare_cpu_ms = cpu_per_create(bare, sender, "646")
    _, hook_cpu_ms = cpu_per_create(messages, sender, "647")
    bare_threads_wall = threaded_creates(bare, sender, "648", RECIPIENTS, CONCURRENCY)
    alone_ms = alone_per_request(messages, sender, "649")
    failures = len(outcome.failures)

    seq_wall_full = seq_wall * RECIPIENTS / SAMPLE
    floor = RECIPIENTS * LATENCY / CONCURRENCY
    our_cpu_ms = our_cpu / RECIPIENTS * 1000
    speedup = seq_wall_full / our_wall
    over_floor = our_wall / floor
    cpu_ratio = our_cpu_ms / bare_cpu_ms
    hook_ratio = hook_cpu_ms / bare_cpu_ms

    print(f"Bulk send: {RECIPIENTS} recipients, emulator latency {LATENCY * 1000:.0f} ms, concurrency {CONCURRENCY}")
    print(
        f"  ours (validate + send_batch)   {our_wall:7.2f} s wall  {our_cpu_ms:6.3f} ms CPU/message  {failures} failed"
    )
    print(f"  sequential SDK loop (scaled)   {seq_wall_full:7.2f} s wall  (timed on {SAMPLE}: {seq_wall:.2f} s)")
    print(f"  bare SDK create()                          {bare_cpu_ms:6.3f} ms CPU/message")
    print(f"  create() through the hook's client         {hook_cpu_ms:6.3f} ms CPU/message")
    print(f"  floor N x latency / concurrency {floor:6.2f} s")
    print(
        f"  bare SDK create() from {CONCURRENCY} plain threads, nothing else: {bare_threads_wall:.2f} s = "
        f"{bare_threads_wall / floor:.2f}x the floor (what this machine and the emulator allow)"
    )
    overhead_ms = seq_wall / SAMPLE * 1000 - LATENCY * 1000
    print(
        f"  (one request costs {overhead_ms:.1f} ms beyond the {LATENCY * 1000:.0f} ms latency: client and emulator "
        "CPU, loopback; the floor leaves that out)"
    )
    print(
        f"  one create on the batch's path, nothing else in flight: {alone_ms:.2f} ms = "
        f"{alone_ms / (LATENCY * 1000):.3f}x the latency (leaves {LATENCY * 1000 * WALL_TARGET - alone_ms:.1f} ms "
        f"per request of the {WALL_TARGET}x budget for {CONCURRENCY} requests sharing the cores)"
    )
    print(
        f"  speed-up vs sequential {speedup:.1f}x (target >= 8x); vs floor {over_floor:.2f}x (target <= "
        f"{WALL_TARGET}x); CPU {cpu_ratio:.2f}x bare create() (target <= {CPU_TARGET}x)"
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
        row(
            "wall time vs floor N*latency/concurrency",
            our_wall,
            "s",
            floor,
            over_floor,
            f"<= {WALL_TARGET}x",
            over_floor <= WALL_TARGET,
        ),
        row(
            "CPU per message vs bare SDK create()",
            our_cpu_ms,
            "ms",
            bare_cpu_ms,
            cpu_ratio,
            f"<= {CPU_TARGET}x",
            cpu_ratio <= CPU_TARGET,
        ),
        row("CPU per create() through the hook's client", hook_cpu_ms, "ms", bare_cpu_ms, hook_ratio, "-", None),
        row(
            f"bare SDK create() from {CONCURRENCY} plain threads: wall vs floor",
            bare_threads_wall,
            "s",
            floor,
            bare_threads_wall / floor,
            "-",
            None,
        ),
        row(
            "one create on the batch's path, nothing else in flight: time vs latency",
            alone_ms,
            "ms",
            LATENCY * 1000,
            alone_ms / (LATENCY * 1000),
            "-",
            None,
        ),
        row("failed sends", failures, "", 0, None, "0", failures == 0),
    ]
    rows += lookup_comparison(hook, sender, quiet)
    print("BENCH_JSON " + json.dumps(rows))
    return 0


def hygiene_batch(count: int) -> list[str]:
    """``count`` numbers: one in ten a magic line-type number (each type in turn), the rest mobiles."""
    from airflow_provider_twilio.emulator.simulation.line_types import LINE_TYPES_BY_DIGIT, magic_number

    magic = [magic_number(kind, i) for i in range(100) for kind in LINE_TYPES_BY_DIGIT][: count // 10]
    return magic + numbers("917", count - len(magic))


def lookup_comparison(hook: Any, sender: str, quiet: logging.Logger) -> list[dict[str, Any]]:
    """The same batch without and with line-type lookups: requests and wall time, in one run."""
    from airflow_provider_twilio.retry import RetryPolicy
    from airflow_provider_twilio.sending import BatchOptions, send_batch, validate_batch
    from airflow_provider_twilio.sending.core import messages_resource
    from airflow_provider_twilio.sending.line_types import LineTypeScreen, with_held

    client = hook.get_conn()
    http = client.http_client
    original = http.request
    counted = [0]

    def request(*args: Any, **kwargs: Any) -> Any:
        counted[0] += 1
        return original(*args, **kwargs)

    http.request = request
    options = BatchOptions(max_concurrency=CONCURRENCY)
    recipients = hygiene_batch(LOOKUP_RECIPIENTS)
    plain_batch = screened_batch = validate_batch(to=recipients, body=BODY, default_from=sender)

    def plain() -> Any:
        return send_batch(messages_resource(client), plain_batch, options, log=quiet)

    def screened() -> Any:
        screen = LineTypeScreen(None, max_concurrency=CONCURRENCY, retry=RetryPolicy(), log=quiet)
        sendable, held = screen.screen(client, screened_batch)
        outcome = send_batch(messages_resource(client), sendable, options, log=quiet)
        return with_held(outcome, screened_batch.recipients, held)

    plain_wall, _, plain_outcome = timed(plain)
    plain_requests, counted[0] = counted[0], 0
    lookup_wall, _, lookup_outcome = timed(screened)
    lookup_requests = counted[0]
    http.request = original
    skipped = sum(1 for r in lookup_outcome.results if r["status"] == "skipped")
    failed = len(plain_outcome.failures) + len(lookup_outcome.failures)

    print(f"Number hygiene: {LOOKUP_RECIPIENTS} recipients, {skipped} on lines that cannot take a text")
    print(f"  without lookup  {plain_wall:7.2f} s wall  {plain_requests} requests")
    print(f"  lookup=line_type {lookup_wall:6.2f} s wall  {lookup_requests} requests ({skipped} texts not sent)")
    name = f"{LOOKUP_RECIPIENTS} recipients"
    return [
        row(
            f"{name}, lookup on: requests vs lookup off",
            lookup_requests,
            "",
            plain_requests,
            lookup_requests / plain_requests,
            "-",
            None,
        ),
        row(
            f"{name}, lookup on: wall time vs lookup off",
            lookup_wall,
            "s",
            plain_wall,
            lookup_wall / plain_wall,
            "-",
            None,
        ),
        row(f"{name}, lookup on: texts not sent (not textable)", skipped, "", None, None, "-", None),
        row(f"{name}: failed sends, lookup off and on", failed, "", 0, None, "0", failed == 0),
    ]


def row(
    metric: str, value: float, unit: str, baseline: float | None, ratio: float | None, target: str, ok: bool | None
) -> dict:
    return {
        "benchmark": NAME,
        "metric": metric,
        "value": round(value, 4),
        "unit": unit,
        "baseline": None if baseline is None else round(baseline, 4),
        "ratio": round(ratio, 3) if ratio is not None else None,
        "target": target,
        "ok": ok,
    }


if __name__ == "__main__":
    sys.exit(main())
