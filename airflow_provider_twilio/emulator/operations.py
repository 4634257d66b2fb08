"""Operations shared by the Python API and the ``/_emulator/`` endpoints."""

from __future__ import annotations

import time
from collections.abc import Sequence
from typing import Any

from airflow_provider_twilio.emulator.lifecycles.message_lifecycle import receive
from airflow_provider_twilio.emulator.model.message_rules import build_inbound, check_inbound
from airflow_provider_twilio.emulator.model.message_store import Message, Step
from airflow_provider_twilio.emulator.model.recordings import parse_recordings
from airflow_provider_twilio.emulator.model.seeds import MESSAGE_STATUSES, parse_calls, parse_messages
from airflow_provider_twilio.emulator.simulation.people import behaviour
from airflow_provider_twilio.emulator.simulation.settings import SETTINGS, checked
from airflow_provider_twilio.emulator.state import EmulatorState


def inject_inbound(
    state: EmulatorState, *, from_: str, to: str, body: str, media_urls: Sequence[str] = ()
) -> dict[str, Any]:
    """Store a message as if ``from_`` had texted ``to``, and deliver it to the number's SmsUrl if it has one;
    returns it as the API would."""
    check_inbound(from_=from_, to=to, body=body, media_urls=media_urls)
    message = state.store.add(
        lambda seq, created_at: build_inbound(
            seq, created_at, account_sid=state.account_sid, from_=from_, to=to, body=body, media_urls=media_urls
        )
    )
    receive(state, message)
    return message.render(time.time())


def messages(state: EmulatorState) -> list[dict[str, Any]]:
    now = time.time()
    return [message.render(now) for message in state.store.all_newest_first()]


def configure(state: EmulatorState, **changes: Any) -> None:
    """Change only the settings given (names and checks in ``settings.SETTINGS``); all are checked first."""
    changes = checked(changes)
    state.faults.configure(**{name: value for name, value in changes.items() if SETTINGS[name].owner == "faults"})
    for name, value in changes.items():
        if SETTINGS[name].owner == "state":
            setattr(state, name, value)


def add_call_behaviour(
    state: EmulatorState, *, to: str, answer: str, digits: str | None, after: float, talk: float | None
) -> None:
    state.people.set(to, behaviour(answer=answer, digits=digits, after=after, talk=talk))


def calls(state: EmulatorState) -> list[dict[str, Any]]:
    with state.lock:
        return [dict(call) for call in reversed(state.calls.values())]


def seed_messages(state: EmulatorState, records: Any) -> int:
    """Store past messages (see ``model/seeds.py``) as they stand now; returns how many."""
    messages = parse_messages(records, state.account_sid)
    state.store.seed(messages)
    return len(messages)


def seed_calls(state: EmulatorState, records: Any) -> int:
    """Store finished past calls; they are listed (newest stored last) but have no lifecycle to fetch."""
    calls = parse_calls(records, state.account_sid)
    with state.lock:
        for call in sorted(calls, key=lambda c: _seconds(c["date_created"])):
            state.calls[call["sid"]] = call
    return len(calls)


def _seconds(text: str) -> float:
    from airflow_provider_twilio.emulator.http.timefmt import rfc2822_seconds

    return rfc2822_seconds(text) or 0.0


def seed_recordings(state: EmulatorState, records: Any) -> int:
    if not isinstance(records, list) or not all(isinstance(r, dict) for r in records):
        raise ValueError("recordings must be a list of JSON objects")
    recordings = parse_recordings(records, state.account_sid)
    state.recordings.add(recordings)
    return len(recordings)


def set_message_status(state: EmulatorState, sid: str, status: str, error_code: int | None = None) -> dict[str, Any]:
    """Move a message on to ``status`` now, as a carrier's late receipt would; returns it as the API would."""
    if status not in MESSAGE_STATUSES:
        raise ValueError(f"status must be one of {sorted(MESSAGE_STATUSES)}; got {status!r}")
    if error_code is not None and (isinstance(error_code, bool) or not isinstance(error_code, int)):
        raise ValueError(f"error_code must be a number or null; got {error_code!r}")
    now = time.time()

    def change(message: Message) -> None:
        at = max(now, message.timeline[-1].at)
        note = None if error_code is None else "seeded error"
        message.timeline = [*message.timeline, Step(at, status, error_code, note)]
        message.modified_at = at

    message = state.store.update(sid, change)
    if message is None:
        raise KeyError(sid)
    return message.render(max(now, message.timeline[-1].at))
