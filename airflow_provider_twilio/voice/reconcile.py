"""On a retried escalation, find the calls an earlier try already placed, so nobody is rung twice.

The same approach as the SMS sender's (``sending/reconcile.py``): read the log, filtered by ``To`` and
``From`` server-side, newest first, and stop at the DAG run's start (less Twilio's one-second date
resolution and clock skew). ``StartTime`` is deliberately not a server-side filter: a call created by
the killed try but not dialed yet has no start time, and such a filter would hide it.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from airflow_provider_twilio.timing import is_before, lookback_floor

LOOKUP_PAGE_SIZE = 50


def find_placed_calls(calls: Any, numbers: Sequence[str], from_: str, since: datetime) -> dict[str, Any]:
    """Number -> the newest call to it from ``from_`` created since ``since``. Raises SDK errors (never guesses)."""
    floor = lookback_floor(since)
    found = {}
    for to in numbers:
        call = newest_call(calls, to, from_, lambda call: is_before(call, floor))
        if call is not None:
            found[to] = call
    return found


def newest_call(calls: Any, to: str, from_: str, too_old: Any) -> Any | None:
    """The newest outbound call to ``to`` from ``from_`` that is not ``too_old``, or None."""
    for call in calls.stream(to=to, from_=from_, page_size=LOOKUP_PAGE_SIZE):
        if too_old(call):
            return None
        if str(call.direction or "").startswith("outbound"):
            return call
    return None
