"""Placing calls and following them to their end: one number at a time until acknowledged, or all at once.

Acknowledged means answered by a human (Twilio's answering machine detection says ``human``); a
machine, a busy line, no answer or a failure moves the chain on. With ``require_keypress`` it means
the right key was recorded for the call by the webhook receiver (``voice/keypress.py``): a human
answering is then not enough. Each call is placed at most once:
a create that fails ambiguously (timeout, dropped connection, 5xx) is looked up in the Calls log,
never sent again.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Mapping
from datetime import datetime, timedelta, timezone
from typing import Any

from airflow_provider_twilio.exceptions import (
    AUTH_ERROR_TYPES,
    ErrorType,
    TwilioCallFailedError,
    TwilioProviderError,
    classify_exception,
)
from airflow_provider_twilio.retry import RetryPolicy, read_with_retries
from airflow_provider_twilio.timing import CLOCK_SKEW, created_before
from airflow_provider_twilio.tracking.calls import CallTracker, call_state
from airflow_provider_twilio.voice.keypress import KeypressCheck, accepted, needed
from airflow_provider_twilio.voice.reconcile import newest_call
from airflow_provider_twilio.voice.request import CallRequest

ANSWERED_STATUSES = ("in-progress", "completed")
"""Statuses of a call somebody picked up: only then can a key have been pressed."""
RESULT_KEYS = ("to", "sid", "status", "answered_by", "duration", "acknowledged", "error_code", "error_type")


def result_of(
    state: dict[str, Any], keypress: KeypressCheck | None = None, pressed: str | None = None
) -> dict[str, Any]:
    """The XCom dict for one call; with ``keypress``, acknowledged only if ``pressed`` is its key.

    The key pressed itself is in the call's ``twilio_keypress_<CallSid>`` XCom and in the log.
    """
    acknowledged = keypress.accepts(pressed) if keypress else state["answered_by"] == "human"
    return {
        "to": state["to"],
        "sid": state["sid"],
        "status": state["status"],
        "answered_by": state["answered_by"],
        "duration": state["duration"],
        "acknowledged": acknowledged,
        "error_code": state["error_code"],
        "error_type": state["error_type"],
    }


def not_placed(to: str, error: TwilioProviderError) -> dict[str, Any]:
    return {
        "to": to,
        "sid": None,
        "status": "failed",
        "answered_by": None,
        "duration": None,
        "acknowledged": False,
        "error_code": error.code,
        "error_type": error.error_type.value,
    }


def outcome_text(result: dict[str, Any], require_keypress: str | None = None, pressed: str | None = None) -> str:
    """What happened on one call, in words: status, who answered, the key pressed (when one is needed), verdict."""
    text = result["status"]
    if result["answered_by"]:
        text += f", answered by {result['answered_by']}"
    if result["error_code"]:
        text += f", error {result['error_code']} ({result['error_type']})"
    if require_keypress and result["sid"] and result["status"] in ANSWERED_STATUSES:
        if pressed:
            text += f", pressed {pressed}" + (
                "" if accepted(pressed, require_keypress) else f" (needed {needed(require_keypress)})"
            )
        else:
            text += f", no key pressed (needed {needed(require_keypress)})"
    return text + (": acknowledged" if result["acknowledged"] else ": not acknowledged")


def unacknowledged_error(
    results: list[dict[str, Any]],
    require_keypress: str | None = None,
    pressed: Mapping[str, str | None] | None = None,
) -> TwilioCallFailedError:
    """Names who was called and what happened on each call (with ``pressed``: the key recorded per call SID)."""
    how = (
        f"none acknowledged by pressing {needed(require_keypress)}" if require_keypress else "none answered by a human"
    )
    keys = pressed or {}
    lines = [
        f"{r['to']}: {outcome_text(r, require_keypress, keys.get(r['sid']) if r['sid'] else None)}"
        + (f" [{r['sid']}]" if r["sid"] else " [not placed]")
        for r in results
    ]
    return TwilioCallFailedError(
        f"Nobody acknowledged: {len(results)} call(s), {how}:\n" + "\n".join(lines),
        failures={r["sid"] or r["to"]: r for r in results},
        error_type=ErrorType.UNKNOWN_ERROR,
    )


class Escalation:
    """Runs one escalation with a sync SDK client."""

    def __init__(
        self,
        client: Any,
        request: CallRequest,
        *,
        poll_interval: float,
        log: logging.Logger | Any,
        retry: RetryPolicy | None = None,
        sleep: Callable[[float], None] = time.sleep,
        keypress: KeypressCheck | None = None,
    ) -> None:
        self.client = client
        self.calls = client.api.v2010.account.calls
        self.request = request
        self.poll_interval = poll_interval
        self.log = log
        self.retry = retry or RetryPolicy()
        self.sleep = sleep
        self.keypress = keypress
        self.pressed: dict[str, str | None] = {}
        """The key recorded for each call SID (with ``keypress``), read once the call ended."""
        self._noted: set[str] = set()

    def until_acknowledged(self, placed: dict[str, Any]) -> list[dict[str, Any]]:
        """Call the numbers in order (reusing calls in ``placed``) until one is acknowledged."""
        results = []
        for to in self.request.to:
            result = self._follow({to: self._noted_call(to, placed.get(to)) or self._place(to)})[0]
            results.append(result)
            self._log_outcome(result)
            if result["acknowledged"]:
                break
        return results

    def all_at_once(self, placed: dict[str, Any]) -> list[dict[str, Any]]:
        """Call every number (reusing calls in ``placed``) and follow all calls until they end."""
        results = self._follow({to: self._noted_call(to, placed.get(to)) or self._place(to) for to in self.request.to})
        for result in results:
            self._log_outcome(result)
        return results

    def _log_outcome(self, result: dict[str, Any]) -> None:
        key = self.keypress.key if self.keypress else None
        pressed = self.pressed.get(result["sid"]) if result["sid"] else None
        self.log.info("Call to %s: %s", result["to"], outcome_text(result, key, pressed))

    def _noted_call(self, to: str, call: Any) -> Any:
        """The call, once recorded as this task's own (with ``keypress``): the receiver takes keys for no other."""
        if call is None or isinstance(call, TwilioProviderError) or self.keypress is None:
            return call
        if call.sid not in self._noted:
            self.keypress.note_placed(call.sid, to)
            self._noted.add(call.sid)
        return call

    def _place(self, to: str) -> Any:
        """The created call, or a ``TwilioProviderError`` for a number that could not be called."""
        started = datetime.now(timezone.utc)
        for throttled in range(self.retry.throttle_retries + 1):
            try:
                call = self.calls.create(**self.request.create_kwargs(to))
            except Exception as exc:
                error = classify_exception(exc)
            else:
                return self._noted_call(to, call)
            if error.error_type is not ErrorType.RATE_LIMITED:
                break
            self.sleep(self.retry.delay(throttled))  # 429: never processed, safe to repeat
        if error.error_type in AUTH_ERROR_TYPES:
            raise error
        if error.error_type is not ErrorType.TWILIO_CONNECTION_ERROR:
            self.log.warning("Could not call %s: %s", to, error.message)
            return error
        self.log.warning("Calling %s failed ambiguously (%s); looking for the call in the Calls log", to, error.message)
        floor = started - timedelta(seconds=1) - CLOCK_SKEW
        try:
            found = read_with_retries(
                lambda: newest_call(self.calls, to, self.request.from_, lambda call: created_before(call, floor)),
                self.retry,
                self.sleep,
            )
        except TwilioProviderError as lookup_error:
            self.log.warning("The Calls log could not be read: %s; not calling %s again", lookup_error.message, to)
            return error
        return self._noted_call(to, found) if found is not None else error

    def _follow(self, calls: dict[str, Any]) -> list[dict[str, Any]]:
        """Wait until every placed call ends; one Calls list request per interval however many there are."""
        placed = {to: call for to, call in calls.items() if not isinstance(call, TwilioProviderError)}
        tracker = CallTracker(
            [call.sid for call in placed.values()], states={call.sid: call_state(call) for call in placed.values()}
        )
        while not tracker.done:
            self.sleep(self.poll_interval)
            try:
                tracker.refresh(self.client)
            except TwilioProviderError as err:
                if err.error_type in AUTH_ERROR_TYPES:
                    raise
                self.log.warning("Reading call status failed; trying again: %s", err.message)
        if self.keypress is not None:
            for call in placed.values():
                self.pressed[call.sid] = self.keypress.pressed(call.sid)
        return [
            result_of(tracker.states[call.sid], self.keypress, self.pressed.get(call.sid))
            if to in placed
            else not_placed(to, call)
            for to, call in calls.items()
        ]
