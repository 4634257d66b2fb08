"""Operations shared by the Python API and the ``/_emulator/`` endpoints."""

from __future__ import annotations

import time
from collections.abc import Sequence
from typing import Any

from airflow_provider_twilio.emulator.lifecycles.message_lifecycle import receive
from airflow_provider_twilio.emulator.model.message_rules import build_inbound, check_inbound
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
