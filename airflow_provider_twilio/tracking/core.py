"""The one status-tracking core: the latest state of each tracked SID, and which are final, won or lost.

Sensors and triggers for messages and calls share it; what differs per resource (its statuses, how a
state is read from the SDK, how pending SIDs are refreshed) lives in ``messages`` and ``calls``.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from airflow_provider_twilio.exceptions import (
    ErrorType,
    TwilioCallFailedError,
    TwilioDeliveryFailedError,
    TwilioInputError,
)


def parse_statuses(value: Any, parameter: str, known: frozenset[str], noun: str) -> tuple[str, ...]:
    """Lower-cased, de-duplicated statuses; ``TwilioInputError`` names the parameter and Twilio's statuses."""
    items = [value] if isinstance(value, str) else list(value or ())
    statuses = tuple(dict.fromkeys(str(item).strip().lower() for item in items))
    if not statuses:
        raise TwilioInputError(f"{parameter}: expected at least one {noun} status, got {value!r}")
    unknown = [s for s in statuses if s not in known]
    if unknown:
        raise TwilioInputError(
            f"{parameter}: unknown {noun} status(es) {unknown}; Twilio's are {', '.join(sorted(known))}"
        )
    return statuses


class StatusTracker:
    """The latest known state of each SID; SIDs in a final status are never refreshed again.

    Subclasses set ``KNOWN_STATUSES``, ``DEFAULT_SUCCESS``, ``DEFAULT_FAILURE``, ``NOUN``, ``FAILED``
    (what failures are called) and ``ERROR``, and implement ``refresh``/``refresh_async``.
    """

    KNOWN_STATUSES: frozenset[str] = frozenset()
    DEFAULT_SUCCESS: tuple[str, ...] = ()
    DEFAULT_FAILURE: tuple[str, ...] = ()
    NOUN = "item"
    FAILED = "failed"
    ERROR: type[TwilioDeliveryFailedError | TwilioCallFailedError] = TwilioDeliveryFailedError

    def __init__(
        self,
        sids: Iterable[str],
        success_statuses: Iterable[str] | None = None,
        failure_statuses: Iterable[str] | None = None,
        states: Mapping[str, dict[str, Any]] | None = None,
    ) -> None:
        self.sids = list(sids)
        success = self.DEFAULT_SUCCESS if success_statuses is None else tuple(success_statuses)
        failure = self.DEFAULT_FAILURE if failure_statuses is None else tuple(failure_statuses)
        self.success = parse_statuses(success, "success_statuses", self.KNOWN_STATUSES, self.NOUN)
        self.failure = parse_statuses(failure, "failure_statuses", self.KNOWN_STATUSES, self.NOUN)
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
        """``{sid: state}`` in the order the SIDs were given."""
        return {sid: self.states[sid] for sid in self.sids if sid in self.states}

    def summary(self) -> str:
        counts: dict[str, int] = {}
        for sid in self.sids:
            status = self.states.get(sid, {}).get("status", "unknown")
            counts[status] = counts.get(status, 0) + 1
        return ", ".join(f"{count} {status}" for status, count in sorted(counts.items()))

    def failure_error(self) -> TwilioDeliveryFailedError | TwilioCallFailedError:
        """The error naming every failed SID, its recipient, status and error; one type and code if all agree."""
        failures = self.failures()
        lines = [
            f"{sid} to {state['to']}: {state['status']}, error {state['error_code']} ({state['error_type']})"
            for sid, state in failures.items()
        ]
        kinds = {state["error_type"] for state in failures.values()}
        error_type = ErrorType(kinds.pop()) if len(kinds) == 1 and None not in kinds else ErrorType.UNKNOWN_ERROR
        codes = {state["error_code"] for state in failures.values()}
        return self.ERROR(
            f"{len(failures)} of {len(self.sids)} {self.NOUN}(s) {self.FAILED}: " + "; ".join(lines),
            failures=failures,
            error_type=error_type,
            code=codes.pop() if len(codes) == 1 else None,
        )

    def refresh(self, client: Any) -> None:
        raise NotImplementedError

    async def refresh_async(self, client: Any) -> None:
        raise NotImplementedError
