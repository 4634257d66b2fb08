"""Waiting triggers follow their connection: a rotated token is picked up, a deleted connection ends the wait.

The connection is an ``AIRFLOW_CONN_TWILIO_DEFAULT`` variable, as the ``twilio_emulator`` fixture sets
it; the emulator's ``rotate_auth_token()`` makes the old token fail with 20003, as on Twilio.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from datetime import datetime, timezone
from typing import TYPE_CHECKING, Any

import pytest

from airflow_provider_twilio.exceptions import ErrorType, TwilioAuthenticationError, TwilioConnectionConfigError
from airflow_provider_twilio.pytest_plugin import CONNECTION_ENV
from airflow_provider_twilio.triggers import inbox_poller
from airflow_provider_twilio.triggers.live_connection import LiveConnection
from airflow_provider_twilio.triggers.sms import TwilioInboundSmsTrigger, TwilioMessageStatusTrigger

if TYPE_CHECKING:
    from airflow_provider_twilio.emulator.server import TwilioEmulator

US, OTHER, ANN = "+15005550006", "+15005550016", "+15551230441"
INTERVAL = 0.2
DELETED = "Twilio connection 'twilio_default' no longer exists: it was deleted while waiting"


def waiting(to: str, pattern: str, conn_id: str = "twilio_default") -> asyncio.Task[Any]:
    since = datetime.now(timezone.utc).isoformat()
    trigger = TwilioInboundSmsTrigger(
        pattern=pattern, to=to, since=since, poll_interval=INTERVAL, twilio_conn_id=conn_id
    )
    return asyncio.ensure_future(trigger.run().__anext__())


def requests(emu: TwilioEmulator, status: int | None = None) -> int:
    return sum(1 for r in emu.request_log() if r["method"] == "GET" and status in (None, r["status"]))


async def until(condition: Callable[[], Any], timeout: float = 15.0) -> None:
    deadline = asyncio.get_running_loop().time() + timeout
    while not condition():
        assert asyncio.get_running_loop().time() < deadline, "condition not met in time"
        await asyncio.sleep(0.02)


def rotate(emu: TwilioEmulator, monkeypatch: pytest.MonkeyPatch) -> None:
    """Twilio's new token first, then the connection (an operator can do no better): both before the next poll."""
    emu.rotate_auth_token()
    monkeypatch.setenv(CONNECTION_ENV, emu.connection_uri)


def test_a_waiting_inbound_trigger_carries_on_after_a_token_rotation(
    twilio_emulator: TwilioEmulator, monkeypatch: pytest.MonkeyPatch
) -> None:
    emu = twilio_emulator

    async def scenario() -> Any:
        task = waiting(US, r"^YES (\d{4})$")
        await until(lambda: requests(emu) >= 3)
        rotate(emu, monkeypatch)
        polls = requests(emu)
        await until(lambda: requests(emu) >= polls + 3)
        assert not task.done(), task.result()
        emu.inject_inbound(from_=ANN, to=US, body="YES 1234")
        return await asyncio.wait_for(task, 15)

    event = asyncio.run(scenario())
    assert event.payload["status"] == "match", event.payload
    assert event.payload["result"]["message"]["body"] == "YES 1234"
    assert requests(emu, status=401) <= 1  # at most the poll in flight at the rotation


def test_a_deleted_connection_ends_every_wait_and_its_polls(
    twilio_emulator: TwilioEmulator, monkeypatch: pytest.MonkeyPatch
) -> None:
    emu = twilio_emulator

    async def scenario() -> tuple[list[Any], int]:
        tasks = [waiting(US, r"^YES$"), waiting(US, r"^NO$"), waiting(OTHER, r"^MAYBE$")]
        await until(lambda: len(inbox_poller.pollers()) == 2 and requests(emu) >= 6)
        monkeypatch.delenv(CONNECTION_ENV)
        polls = requests(emu)
        events = await asyncio.wait_for(asyncio.gather(*tasks), 15)
        after = requests(emu) - polls
        await asyncio.sleep(5 * INTERVAL)
        assert requests(emu) - polls == after, "the pollers went on polling after their waiters failed"
        assert inbox_poller.pollers() == {}
        return events, after

    events, polls_after_deletion = asyncio.run(scenario())
    assert [e.payload["status"] for e in events] == ["error"] * 3
    for event in events:
        assert event.payload["message"].startswith(DELETED), event.payload
        assert event.payload["error_type"] == ErrorType.INVALID_INPUT.value
    # Each poller reads the connection before each poll: at most the poll in flight per poller follows.
    assert polls_after_deletion <= 2
    assert emu.auth_token not in str([e.payload for e in events])


def test_a_status_trigger_carries_on_after_a_rotation_and_ends_on_deletion(
    twilio_emulator: TwilioEmulator, monkeypatch: pytest.MonkeyPatch
) -> None:
    from airflow_provider_twilio.hooks.twilio import TwilioHook

    emu = twilio_emulator
    emu.configure(status_delay=1.0)

    def run(to: str, change: Callable[[], None]) -> tuple[str, Any]:
        sid = TwilioHook().get_conn().messages.create(to=to, from_=US, body="hello").sid
        emu.clear_request_log()

        async def scenario() -> Any:
            trigger = TwilioMessageStatusTrigger(message_sids=[sid], poll_interval=INTERVAL)
            task = asyncio.ensure_future(trigger.run().__anext__())
            await until(lambda: requests(emu) >= 2)
            assert not task.done()
            change()
            return await asyncio.wait_for(task, 15)

        return sid, asyncio.run(scenario())

    sid, rotated = run("+15551230442", lambda: rotate(emu, monkeypatch))
    assert rotated.payload["status"] == "done", rotated.payload
    assert rotated.payload["states"][sid]["status"] == "delivered"

    _, deleted = run("+15551230443", lambda: monkeypatch.delenv(CONNECTION_ENV))
    assert deleted.payload["status"] == "error"
    assert deleted.payload["message"].startswith(DELETED)


def test_an_authentication_failure_reads_the_connection_once_and_retries_with_a_new_token(
    twilio_emulator: TwilioEmulator, monkeypatch: pytest.MonkeyPatch
) -> None:
    emu = twilio_emulator

    async def fetch(client: Any) -> str:
        from airflow_provider_twilio.exceptions import classify_exception

        try:
            account = await client.api.v2010.accounts(emu.account_sid).fetch_async()
        except Exception as err:
            raise classify_exception(err) from err
        return str(account.status)

    async def scenario() -> tuple[str, int]:
        async with LiveConnection("twilio_default") as connection:
            rotate(emu, monkeypatch)  # no follow(): only the refused request makes it read again
            return await connection.call(fetch), connection.reads

    status, reads = asyncio.run(scenario())
    assert status == "active"
    assert reads == 2
    assert requests(emu, status=401) == 1


def test_an_authentication_failure_with_an_unchanged_connection_is_the_error(
    twilio_emulator: TwilioEmulator, monkeypatch: pytest.MonkeyPatch
) -> None:
    emu = twilio_emulator

    async def fetch(client: Any) -> Any:
        from airflow_provider_twilio.exceptions import classify_exception

        try:
            return await client.api.v2010.accounts(emu.account_sid).fetch_async()
        except Exception as err:
            raise classify_exception(err) from err

    async def scenario(connection: LiveConnection) -> None:
        async with connection:
            emu.rotate_auth_token()  # the connection is not updated
            await connection.call(fetch)

    connection = LiveConnection("twilio_default")
    with pytest.raises(TwilioAuthenticationError, match="20003"):
        asyncio.run(scenario(connection))
    assert connection.reads == 2  # read once more, then not again
    assert requests(emu, status=401) == 1

    deleted = LiveConnection("twilio_default")

    async def delete_then_call() -> None:
        async with deleted:
            emu.rotate_auth_token()
            monkeypatch.delenv(CONNECTION_ENV)
            await deleted.call(fetch)

    with pytest.raises(TwilioConnectionConfigError, match=DELETED):
        asyncio.run(delete_then_call())


def test_an_event_watcher_follows_a_rotation_and_stops_polling_a_deleted_connection(
    twilio_emulator: TwilioEmulator, monkeypatch: pytest.MonkeyPatch
) -> None:
    from airflow_provider_twilio.triggers.events import EVENT_TRIGGERS_AVAILABLE

    if not EVENT_TRIGGERS_AVAILABLE:
        pytest.skip("event triggers and AssetWatcher exist only on Airflow 3")
    from airflow_provider_twilio.triggers.events import TwilioInboundSmsEventTrigger

    emu = twilio_emulator
    watcher = TwilioInboundSmsEventTrigger(to=US, pattern=r"^RUN (?P<job>\w+)$", poll_interval=INTERVAL)
    watcher.__dict__.pop("asset_state_store", None)  # memory only, as outside a triggerer
    payloads: list[dict[str, Any]] = []

    async def collect() -> None:
        async for event in watcher.run():
            payloads.append(event.payload)

    async def scenario() -> int:
        task = asyncio.ensure_future(collect())
        try:
            await until(lambda: requests(emu) >= 3)
            rotate(emu, monkeypatch)
            emu.inject_inbound(from_=ANN, to=US, body="RUN after_rotation")
            await until(lambda: len(payloads) == 1)
            monkeypatch.delenv(CONNECTION_ENV)
            polls = requests(emu)
            await until(lambda: inbox_poller.pollers() == {})
            await asyncio.sleep(5 * INTERVAL)
            assert not task.done()  # a watcher has no task to fail: it tries again later
            return requests(emu) - polls
        finally:
            task.cancel()
            await asyncio.gather(task, return_exceptions=True)

    polls_after_deletion = asyncio.run(scenario())
    assert [p["match_groups"] for p in payloads] == [{"job": "after_rotation"}]
    assert polls_after_deletion <= 1
