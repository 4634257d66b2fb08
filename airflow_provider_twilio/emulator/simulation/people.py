"""Simulated people: who answers a call, how fast, what they press, how long they stay; who replies to a text."""

from __future__ import annotations

import math
import threading
from dataclasses import dataclass

from airflow_provider_twilio.emulator.http.checks import MAX_DELAY, seconds, text

ANSWERS = ("human", "machine", "busy", "no-answer", "fail")
DEFAULT_AFTER = 0.1


@dataclass(frozen=True)
class CallBehaviour:
    answer: str = "human"
    digits: str | None = None
    """Keys pressed at the first ``<Gather>``; a machine presses none."""
    after: float = DEFAULT_AFTER
    """Seconds of ringing before the person acts (answers, rejects busy, or the call fails)."""
    talk: float = math.inf
    """Seconds the person stays on the line once answered; by default until the TwiML ends."""


def behaviour(
    answer: str = "human", digits: str | None = None, after: float = DEFAULT_AFTER, talk: float | None = None
) -> CallBehaviour:
    """A checked ``CallBehaviour``; ``ValueError`` names the field and what is valid."""
    if answer not in ANSWERS:
        raise ValueError(f"answer must be one of {', '.join(ANSWERS)}, got {answer!r}")
    if digits is not None and not (digits and all(c in "0123456789*#w" for c in text("digits", digits))):
        raise ValueError(f"digits must be keypad keys (0-9, * and #), got {digits!r}")
    return CallBehaviour(
        answer=answer,
        digits=digits,
        after=seconds("after", after, MAX_DELAY),
        talk=math.inf if talk is None else seconds("talk", talk, MAX_DELAY),
    )


class People:
    """Behaviour per called number; numbers without one answer as a human after ``DEFAULT_AFTER``."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._by_number: dict[str, CallBehaviour] = {}

    def set(self, to: str, rule: CallBehaviour) -> None:
        with self._lock:
            self._by_number[text("to", to)] = rule

    def of(self, to: str) -> CallBehaviour:
        with self._lock:
            return self._by_number.get(to, CallBehaviour())

    def reset(self) -> None:
        with self._lock:
            self._by_number.clear()


@dataclass
class AutoReply:
    to: str
    body: str
    delay: float
    times_left: int | None = None
    """Outbound messages still to answer; None answers every one."""
