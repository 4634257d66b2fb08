"""Operations shared by the Python API and the ``/_emulator/`` endpoints."""

from __future__ import annotations

import time
from collections.abc import Sequence
from typing import Any

from airflow_provider_twilio.emulator.checks import MAX_DELAY, seconds
from airflow_provider_twilio.emulator.faults import UNSET
from airflow_provider_twilio.emulator.messages import build_inbound, check_inbound
from airflow_provider_twilio.emulator.state import EmulatorState
from airflow_provider_twilio.emulator.voice_people import behaviour
from airflow_provider_twilio.emulator.webhooks import deliver_inbound


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
    deliver_inbound(state, message)
    return message.render(time.time())


def messages(state: EmulatorState) -> list[dict[str, Any]]:
    now = time.time()
    return [message.render(now) for message in state.store.all_newest_first()]


def configure(
    state: EmulatorState,
    *,
    latency: float | None = None,
    fail_before_commit: float | None = None,
    fail_after_commit: float | None = None,
    throttle: float | None = None,
    max_concurrent_requests: Any = UNSET,
    late_commit: float | None = None,
    late_commit_delay: float | None = None,
    seed: int | None = None,
    status_delay: float | None = None,
    duplicate_webhooks: bool | None = None,
) -> None:
    """Change only the settings given; ``max_concurrent_requests=None`` removes the limit."""
    if duplicate_webhooks is not None and not isinstance(duplicate_webhooks, bool):
        raise ValueError(f"duplicate_webhooks must be true or false, got {duplicate_webhooks!r}")
    if status_delay is not None:
        status_delay = seconds("status_delay", status_delay, MAX_DELAY)
    state.faults.configure(
        latency=latency,
        fail_before_commit=fail_before_commit,
        fail_after_commit=fail_after_commit,
        throttle=throttle,
        max_concurrent_requests=max_concurrent_requests,
        late_commit=late_commit,
        late_commit_delay=late_commit_delay,
        seed=seed,
    )
    if status_delay is not None:
        state.status_delay = status_delay
    if duplicate_webhooks is not None:
        state.duplicate_webhooks = duplicate_webhooks


def settings(state: EmulatorState) -> dict[str, Any]:
    s = state.faults.settings
    return {
        "latency": s.latency,
        "fail_before_commit": s.fail_before_commit,
        "fail_after_commit": s.fail_after_commit,
        "throttle": s.throttle,
        "max_concurrent_requests": s.max_concurrent_requests,
        "late_commit": s.late_commit,
        "late_commit_delay": s.late_commit_delay,
        "status_delay": state.status_delay,
        "duplicate_webhooks": state.duplicate_webhooks,
    }


def add_call_behaviour(
    state: EmulatorState, *, to: str, answer: str, digits: str | None, after: float, talk: float | None
) -> None:
    state.people.set(to, behaviour(answer=answer, digits=digits, after=after, talk=talk))


def calls(state: EmulatorState) -> list[dict[str, Any]]:
    with state.lock:
        return [dict(call) for call in reversed(state.calls.values())]
