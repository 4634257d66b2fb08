"""CallTracker against the emulator: calls end as their people decide, one list request per refresh."""

from __future__ import annotations

import asyncio
import re
import time
from typing import Any

import pytest

from airflow_provider_twilio.emulator import TwilioEmulator
from airflow_provider_twilio.exceptions import TwilioCallFailedError
from airflow_provider_twilio.tracking.calls import CallTracker, call_state
from tests.support.emulator import DEFAULT_FROM, sdk_client

SAY = '<Response><Say>Disk full</Say><Pause length="1"/></Response>'
PEOPLE = {
    "+15551230001": ("human", "completed", "human"),
    "+15551230002": ("machine", "completed", "machine_start"),
    "+15551230003": ("busy", "busy", None),
    "+15551230004": ("fail", "failed", None),
}


@pytest.fixture
def fresh(fresh: TwilioEmulator) -> TwilioEmulator:
    fresh.configure(status_delay=0.02)
    for number, (answer, _, _) in PEOPLE.items():
        fresh.add_call_behaviour(number, answer=answer, after=0.05)
    return fresh


def place_calls(emu: TwilioEmulator, twiml: str = SAY) -> list[Any]:
    client = sdk_client(emu)
    return [client.calls.create(to=to, from_=DEFAULT_FROM, twiml=twiml, machine_detection="Enable") for to in PEOPLE]


def call_requests(emu: TwilioEmulator) -> list[tuple[str, str]]:
    return [(entry["method"], entry["path"]) for entry in emu.request_log() if "/Calls" in entry["path"]]


def test_tracker_follows_calls_with_one_list_request_per_refresh(fresh: TwilioEmulator) -> None:
    calls = place_calls(fresh)
    tracker = CallTracker([c.sid for c in calls], states={c.sid: call_state(c) for c in calls})
    client = sdk_client(fresh)
    fresh.clear_request_log()
    refreshes = 0
    deadline = time.monotonic() + 20
    while not tracker.done and time.monotonic() < deadline:
        tracker.refresh(client)
        refreshes += 1
        time.sleep(0.1)
    assert tracker.done
    for call in calls:
        state = tracker.states[call.sid]
        _, status, answered_by = PEOPLE[call.to]
        assert (state["status"], state["answered_by"]) == (status, answered_by)
    lists = [path for method, path in call_requests(fresh) if path.endswith("/Calls.json")]
    fetches = [path for _, path in call_requests(fresh) if re.search(r"/Calls/CA[0-9a-f]{32}\.json$", path)]
    assert len(lists) == refreshes  # one list per refresh, not one fetch per call
    assert fetches == []
    notifications = [path for _, path in call_requests(fresh) if path.endswith("/Notifications.json")]
    assert len(notifications) == 1  # once, for the failed call's error


def test_unknown_sids_are_fetched_once_then_listed(fresh: TwilioEmulator) -> None:
    calls = place_calls(fresh)
    tracker = CallTracker([c.sid for c in calls])
    client = sdk_client(fresh)
    fresh.clear_request_log()
    tracker.refresh(client)
    first = call_requests(fresh)
    assert sum(1 for _, path in first if re.search(r"/Calls/CA[0-9a-f]{32}\.json$", path)) == len(calls)
    fresh.clear_request_log()
    tracker.refresh(client)
    listed = [path.rsplit("/", 1)[-1] for _, path in call_requests(fresh) if not path.endswith("Notifications.json")]
    assert listed in (["Calls.json"], [])


def test_a_call_failed_on_its_twiml_carries_twilios_code(fresh: TwilioEmulator) -> None:
    call = sdk_client(fresh).calls.create(to="+15551230001", from_=DEFAULT_FROM, twiml="<Response><Say>x</Response>")
    tracker = CallTracker([call.sid], states={call.sid: call_state(call)})
    deadline = time.monotonic() + 10
    while not tracker.done and time.monotonic() < deadline:
        tracker.refresh(sdk_client(fresh))
        time.sleep(0.05)
    state = tracker.states[call.sid]
    assert (state["status"], state["error_code"], state["error_type"]) == ("failed", 12100, state["error_type"])
    error = tracker.failure_error()
    assert isinstance(error, TwilioCallFailedError)
    assert "1 of 1 call(s) failed" in error.message and "+15551230001" in error.message and "12100" in error.message


def test_async_refresh_agrees(fresh: TwilioEmulator) -> None:
    from twilio.http.async_http_client import AsyncTwilioHttpClient
    from twilio.rest import Client

    calls = place_calls(fresh)
    tracker = CallTracker([c.sid for c in calls], states={c.sid: call_state(c) for c in calls})

    async def follow() -> None:
        http = AsyncTwilioHttpClient()
        client = Client(fresh.account_sid, fresh.auth_token, http_client=http)
        client.api.base_url = fresh.base_url
        try:
            deadline = time.monotonic() + 20
            while not tracker.done and time.monotonic() < deadline:
                await tracker.refresh_async(client)
                await asyncio.sleep(0.1)
        finally:
            await http.close()

    asyncio.run(follow())
    assert {tracker.states[c.sid]["status"] for c in calls} == {"completed", "busy", "failed"}
