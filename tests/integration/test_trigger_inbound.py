"""TwilioInboundSmsTrigger against the emulator: restarts, shared polling, late subscribers, clean-up."""

from __future__ import annotations

import asyncio
import logging
import time
from datetime import datetime, timezone
from typing import TYPE_CHECKING, Any

import pytest

from airflow_provider_twilio.hooks.twilio import TwilioHook
from airflow_provider_twilio.triggers import inbox_poller
from airflow_provider_twilio.triggers.sms import TwilioInboundSmsTrigger

if TYPE_CHECKING:
    from airflow_provider_twilio.emulator.server import TwilioEmulator

US, ANN = "+15005550006", "+15551230001"
PATTERN = r"^(?P<answer>YES|NO) (?P<code>\d{4})$"


def since_next_second() -> str:
    time.sleep(1.05 - (time.time() % 1))
    return datetime.now(timezone.utc).isoformat()


def trigger(since: str, **kwargs: Any) -> TwilioInboundSmsTrigger:
    kwargs.setdefault("pattern", PATTERN)
    return TwilioInboundSmsTrigger(to=US, since=since, poll_interval=0.2, **kwargs)


def first_event(t: TwilioInboundSmsTrigger) -> asyncio.Task[Any]:
    return asyncio.ensure_future(t.run().__anext__())


def list_requests(emu: TwilioEmulator) -> int:
    return sum(1 for r in emu.request_log() if r["method"] == "GET" and r["path"].endswith("/Messages.json"))


async def until(condition: Any, timeout: float = 15.0) -> None:
    deadline = asyncio.get_running_loop().time() + timeout
    while not condition():
        assert asyncio.get_running_loop().time() < deadline, "condition not met in time"
        await asyncio.sleep(0.05)


def test_serialize_round_trips() -> None:
    t = trigger("2026-11-22T14:00:00+00:00", from_=[ANN], echo_error="Sorry ${body}", ignore_case=True)
    classpath, kwargs = t.serialize()
    assert classpath == "airflow_provider_twilio.triggers.sms.TwilioInboundSmsTrigger"
    assert TwilioInboundSmsTrigger(**kwargs).serialize() == (classpath, kwargs)


def test_error_reply_once_across_triggerer_restarts(twilio_emulator: TwilioEmulator) -> None:
    emu = twilio_emulator
    since = since_next_second()
    emu.inject_inbound(from_=ANN, to=US, body="what {{ 1 + 1 }}?")

    def replies() -> list[str]:
        return [m["body"] for m in emu.messages() if m["direction"] != "inbound"]

    async def scenario() -> Any:
        original = trigger(since, from_=[ANN], echo_error="Sorry, '${body}' is not an answer")
        running = first_event(original)
        await until(lambda: len(replies()) == 1)
        running.cancel()  # the triggerer stops; its memory is gone
        await asyncio.gather(running, return_exceptions=True)
        assert inbox_poller.pollers() == {}
        _, kwargs = original.serialize()
        restarted = first_event(TwilioInboundSmsTrigger(**kwargs))
        polls_before = list_requests(emu)
        await until(lambda: list_requests(emu) >= polls_before + 4)
        assert not restarted.done()
        emu.inject_inbound(from_=ANN, to=US, body="NO 1234")
        return await asyncio.wait_for(restarted, 15)

    event = asyncio.run(scenario())
    assert event.payload["status"] == "match"
    assert event.payload["result"]["match_groups"] == {"answer": "NO", "code": "1234"}
    assert replies() == ["Sorry, 'what {{ 1 + 1 }}?' is not an answer"]


def test_waiting_triggers_share_one_poll(twilio_emulator: TwilioEmulator) -> None:
    emu = twilio_emulator
    since = since_next_second()

    async def scenario(count: int) -> tuple[int, list[Any]]:
        tasks = [first_event(trigger(since, pattern=rf"^YES {i:04d}$")) for i in range(count)]
        await until(lambda: list_requests(emu) >= 1)
        await asyncio.sleep(0.05)
        emu.clear_request_log()
        await asyncio.sleep(1.0)
        requests = list_requests(emu)
        assert len(inbox_poller.pollers()) == 1
        for i in range(count):
            emu.inject_inbound(from_=ANN, to=US, body=f"YES {i:04d}")
        events = await asyncio.wait_for(asyncio.gather(*tasks), 20)
        assert inbox_poller.pollers() == {}
        return requests, events

    one, _ = asyncio.run(scenario(1))
    many, events = asyncio.run(scenario(200))
    assert sorted(e.payload["result"]["message"]["body"] for e in events) == [f"YES {i:04d}" for i in range(200)]
    assert 3 <= one <= 7
    assert many <= one + 1


def test_late_subscriber_sees_earlier_messages(twilio_emulator: TwilioEmulator) -> None:
    emu = twilio_emulator
    early = since_next_second()
    emu.inject_inbound(from_=ANN, to=US, body="YES 0001")
    later = since_next_second()
    emu.inject_inbound(from_=ANN, to=US, body="YES 0002")

    async def scenario() -> tuple[Any, Any]:
        first = first_event(trigger(later, pattern=r"^YES 0002$"))
        never = first_event(trigger(later, pattern=r"^NEVER$"))
        event_later = await asyncio.wait_for(first, 10)
        # Joins an existing poller whose window starts after this trigger's: it reads back once.
        event_early = await asyncio.wait_for(first_event(trigger(early, pattern=r"^YES 0001$")), 10)
        never.cancel()
        await asyncio.gather(never, return_exceptions=True)
        assert inbox_poller.pollers() == {}
        return event_later, event_early

    event_later, event_early = asyncio.run(scenario())
    assert event_later.payload["result"]["message"]["body"] == "YES 0002"
    assert event_early.payload["result"]["message"]["body"] == "YES 0001"


def test_authentication_error_ends_every_waiter(
    twilio_emulator: TwilioEmulator, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv(
        "AIRFLOW_CONN_TWILIO_DEFAULT", twilio_emulator.connection_uri.replace(twilio_emulator.auth_token, "1" * 32)
    )

    async def scenario() -> list[Any]:
        since = datetime.now(timezone.utc).isoformat()
        return await asyncio.wait_for(asyncio.gather(*(first_event(trigger(since)) for _ in range(3))), 10)

    events = asyncio.run(scenario())
    assert [e.payload["status"] for e in events] == ["error"] * 3
    assert {e.payload["error_type"] for e in events} == {"AUTHENTICATION_CONNECTION_ERROR"}


def test_refused_error_reply_keeps_waiting(twilio_emulator: TwilioEmulator) -> None:
    """+15005550004 has opted out (21610): the error reply is refused, the trigger waits on."""
    emu = twilio_emulator
    opted_out = "+15005550004"
    since = since_next_second()
    emu.inject_inbound(from_=opted_out, to=US, body="maybe")

    async def scenario() -> Any:
        running = first_event(trigger(since, from_=[opted_out], echo_error="Sorry"))
        polls = list_requests(emu)
        await until(lambda: list_requests(emu) >= polls + 3)
        assert not running.done()
        emu.inject_inbound(from_=opted_out, to=US, body="YES 0004")
        return await asyncio.wait_for(running, 10)

    event = asyncio.run(scenario())
    assert event.payload["result"]["match_groups"]["code"] == "0004"
    assert [m for m in emu.messages() if m["direction"] != "inbound"] == []


def test_late_subscriber_reads_back_what_history_dropped(
    twilio_emulator: TwilioEmulator, monkeypatch: pytest.MonkeyPatch
) -> None:
    emu = twilio_emulator
    monkeypatch.setattr(inbox_poller, "MAX_HISTORY", 3)
    since = since_next_second()
    emu.inject_inbound(from_=ANN, to=US, body="YES 0001")

    async def scenario() -> Any:
        never = first_event(trigger(since, pattern=r"^NEVER$"))
        await until(lambda: list_requests(emu) >= 1)
        next_second_async = asyncio.get_running_loop().run_in_executor(None, since_next_second)
        await next_second_async
        for i in range(6):
            emu.inject_inbound(from_=ANN, to=US, body=f"filler {i}")
        polls = list_requests(emu)
        await until(lambda: list_requests(emu) >= polls + 2)
        (poller,) = inbox_poller.pollers().values()
        assert len(poller.history) == 3 and "YES 0001" not in {m.body for m in poller.history.values()}
        event = await asyncio.wait_for(first_event(trigger(since, pattern=r"^YES 0001$")), 10)
        never.cancel()
        await asyncio.gather(never, return_exceptions=True)
        return event

    event = asyncio.run(scenario())
    assert event.payload["result"]["message"]["body"] == "YES 0001"


# A callback that holds the event loop this long stalls every trigger in a triggerer. Matching the hostile
# body below with ``re`` on the loop holds it for seconds (each extra "a" multiplies that by 1.6).
SLOW_CALLBACK = 0.5


@pytest.mark.serial
def test_hostile_body_does_not_block_the_event_loop(
    twilio_emulator: TwilioEmulator, caplog: pytest.LogCaptureFixture
) -> None:
    emu = twilio_emulator
    since = since_next_second()
    emu.inject_inbound(from_=ANN, to=US, body="a" * 34 + "!")
    since_next_second()  # the hostile message is the older one, so it is matched first
    emu.inject_inbound(from_=ANN, to=US, body="aaaa")

    async def scenario() -> Any:
        async with TwilioHook().async_client():
            pass  # the SDK is imported and a client built before the loop is watched: only matching counts
        loop = asyncio.get_running_loop()
        loop.set_debug(True)
        loop.slow_callback_duration = SLOW_CALLBACK
        return await asyncio.wait_for(first_event(trigger(since, pattern=r"^(a|aa)+$")), 30)

    with caplog.at_level(logging.WARNING):
        event = asyncio.run(scenario())
    slow = [r.getMessage() for r in caplog.records if r.name == "asyncio" and " took " in r.getMessage()]
    assert slow == []
    assert event.payload["result"]["message"]["body"] == "aaaa"
    timed_out = [r.getMessage() for r in caplog.records if "ran out of time" in r.getMessage()]
    assert len(timed_out) == 1, timed_out


@pytest.mark.parametrize("run", [1, 2])
def test_two_waiters_on_one_number_send_one_error_reply(twilio_emulator: TwilioEmulator, run: int) -> None:
    """Both see the wrong answer in the same poll; with latency each used to find the log empty and send."""
    emu = twilio_emulator
    emu.configure(latency=0.15)
    since = since_next_second()

    def replies() -> list[str]:
        return [m["body"] for m in emu.messages() if m["direction"] != "inbound"]

    async def scenario() -> list[Any]:
        waiters = [first_event(trigger(since, from_=[ANN], echo_error="Sorry, not an answer")) for _ in range(2)]
        await until(lambda: list_requests(emu) >= 1)
        emu.inject_inbound(from_=ANN, to=US, body=f"maybe {run}")
        await until(lambda: len(replies()) >= 1)
        polls = list_requests(emu)
        await until(lambda: list_requests(emu) >= polls + 4)  # time for a second reply to go out
        emu.inject_inbound(from_=ANN, to=US, body="YES 0002")
        return await asyncio.wait_for(asyncio.gather(*waiters), 20)

    events = asyncio.run(scenario())
    assert [e.payload["status"] for e in events] == ["match", "match"]
    assert replies() == ["Sorry, not an answer"]
