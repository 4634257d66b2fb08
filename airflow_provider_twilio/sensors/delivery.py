"""Tracking delivery of sent messages: one implementation shared by the sensor and its trigger."""

from __future__ import annotations

import asyncio
from collections.abc import Iterable, Mapping
from typing import Any

from airflow_provider_twilio.exceptions import (
    ErrorType,
    TwilioDeliveryFailedError,
    TwilioInputError,
    classify_exception,
    error_type_for,
)

DEFAULT_SUCCESS = ("delivered",)
DEFAULT_FAILURE = ("failed", "undelivered", "canceled")
KNOWN_STATUSES = frozenset(
    {
        "queued",
        "accepted",
        "scheduled",
        "sending",
        "sent",
        "delivered",
        "undelivered",
        "failed",
        "canceled",
        "read",
        "partially_delivered",
        "receiving",
        "received",
    }
)
# Async fetches in flight at once, so a large batch does not open hundreds of connections.
FETCH_CONCURRENCY = 10


def parse_statuses(value: Any, parameter: str) -> tuple[str, ...]:
    items = [value] if isinstance(value, str) else list(value or ())
    statuses = tuple(dict.fromkeys(str(item).strip().lower() for item in items))
    if not statuses:
        raise TwilioInputError(f"{parameter}: expected at least one message status, got {value!r}")
    unknown = [s for s in statuses if s not in KNOWN_STATUSES]
    if unknown:
        raise TwilioInputError(
            f"{parameter}: unknown message status(es) {unknown}; Twilio's are {', '.join(sorted(KNOWN_STATUSES))}"
        )
    return statuses


def state_of(message: Any) -> dict[str, Any]:
    """What the XCom reports per message, from an SDK ``MessageInstance``."""
    code = message.error_code
    code = int(code) if code not in (None, "") else None
    return {
        "to": message.to,
        "status": message.status,
        "error_code": code,
        "error_type": error_type_for(code).value if code else None,
    }


class DeliveryTracker:
    """The latest known state of each message; messages in a final status are never fetched again."""

    def __init__(
        self,
        sids: Iterable[str],
        success_statuses: Iterable[str] = DEFAULT_SUCCESS,
        failure_statuses: Iterable[str] = DEFAULT_FAILURE,
        states: Mapping[str, dict[str, Any]] | None = None,
    ) -> None:
        self.sids = list(sids)
        self.success = parse_statuses(tuple(success_statuses), "success_statuses")
        self.failure = parse_statuses(tuple(failure_statuses), "failure_statuses")
        overlap = set(self.success) & set(self.failure)
        if overlap:
            raise TwilioInputError(
                f"success_statuses and failure_statuses both contain {sorted(overlap)}; a status is one or the other"
            )
        known = dict(states or {})
        self.states: dict[str, dict[str, Any]] = {sid: dict(known[sid]) for sid in known if sid in self.sids}

    def is_final(self, sid: str) -> bool:
        state = self.states.get(sid)
        return state is not None and state["status"] in (*self.success, *self.failure)

    def pending(self) -> list[str]:
        return [sid for sid in self.sids if not self.is_final(sid)]

    @property
    def done(self) -> bool:
        return not self.pending()

    def failures(self) -> dict[str, dict[str, Any]]:
        return {sid: state for sid, state in self.states.items() if state["status"] in self.failure}

    def result(self) -> dict[str, dict[str, Any]]:
        """``{sid: {"to", "status", "error_code", "error_type"}}`` in the order the SIDs were given."""
        return {sid: self.states[sid] for sid in self.sids if sid in self.states}

    def summary(self) -> str:
        counts: dict[str, int] = {}
        for sid in self.sids:
            status = self.states.get(sid, {}).get("status", "unknown")
            counts[status] = counts.get(status, 0) + 1
        return ", ".join(f"{count} {status}" for status, count in sorted(counts.items()))

    def failure_error(self) -> TwilioDeliveryFailedError:
        failures = self.failures()
        lines = [
            f"{sid} to {state['to']}: {state['status']}, error {state['error_code']} ({state['error_type']})"
            for sid, state in failures.items()
        ]
        kinds = {state["error_type"] for state in failures.values()}
        error_type = ErrorType(kinds.pop()) if len(kinds) == 1 and None not in kinds else ErrorType.UNKNOWN_ERROR
        codes = {state["error_code"] for state in failures.values()}
        return TwilioDeliveryFailedError(
            f"{len(failures)} of {len(self.sids)} message(s) were not delivered: " + "; ".join(lines),
            failures=failures,
            error_type=error_type,
            code=codes.pop() if len(codes) == 1 else None,
        )

    def refresh(self, client: Any) -> None:
        """Fetch every pending message with the sync client; errors are classified."""
        for sid in self.pending():
            try:
                self.states[sid] = state_of(client.messages(sid).fetch())
            except Exception as err:
                raise classify_exception(err) from err

    async def refresh_async(self, client: Any) -> None:
        """The same with the async client, a few fetches at a time."""
        limit = asyncio.Semaphore(FETCH_CONCURRENCY)

        async def fetch(sid: str) -> None:
            async with limit:
                try:
                    self.states[sid] = state_of(await client.messages(sid).fetch_async())
                except Exception as err:
                    raise classify_exception(err) from err

        await asyncio.gather(*(fetch(sid) for sid in self.pending()))
