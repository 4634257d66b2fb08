"""Tracking placed calls until they end: one Calls list request per interval, however many calls.

Fetching each call costs one request per call per interval; the Calls list filtered by ``From`` and
``StartTime>`` (the earliest pending call's creation, to the second) answers for all of them at once.
A call not dialed yet has no start time and is absent from that list: it keeps its last state until
it shows up. SIDs given without a known state are fetched once, to learn their caller and creation.
"""

from __future__ import annotations

import asyncio
from datetime import datetime, timedelta, timezone
from typing import Any

from airflow_provider_twilio import statuses
from airflow_provider_twilio.exceptions import TwilioCallFailedError, classify_exception, error_type_for
from airflow_provider_twilio.tracking.core import StatusTracker

CALL_STATUSES = frozenset(statuses.CALL_STATUSES)
FINAL_CALL_STATUSES = frozenset(statuses.FINAL_CALL_STATUSES)
DEFAULT_CALL_SUCCESS = statuses.CALL_SUCCESS
DEFAULT_CALL_FAILURE = statuses.CALL_FAILURE
LIST_PAGE_SIZE = 1000
FETCH_CONCURRENCY = 10


def call_state(call: Any) -> dict[str, Any]:
    """What is tracked per call, from an SDK ``CallInstance``; JSON-safe (it travels in trigger events)."""
    duration = call.duration
    created = call.date_created
    return {
        "sid": call.sid,
        "to": call.to,
        "from": call._from,
        "status": call.status,
        "answered_by": call.answered_by,
        "duration": int(duration) if duration not in (None, "") else None,
        "created": created.timestamp() if isinstance(created, datetime) else None,
        "error_code": None,
        "error_type": None,
    }


def _with_error(state: dict[str, Any], notifications: list[Any]) -> dict[str, Any]:
    codes = [int(note.error_code) for note in notifications if note.error_code not in (None, "")]
    if codes:
        state["error_code"] = codes[0]
        state["error_type"] = error_type_for(codes[0]).value
    return state


class CallTracker(StatusTracker):
    """Calls until each reaches a success or failure status; a failed call's error comes from its notifications."""

    DEFAULT_SUCCESS = DEFAULT_CALL_SUCCESS
    DEFAULT_FAILURE = DEFAULT_CALL_FAILURE
    KNOWN_STATUSES = CALL_STATUSES
    NOUN = "call"
    FAILED = "failed"
    ERROR = TwilioCallFailedError

    def _list_filters(self) -> dict[str, Any] | None:
        """``from_`` (when the pending calls share one caller) and ``start_time_after``; None if unknown."""
        pending = [self.states.get(sid) for sid in self.pending()]
        if not pending or any(state is None or state.get("created") is None for state in pending):
            return None
        known = [state for state in pending if state is not None]
        earliest = min(float(state["created"]) for state in known)
        filters: dict[str, Any] = {
            "start_time_after": datetime.fromtimestamp(int(earliest), tz=timezone.utc) - timedelta(seconds=1),
            "page_size": LIST_PAGE_SIZE,
        }
        callers = {state["from"] for state in known}
        if len(callers) == 1:
            filters["from_"] = callers.pop()
        return filters

    def _unknown(self) -> list[str]:
        return [sid for sid in self.pending() if self.states.get(sid, {}).get("created") is None]

    def _take(self, calls: list[Any]) -> list[str]:
        """Note the listed calls that are tracked; the SIDs that just failed (their errors are fetched next)."""
        wanted = set(self.pending())
        failed = []
        for call in calls:
            if call.sid in wanted:
                self.states[call.sid] = call_state(call)
                if call.status == "failed":
                    failed.append(call.sid)
        return failed

    def refresh(self, client: Any) -> None:
        """Sync client: fetch SIDs never seen, then one list for the rest; errors are classified."""
        try:
            failed = self._take([client.calls(sid).fetch() for sid in self._unknown()])
            filters = self._list_filters()
            if filters is not None:
                failed += self._take(client.calls.list(**filters))
            for sid in failed:
                _with_error(self.states[sid], client.calls(sid).notifications.list(limit=5))
        except Exception as err:
            raise classify_exception(err) from err

    async def refresh_async(self, client: Any) -> None:
        """The same with the async client."""
        limit = asyncio.Semaphore(FETCH_CONCURRENCY)

        async def fetch(sid: str) -> Any:
            async with limit:
                return await client.calls(sid).fetch_async()

        try:
            failed = self._take(list(await asyncio.gather(*(fetch(sid) for sid in self._unknown()))))
            filters = self._list_filters()
            if filters is not None:
                failed += self._take(await client.calls.list_async(**filters))
            for sid in failed:
                _with_error(self.states[sid], await client.calls(sid).notifications.list_async(limit=5))
        except Exception as err:
            raise classify_exception(err) from err
