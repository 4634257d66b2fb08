"""Asset watchers on inbound SMS: what TwilioInboundSmsEventTrigger costs per poll (``make bench``).

The emulator runs in its own process with 100,000 messages already in the inbox. The watchers run the
way Airflow 3.3's triggerer runs them: subscribed to a ``SharedStreamManager`` by their
``shared_stream_key()``, each converting the shared stream with its own ``filter_shared_stream()``.
Reports, from one run:
- list requests per poll interval for 100 watchers with different patterns on one number, against a
  single watcher's (target: no more);
- requests and bytes per idle poll with 100,000 messages stored (target: 1 request);
- the time from a text arriving to its watcher's TriggerEvent at the default ``poll_interval``, p50
  and p99 (the triggerer then hands the event to its supervisor on its next sync, about a second,
  before the asset event is stored).
Exits 0 even when a target is missed.
"""

from __future__ import annotations

import asyncio
import json
import logging
import os
import random
import statistics
import sys
import time
import warnings
from typing import Any

from sensor_poll import US, Emulator, next_second, row

NAME = "event_watchers"
HISTORY = 100_000
WATCHERS = 100
COUNT_INTERVAL = 1.0  # requests are counted at a short interval: the ratio does not depend on it
MEASURED_INTERVALS = 4
SENDER = "+15551230001"


async def watchers(emu: Emulator, count: int, interval: float) -> tuple[Any, list[Any], dict[int, float]]:
    """``count`` watchers, pattern ``^JOB<i> ``, on one number through one SharedStreamManager."""
    from airflow.triggers.shared_stream import SharedStreamManager

    from airflow_provider_twilio.triggers.sms import TwilioInboundSmsEventTrigger

    manager = SharedStreamManager()
    fired: dict[int, float] = {}
    tasks = []

    async def collect(i: int, trigger: Any, stream: Any) -> None:
        async for _ in trigger.filter_shared_stream(stream):
            fired[i] = time.perf_counter()

    for i in range(count):
        trigger = TwilioInboundSmsEventTrigger(to=US, pattern=rf"^JOB{i} (?P<arg>\w+)$", poll_interval=interval)
        stream = manager.subscribe(trigger_id=i, trigger=trigger, key=trigger.shared_stream_key())
        tasks.append(asyncio.ensure_future(collect(i, trigger, stream)))
    return manager, tasks, fired


async def stop(manager: Any, tasks: list[Any]) -> None:
    for task in tasks:
        task.cancel()
    await asyncio.gather(*tasks, return_exceptions=True)
    await manager.stop_all()


async def requests_per_interval(emu: Emulator, count: int) -> tuple[float, float, float]:
    """List requests per poll, polls per interval and bytes per request, with ``count`` idle watchers.

    Counted from one poll of the shared poller to the one ``MEASURED_INTERVALS`` polls later, once every
    watcher has started and caught up.
    """
    from airflow_provider_twilio.triggers import inbox_poller

    loop = asyncio.get_running_loop()
    manager, tasks, _ = await watchers(emu, count, COUNT_INTERVAL)
    await asyncio.sleep(COUNT_INTERVAL * 2.5)
    [poller] = inbox_poller.pollers().values()

    async def next_poll() -> int:
        polls = poller.polls
        while poller.polls == polls:
            await asyncio.sleep(0.005)
        return poller.polls

    first = await next_poll()
    await loop.run_in_executor(None, emu.clear_log)
    started = time.perf_counter()
    while poller.polls < first + MEASURED_INTERVALS:
        await next_poll()
    elapsed = time.perf_counter() - started
    log = await loop.run_in_executor(None, emu.list_requests)
    await stop(manager, tasks)
    per_poll = len(log) / MEASURED_INTERVALS
    polls_per_interval = MEASURED_INTERVALS / (elapsed / COUNT_INTERVAL)
    return per_poll, polls_per_interval, sum(r["response_bytes"] for r in log) / max(1, len(log))


async def latency(emu: Emulator, interval: float) -> tuple[float, float]:
    """Each watcher's text arrives once, at a random moment over several intervals."""
    loop = asyncio.get_running_loop()
    manager, tasks, fired = await watchers(emu, WATCHERS, interval)
    await asyncio.sleep(interval * 1.5)
    injected: dict[int, float] = {}
    order = list(range(WATCHERS))
    random.Random(11).shuffle(order)
    spread, started = interval * 6, time.perf_counter()
    for n, i in enumerate(order):
        due = started + spread * n / WATCHERS + random.Random(n).uniform(0, spread / WATCHERS)
        await asyncio.sleep(max(0.0, due - time.perf_counter()))
        injected[i] = time.perf_counter()
        await loop.run_in_executor(None, emu.inject, SENDER, f"JOB{i} go")
    deadline = time.perf_counter() + interval * 4 + 30
    while len(fired) < WATCHERS and time.perf_counter() < deadline:
        await asyncio.sleep(0.1)
    await stop(manager, tasks)
    assert len(fired) == WATCHERS, f"only {len(fired)} of {WATCHERS} watchers fired"
    latencies = sorted(fired[i] - injected[i] for i in range(WATCHERS))
    return statistics.median(latencies), latencies[min(len(latencies) - 1, int(len(latencies) * 0.99))]


def main() -> int:
    from airflow_provider_twilio.triggers.events import DEFAULT_EVENT_POLL_INTERVAL, EVENT_TRIGGERS_AVAILABLE

    # After Airflow's import has set up its logging: keep the report readable (100 watchers each log
    # that they start, and warn that they have no state store outside a triggerer).
    warnings.simplefilter("ignore", DeprecationWarning)
    logging.disable(logging.WARNING)
    try:
        import structlog

        structlog.configure(wrapper_class=structlog.make_filtering_bound_logger(logging.ERROR))
    except ImportError:
        pass
    if not EVENT_TRIGGERS_AVAILABLE:
        print("Airflow 3 only: this Airflow has no event triggers")
        print("BENCH_JSON []")
        return 0
    emu = Emulator()
    try:
        os.environ["AIRFLOW_CONN_TWILIO_DEFAULT"] = emu.uri
        emu.grow_to(HISTORY)
        next_second()  # watchers start in a later second than the history: it is all older than them
        print(f"Watchers on one number, {HISTORY:,} messages stored, poll interval {COUNT_INTERVAL:g} s")
        one, one_cadence, one_bytes = asyncio.run(requests_per_interval(emu, 1))
        many, many_cadence, _ = asyncio.run(requests_per_interval(emu, WATCHERS))
        print(f"  list requests per poll: 1 watcher {one:g}, {WATCHERS} watchers {many:g}")
        print(f"  polls per interval: 1 watcher {one_cadence:.3f}, {WATCHERS} watchers {many_cadence:.3f}")
        print(f"  idle poll: {one:g} request(s), {one_bytes:,.0f} bytes")
        interval = DEFAULT_EVENT_POLL_INTERVAL
        print(f"Text-to-event latency, {WATCHERS} watchers, default poll interval {interval:g} s")
        p50, p99 = asyncio.run(latency(emu, interval))
        limit = interval + 1.0
        print(f"  p50 {p50:.3f} s, p99 {p99:.3f} s (target p99 <= {limit:g} s)")
        rows = [
            row(
                f"list requests per poll, {WATCHERS} watchers, different patterns",
                many,
                "req",
                one,
                "<= 1 watcher's",
                many <= one,
                NAME,
            ),
            row(
                f"polls per interval, {WATCHERS} watchers (one poll loop, fixed cadence)",
                many_cadence,
                "polls",
                one_cadence,
                "1",
                round(many_cadence, 1) == 1.0,
                NAME,
            ),
            row(f"requests per idle poll, {HISTORY:,} messages", one, "req", None, "1", one == 1, NAME),
            row(f"bytes per idle poll, {HISTORY:,} messages", one_bytes, "B", None, "-", None, NAME),
            row(f"text-to-event latency p50, {interval:g} s interval", p50, "s", None, "-", None, NAME),
            row(
                f"text-to-event latency p99, {interval:g} s interval",
                p99,
                "s",
                None,
                f"<= {limit:g} s",
                p99 <= limit,
                NAME,
            ),
        ]
    finally:
        emu.close()
    print("BENCH_JSON " + json.dumps(rows))
    return 0


if __name__ == "__main__":
    sys.exit(main())
