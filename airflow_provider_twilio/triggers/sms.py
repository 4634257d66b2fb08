"""Triggers that wait in the triggerer for an SMS reply, or for delivery of sent messages.

Heavy imports (the SDK, aiohttp, phonenumbers) happen inside ``run()``, never at module import.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from typing import Any

from airflow.triggers.base import BaseTrigger, TriggerEvent

# Defined in its own module; importable from here with the provider's other triggers (Airflow 3 only).
from airflow_provider_twilio.triggers.events import TwilioInboundSmsEventTrigger

__all__ = ["TwilioInboundSmsEventTrigger", "TwilioInboundSmsTrigger", "TwilioMessageStatusTrigger"]

DEFAULT_POLL_INTERVAL = 10.0


def _error_event(err: Any) -> TriggerEvent:
    return TriggerEvent(
        {
            "status": "error",
            "message": err.message,
            "error_type": err.error_type.value,
            "error_code": err.code,
            "http_status": err.http_status,
        }
    )


class TwilioInboundSmsTrigger(BaseTrigger):
    """Waits for an inbound SMS matching ``pattern``; fires ``{"status": "match", "result": {...}}``.

    Triggers waiting on the same number and connection in one triggerer share one poll loop. Error
    replies (``echo_error``) are sent from here, at most once per message: the message log is checked
    first, so a restarted triggerer does not answer the same message again.
    """

    def __init__(
        self,
        *,
        pattern: str,
        to: str,
        since: str,
        from_: list[str] | None = None,
        ignore_case: bool = False,
        echo_error: str | None = None,
        twilio_conn_id: str = "twilio_default",
        poll_interval: float = DEFAULT_POLL_INTERVAL,
    ) -> None:
        super().__init__()
        self.pattern = pattern
        self.to = to
        self.since = since
        self.from_ = list(from_) if from_ else None
        self.ignore_case = ignore_case
        self.echo_error = echo_error
        self.twilio_conn_id = twilio_conn_id
        self.poll_interval = float(poll_interval)

    def serialize(self) -> tuple[str, dict[str, Any]]:
        return (
            f"{type(self).__module__}.{type(self).__qualname__}",
            {
                "pattern": self.pattern,
                "to": self.to,
                "since": self.since,
                "from_": self.from_,
                "ignore_case": self.ignore_case,
                "echo_error": self.echo_error,
                "twilio_conn_id": self.twilio_conn_id,
                "poll_interval": self.poll_interval,
            },
        )

    async def run(self) -> AsyncIterator[TriggerEvent]:
        from airflow_provider_twilio.triggers.offloop import import_modules

        await import_modules(
            "airflow_provider_twilio.exceptions",
            "airflow_provider_twilio.inbound.claims",
            "airflow_provider_twilio.inbound.waiting",
            "airflow_provider_twilio.triggers.inbox_poller",
        )
        from airflow_provider_twilio.exceptions import TwilioProviderError
        from airflow_provider_twilio.inbound.claims import CLAIMS
        from airflow_provider_twilio.inbound.waiting import build_wait
        from airflow_provider_twilio.triggers import inbox_poller

        try:
            # Off the loop: the first trigger in a process imports phonenumbers and the regex engine here.
            wait = await asyncio.to_thread(
                build_wait,
                pattern=self.pattern,
                to=self.to,
                from_=self.from_,
                since=self.since,
                ignore_case=self.ignore_case,
                echo_error=self.echo_error,
            )
        except TwilioProviderError as err:
            yield _error_event(err)
            return
        poller, sub = inbox_poller.subscribe(self.twilio_conn_id, wait.to, wait.since, self.poll_interval)
        owed: list[Any] = []
        try:
            while True:
                kind, payload = await sub.queue.get()
                if kind == "error":
                    poller.unsubscribe(sub)
                    yield _error_event(payload)
                    return
                # Matching is bounded per message, but still CPU work on untrusted text: off the loop.
                result, replies = await asyncio.to_thread(wait.evaluate, payload) if payload else (None, [])
                owed += replies
                if result is not None:
                    self.log.info("Reply %s from %s matched", result["message"]["sid"], result["message"]["from"])
                    # Leave before yielding: the triggerer may keep a finished generator around a while.
                    poller.unsubscribe(sub)
                    yield TriggerEvent({"status": "match", "result": result})
                    return
                if owed:
                    try:
                        owed = await self._answer(owed)
                    except TwilioProviderError as err:
                        poller.unsubscribe(sub)
                        yield _error_event(err)
                        return
        finally:
            poller.unsubscribe(sub)
            CLAIMS.release(self)

    async def _answer(self, owed: list[Any]) -> list[Any]:
        """Send the error replies the log does not show yet; returns those to try again next poll.

        Each received message is claimed first: of the triggers in this process that owe it a reply,
        one checks the log and sends; the others wait for it to settle.
        """
        from airflow_provider_twilio.exceptions import AUTH_ERROR_TYPES, TwilioProviderError
        from airflow_provider_twilio.inbound.claims import CLAIMS
        from airflow_provider_twilio.inbound.echoes import send_async, still_owed_async
        from airflow_provider_twilio.inbound.waiting import TRANSIENT_ERROR_TYPES
        from airflow_provider_twilio.triggers.live_connection import read_connection

        mine, held = CLAIMS.take(owed, owner=self)
        if not mine:
            return held
        hook = await read_connection(self.twilio_conn_id)  # as it is now: the token may have been rotated
        retry: list[Any] = []
        async with hook.async_client() as client:
            try:
                todo = await still_owed_async(client, mine)
            except TwilioProviderError as err:
                if err.error_type not in TRANSIENT_ERROR_TYPES:
                    raise
                self.log.warning("Could not read the message log before replying; trying again: %s", err)
                return mine + held
            for reply in mine:
                if reply not in todo:
                    CLAIMS.settle(reply.message.sid, self)
            for reply in todo:
                try:
                    sid = await send_async(client, reply)
                except TwilioProviderError as err:
                    if err.error_type in TRANSIENT_ERROR_TYPES:
                        self.log.warning("Error reply to %s failed; will check and retry: %s", reply.to, err)
                        retry.append(reply)
                        continue
                    if err.error_type in AUTH_ERROR_TYPES:
                        raise
                    # Twilio will not take this reply: waiting for a valid answer goes on
                    self.log.error("Error reply to %s refused, not retried: %s", reply.to, err)
                else:
                    self.log.info(
                        "Sent error reply %s to %s (message %s did not match)", sid, reply.to, reply.message.sid
                    )
                CLAIMS.settle(reply.message.sid, self)
        return retry + held


class TwilioMessageStatusTrigger(BaseTrigger):
    """Waits until every message is in a final status; fires ``{"status": "done", "states": {...}}``."""

    def __init__(
        self,
        *,
        message_sids: list[str],
        success_statuses: list[str] | tuple[str, ...] = ("delivered",),
        failure_statuses: list[str] | tuple[str, ...] = ("failed", "undelivered", "canceled"),
        states: dict[str, dict[str, Any]] | None = None,
        twilio_conn_id: str = "twilio_default",
        poll_interval: float = DEFAULT_POLL_INTERVAL,
    ) -> None:
        super().__init__()
        self.message_sids = list(message_sids)
        self.success_statuses = list(success_statuses)
        self.failure_statuses = list(failure_statuses)
        self.states = dict(states or {})
        self.twilio_conn_id = twilio_conn_id
        self.poll_interval = float(poll_interval)

    def _new_tracker(self) -> Any:
        from airflow_provider_twilio.tracking.messages import DeliveryTracker

        return DeliveryTracker(self.message_sids, self.success_statuses, self.failure_statuses, self.states)

    def serialize(self) -> tuple[str, dict[str, Any]]:
        return (
            f"{type(self).__module__}.{type(self).__qualname__}",
            {
                "message_sids": self.message_sids,
                "success_statuses": self.success_statuses,
                "failure_statuses": self.failure_statuses,
                "states": self.states,
                "twilio_conn_id": self.twilio_conn_id,
                "poll_interval": self.poll_interval,
            },
        )

    async def run(self) -> AsyncIterator[TriggerEvent]:
        from airflow_provider_twilio.triggers.offloop import import_modules

        await import_modules(
            "airflow_provider_twilio.exceptions",
            "airflow_provider_twilio.inbound.waiting",
            "airflow_provider_twilio.triggers.live_connection",
        )
        from airflow_provider_twilio.exceptions import TwilioProviderError
        from airflow_provider_twilio.triggers.live_connection import LiveConnection

        connection = LiveConnection(self.twilio_conn_id)
        try:
            tracker = await asyncio.to_thread(self._new_tracker)  # imports its tracking module off the loop
            await connection.open()
        except TwilioProviderError as err:
            yield _error_event(err)
            return
        try:
            event = await self._wait(tracker, connection)
        finally:
            await connection.close()
        yield event  # after closing: the triggerer may keep a finished generator around a while

    async def _wait(self, tracker: Any, connection: Any) -> TriggerEvent:
        """Poll until every status is final or a permanent error; follows the connection as it changes."""
        from airflow_provider_twilio.exceptions import TwilioProviderError
        from airflow_provider_twilio.inbound.waiting import TRANSIENT_ERROR_TYPES

        while True:
            try:
                # A rotated token is picked up; a deleted connection ends the wait within one interval.
                await connection.follow(max_age=self.poll_interval / 2)
                await connection.call(tracker.refresh_async)
            except TwilioProviderError as err:
                if err.error_type not in TRANSIENT_ERROR_TYPES:
                    return _error_event(err)
                self.log.warning("Fetching %s status failed, trying again: %s", tracker.NOUN, err)
            if tracker.done:
                return TriggerEvent({"status": "done", "states": tracker.result()})
            self.log.info("Waiting for final statuses: %s", tracker.summary())
            await asyncio.sleep(self.poll_interval)
