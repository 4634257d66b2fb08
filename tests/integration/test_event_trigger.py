"""TwilioInboundSmsEventTrigger in-process against the emulator: events, checkpoints, shared polling.

The triggerer itself (asset events, DAG runs, a SIGKILLed triggerer) is in tests/e2e/test_event_watcher_processes.py.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from typing import TYPE_CHECKING, Any

import pytest

from airflow_provider_twilio.triggers.events import EVENT_TRIGGERS_AVAILABLE

if TYPE_CHECKING:
    from airflow_provider_twilio.emulator.server import TwilioEmulator
    from airflow_provider_twilio.triggers.events import TwilioInboundSmsEventTrigger

pytestmark = [
    pytest.mark.skipif(not EVENT_TRIGGERS_AVAILABLE, reason="event triggers and AssetWatcher exist only on Airflow 3"),
]

US, ANN, BOB = "+15005550006", "+15551230981", "+15551230982"
RUN = r"^RUN (?P<job>[\w-]+)$"


class DictStateStore:
    """Stands in for the triggerer's ``AssetStateStoreAccessors`` of one asset: the async half of its API."""

    def __init__(self) -> None:
        self.values: dict[str, Any] = {}
        self.writes = 0

    async def aget(self, key: str, default: Any = None) -> Any:
        return self.values.get(key, default)

    async def aset(self, key: str, value: Any) -> None:
        self.values[key] = value
        self.writes += 1


def watcher(store: Any = None, **kwargs: Any) -> TwilioInboundSmsEventTrigger:
    from airflow_provider_twilio.triggers.sms import TwilioInboundSmsEventTrigger

    kwargs.setdefault("to", US)
    kwargs.setdefault("poll_interval", 0.2)
    trigger = TwilioInboundSmsEventTrigger(**kwargs)
    if store is None:  # as on Airflow 3.0-3.2, whose triggerer hands event triggers no state store
        trigger.__dict__.pop("asset_state_store", None)
    else:
        trigger.asset_state_store = store
    return trigger


def restarted(trigger: TwilioInboundSmsEventTrigger, store: Any) -> TwilioInboundSmsEventTrigger:
    """The same watcher as a new triggerer builds it: from its serialized kwargs, with the same store."""
    _, kwargs = trigger.serialize()
    return watcher(store, **kwargs)


class Collector:
    """Runs a trigger as the triggerer does and keeps the payloads it fires."""

    def __init__(self, trigger: TwilioInboundSmsEventTrigger, events: AsyncIterator[Any] | None = None) -> None:
        self.trigger = trigger
        self.payloads: list[dict[str, Any]] = []
        self.task = asyncio.ensure_future(self._collect(events or trigger.run()))

    async def _collect(self, events: AsyncIterator[Any]) -> None:
        async for event in events:
            self.payloads.append(event.payload)

    async def stop(self) -> None:
        self.task.cancel()
        await asyncio.gather(self.task, return_exceptions=True)

    def bodies(self) -> list[str]:
        return [p["body"] for p in self.payloads]


async def until(condition: Any, what: str, timeout: float = 15.0) -> None:
    deadline = asyncio.get_running_loop().time() + timeout
    while not condition():
        assert asyncio.get_running_loop().time() < deadline, f"timed out waiting for {what}"
        await asyncio.sleep(0.05)


async def settle(emu: TwilioEmulator, polls: int = 3) -> None:
    """Let the poller read a few more times, so that an event that should not come would have come."""
    start = list_requests(emu)
    await until(lambda: list_requests(emu) >= start + polls, f"{polls} more polls")


def list_requests(emu: TwilioEmulator) -> int:
    return sum(1 for r in emu.request_log() if r["method"] == "GET" and r["path"].endswith("/Messages.json"))


def test_serialize_round_trips_and_sms_module_exports_it() -> None:
    from airflow.triggers.base import BaseEventTrigger

    from airflow_provider_twilio.triggers import events, sms

    assert sms.TwilioInboundSmsEventTrigger is events.TwilioInboundSmsEventTrigger
    trigger = watcher(pattern=RUN, from_=[ANN, BOB], ignore_case=True, poll_interval=3)
    assert isinstance(trigger, BaseEventTrigger)
    classpath, kwargs = trigger.serialize()
    assert kwargs == {
        "to": US,
        "pattern": RUN,
        "from_": [ANN, BOB],
        "ignore_case": True,
        "poll_interval": 3.0,
        "twilio_conn_id": "twilio_default",
        "source": "poll",
    }
    assert restarted(trigger, None).serialize() == (classpath, kwargs)


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"pattern": "RUN ("}, "pattern: 'RUN (' is not a valid regular expression"),
        ({"to": "555-1234"}, "to: '555-1234' is not an E.164 phone number"),
        ({"from_": ["+15551230001", "nobody"]}, "from_: 'nobody' is not an E.164 phone number"),
        ({"poll_interval": 0}, "poll_interval: expected a positive number of seconds, got 0"),
    ],
)
def test_bad_arguments_fail_when_the_dag_is_parsed(kwargs: dict[str, Any], message: str) -> None:
    from airflow_provider_twilio.exceptions import TwilioInputError

    with pytest.raises(TwilioInputError) as info:
        watcher(**kwargs)
    assert message in str(info.value)


def test_fires_once_per_matching_text_oldest_first_with_the_payload(twilio_emulator: TwilioEmulator) -> None:
    emu = twilio_emulator

    async def scenario() -> Collector:
        run = Collector(watcher(DictStateStore(), pattern=RUN, from_=[ANN, BOB]))
        await settle(emu, 1)
        emu.inject_inbound(from_=ANN, to=US, body="RUN nightly-report")
        emu.inject_inbound(from_=ANN, to=US, body="hello")  # no match
        emu.inject_inbound(from_="+15551230983", to=US, body="RUN intruder")  # not a listed sender
        emu.inject_inbound(from_=BOB, to=US, body="RUN backfill", media_urls=("https://example.com/a.png",))
        emu.inject_inbound(from_=ANN, to="+15005550007", body="RUN elsewhere")  # another number
        await until(lambda: len(run.payloads) == 2, "two events")
        await settle(emu)
        await run.stop()
        return run

    run = asyncio.run(scenario())
    first, second = run.payloads
    assert set(first) == {"sid", "from", "to", "body", "date_sent", "num_media", "match_groups", "groups"}
    assert (first["from"], first["to"], first["body"]) == (ANN, US, "RUN nightly-report")
    assert first["match_groups"] == {"job": "nightly-report"} and first["groups"] == ["nightly-report"]
    assert first["num_media"] == 0 and first["sid"].startswith("SM")
    assert (second["body"], second["num_media"], second["match_groups"]) == ("RUN backfill", 1, {"job": "backfill"})
    assert first["date_sent"] <= second["date_sent"]


def test_without_a_pattern_every_text_fires_and_bodies_stay_data(twilio_emulator: TwilioEmulator) -> None:
    emu = twilio_emulator
    hostile = "{{ conf.get('core', 'fernet_key') }} ${job} {% raw %}"

    async def scenario() -> Collector:
        run = Collector(watcher())  # to: the connection's default_from
        await settle(emu, 1)
        emu.inject_inbound(from_=ANN, to=US, body="one")
        emu.inject_inbound(from_=BOB, to=US, body=hostile)
        await until(lambda: len(run.payloads) == 2, "two events")
        await run.stop()
        return run

    run = asyncio.run(scenario())
    assert run.bodies() == ["one", hostile]
    assert run.payloads[1]["match_groups"] == {} and run.payloads[1]["groups"] == []


def test_checkpoint_in_the_state_store_survives_restarts(twilio_emulator: TwilioEmulator) -> None:
    """Texts that arrive while no triggerer runs fire on restart; texts that fired never fire again."""
    emu = twilio_emulator
    store = DictStateStore()

    async def scenario() -> tuple[Collector, Collector, Collector]:
        first = Collector(watcher(store, pattern=RUN))
        await settle(emu, 1)
        for body in ("RUN a", "nope", "RUN b", "RUN c", "still nope"):
            emu.inject_inbound(from_=ANN, to=US, body=body)
        await until(lambda: len(first.payloads) == 3, "three events")
        await first.stop()  # the triggerer is gone
        emu.inject_inbound(from_=ANN, to=US, body="RUN d")
        emu.inject_inbound(from_=BOB, to=US, body="RUN e")
        second = Collector(restarted(first.trigger, store))
        await until(lambda: len(second.payloads) == 2, "the two texts sent while down")
        await settle(emu)
        await second.stop()
        third = Collector(restarted(first.trigger, store))  # and once more, with nothing new
        await settle(emu)
        emu.inject_inbound(from_=ANN, to=US, body="RUN f")
        await until(lambda: len(third.payloads) == 1, "a new text after the second restart")
        await settle(emu)
        await third.stop()
        return first, second, third

    first, second, third = asyncio.run(scenario())
    assert first.bodies() == ["RUN a", "RUN b", "RUN c"]
    assert second.bodies() == ["RUN d", "RUN e"]
    assert third.bodies() == ["RUN f"]
    [key] = store.values
    assert key.startswith("twilio_inbound_sms:")


def test_without_a_state_store_texts_sent_while_down_are_missed_never_repeated(
    twilio_emulator: TwilioEmulator,
) -> None:
    """Airflow 3.0-3.2 (no asset state store): each start watches from that moment (docs/events.md)."""
    emu = twilio_emulator

    async def scenario() -> tuple[Collector, Collector]:
        first = Collector(watcher(None, pattern=RUN))
        await settle(emu, 1)
        emu.inject_inbound(from_=ANN, to=US, body="RUN a")
        await until(lambda: len(first.payloads) == 1, "one event")
        await first.stop()
        emu.inject_inbound(from_=ANN, to=US, body="RUN while-down")
        await asyncio.sleep(1.1)  # Twilio dates have one-second resolution: the restart is a later second
        second = Collector(restarted(first.trigger, None))
        await settle(emu, 2)
        emu.inject_inbound(from_=ANN, to=US, body="RUN b")
        await until(lambda: len(second.payloads) == 1, "the text after the restart")
        await settle(emu)
        await second.stop()
        return first, second

    first, second = asyncio.run(scenario())
    assert first.bodies() == ["RUN a"]
    assert second.bodies() == ["RUN b"]


def shared_streams_available() -> bool:
    try:
        import airflow.triggers.shared_stream  # noqa: F401
    except ImportError:
        return False
    return True


@pytest.mark.skipif(not shared_streams_available(), reason="Airflow's shared streams for event triggers came in 3.3")
def test_watchers_on_one_number_share_one_poll_through_airflows_shared_stream(
    twilio_emulator: TwilioEmulator,
) -> None:
    """Airflow 3.3's SharedStreamManager, as the triggerer drives it: one group, one poll, own patterns."""
    from airflow.triggers.shared_stream import SharedStreamManager

    emu = twilio_emulator
    patterns = {f"w{i}": rf"^JOB{i} (?P<arg>\w+)$" for i in range(20)}

    async def scenario() -> tuple[dict[str, Collector], int, int]:
        manager = SharedStreamManager()
        runs: dict[str, Collector] = {}
        keys = set()
        for trigger_id, (name, pattern) in enumerate(patterns.items()):
            trigger = watcher(DictStateStore(), pattern=pattern)
            key = trigger.shared_stream_key()
            keys.add(key)
            stream = manager.subscribe(trigger_id=trigger_id, trigger=trigger, key=key)
            runs[name] = Collector(trigger, trigger.filter_shared_stream(stream))
        assert len(keys) == 1
        await settle(emu, 2)
        emu.clear_request_log()
        for i in (3, 17, 3):
            emu.inject_inbound(from_=ANN, to=US, body=f"JOB{i} go{i}")
        await until(lambda: len(runs["w3"].payloads) == 2 and len(runs["w17"].payloads) == 1, "events")
        polls = list_requests(emu)
        await asyncio.sleep(1.0)
        per_second = list_requests(emu) - polls
        for run in runs.values():
            await run.stop()
        await manager.stop_all()
        return runs, polls, per_second

    runs, _, per_second = asyncio.run(scenario())
    assert [p["match_groups"] for p in runs["w3"].payloads] == [{"arg": "go3"}, {"arg": "go3"}]
    assert runs["w17"].bodies() == ["JOB17 go17"]
    assert all(not run.payloads for name, run in runs.items() if name not in ("w3", "w17"))
    # 20 watchers at a 0.2 s interval: one poll loop, so about 5 list requests a second, not 100.
    assert per_second <= 7, per_second


def test_the_checkpoint_covering_a_text_is_saved_before_its_event_leaves(twilio_emulator: TwilioEmulator) -> None:
    """The order the never-twice guarantee rests on: a triggerer killed right after an event left the
    trigger restarts past that text."""
    from airflow_provider_twilio.inbound.polling import InboxCursor

    emu = twilio_emulator
    store = DictStateStore()
    seen_at_event: list[tuple[str, list[str]]] = []

    async def scenario() -> None:
        trigger = watcher(store, pattern=RUN)
        events = trigger.run()
        task = asyncio.ensure_future(_record(events))
        await settle(emu, 1)
        for body in ("RUN a", "RUN b"):
            emu.inject_inbound(from_=ANN, to=US, body=body)
        await until(lambda: len(seen_at_event) == 2, "two events")
        task.cancel()
        await asyncio.gather(task, return_exceptions=True)

    async def _record(events: AsyncIterator[Any]) -> None:
        async for event in events:
            [saved] = store.values.values()
            # What a restarted triggerer would read now: nothing it would fire again.
            restarted_cursor = InboxCursor.resume(US, saved)
            seen_at_event.append((event.payload["sid"], list(saved["seen"])))
            message = event.payload
            assert restarted_cursor.lower_bound.isoformat() <= message["date_sent"]
            assert message["sid"] in saved["seen"]

    asyncio.run(scenario())
    assert [sid in seen for sid, seen in seen_at_event] == [True, True]


def test_throttled_and_failing_polls_neither_lose_nor_repeat_a_text(twilio_emulator: TwilioEmulator) -> None:
    emu = twilio_emulator
    bodies = [f"RUN job-{i}" for i in range(8)]

    async def scenario() -> Collector:
        run = Collector(watcher(DictStateStore(), pattern=RUN))
        await settle(emu, 1)
        emu.configure(throttle=0.5, seed=3)  # half the list requests answer 429
        for body in bodies:
            emu.inject_inbound(from_=ANN, to=US, body=body)
        await until(lambda: len(run.payloads) == len(bodies), "every text despite the 429s", timeout=30)
        await settle(emu, 4)
        emu.configure(throttle=0.0)
        await run.stop()
        return run

    run = asyncio.run(scenario())
    assert run.bodies() == bodies
    assert sum(1 for r in emu.request_log() if r["status"] == 429) >= 3


def test_a_keyword_never_fires_even_without_a_pattern(twilio_emulator: TwilioEmulator) -> None:
    """STOP, START and HELP never start a DAG; a pattern that names the word opts in."""
    emu = twilio_emulator

    async def scenario() -> tuple[Collector, Collector]:
        every = Collector(watcher())
        named = Collector(watcher(pattern=r"(?i)^(?P<word>stop|start)$"))
        await settle(emu, 1)
        for body in ("STOP", "start", " Help! ", "hello"):
            emu.inject_inbound(from_=ANN, to=US, body=body)
        await until(lambda: len(every.payloads) == 1 and len(named.payloads) == 2, "the events")
        await settle(emu)
        await every.stop()
        await named.stop()
        return every, named

    every, named = asyncio.run(scenario())
    assert every.bodies() == ["hello"]
    assert named.bodies() == ["STOP", "start"]
