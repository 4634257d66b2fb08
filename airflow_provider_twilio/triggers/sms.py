"""Triggers that wait in the triggerer for an SMS reply, or for delivery of sent messages.

Heavy imports (the SDK, aiohttp, phonenumbers) happen inside ``run()``, never at module import.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import TYPE_CHECKING, Any

from airflow.triggers.base import BaseTrigger, TriggerEvent

from airflow_provider_twilio.statuses import MESSAGE_FAILURE, MESSAGE_SUCCESS
from airflow_provider_twilio.triggers.status import DEFAULT_POLL_INTERVAL, TwilioStatusTrigger

if TYPE_CHECKING:
    from airflow_provider_twilio.tracking.core import StatusTracker
    from airflow_provider_twilio.triggers.events import TwilioInboundSmsEventTrigger

__all__ = ["TwilioInboundSmsEventTrigger", "TwilioInboundSmsTrigger", "TwilioMessageStatusTrigger"]


def __getattr__(name: str) -> Any:
    """``TwilioInboundSmsEventTrigger`` is importable from here too (Airflow 3 only), loaded on first use.

    Its module is not imported with this one: DAG files that only wait for replies do not pay for it.
    """
    if name == "TwilioInboundSmsEventTrigger":
        from airflow_provider_twilio.triggers.events import TwilioInboundSmsEventTrigger

        return TwilioInboundSmsEventTrigger
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


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
            "airflow_provider_twilio.inbound.answering",
            "airflow_provider_twilio.inbound.claims",
            "airflow_provider_twilio.inbound.waiting",
            "airflow_provider_twilio.triggers.inbox_poller",
        )
        from airflow_provider_twilio.exceptions import TwilioProviderError, error_event
        from airflow_provider_twilio.inbound.claims import CLAIMS
        from airflow_provider_twilio.inbound.waiting import build_wait
        from airflow_provider_twilio.triggers import inbox_poller
        from airflow_provider_twilio.triggers.offloop import in_shared_thread

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
            yield TriggerEvent(error_event(err))
            return
        poller, sub = inbox_poller.subscribe(self.twilio_conn_id, wait.to, wait.since, self.poll_interval)
        owed: list[Any] = []
        try:
            while True:
                kind, payload = await sub.queue.get()
                if kind == "error":
                    poller.unsubscribe(sub)
                    yield TriggerEvent(error_event(payload))
                    return
                # Matching is bounded per message, but still CPU work on untrusted text: off the loop, in
                # one thread hop shared with the other triggers this poll woke.
                result, replies = await in_shared_thread(wait.evaluate, payload) if payload else (None, [])
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
                        yield TriggerEvent(error_event(err))
                        return
        finally:
            poller.unsubscribe(sub)
            CLAIMS.release(self)

    async def _answer(self, owed: list[Any]) -> list[Any]:
        """Send the error replies the log does not show yet; returns those to try again next poll.

        Each received message is claimed first: of the triggers in this process that owe it a reply,
        one checks the log and sends; the others wait for it to settle.
        """
        from airflow_provider_twilio.inbound.answering import answer_owed_async
        from airflow_provider_twilio.inbound.echoes import send_async
        from airflow_provider_twilio.triggers.live_connection import read_connection

        @asynccontextmanager
        async def connect() -> AsyncIterator[Any]:
            hook = await read_connection(self.twilio_conn_id)  # as it is now: the token may have been rotated
            async with hook.async_client() as client:
                yield client

        return await answer_owed_async(
            connect, owed, owner=self, send_async=send_async, log=self.log, what="error reply"
        )


class TwilioMessageStatusTrigger(TwilioStatusTrigger):
    """Waits until every message is in a final status; fires ``{"status": "done", "states": {...}}``."""

    SIDS_KWARG = "message_sids"

    def __init__(
        self,
        *,
        message_sids: list[str],
        success_statuses: list[str] | tuple[str, ...] = MESSAGE_SUCCESS,
        failure_statuses: list[str] | tuple[str, ...] = MESSAGE_FAILURE,
        states: dict[str, dict[str, Any]] | None = None,
        twilio_conn_id: str = "twilio_default",
        poll_interval: float = DEFAULT_POLL_INTERVAL,
    ) -> None:
        super().__init__(
            success_statuses=success_statuses,
            failure_statuses=failure_statuses,
            states=states,
            twilio_conn_id=twilio_conn_id,
            poll_interval=poll_interval,
        )
        self.message_sids = list(message_sids)

    def _new_tracker(self) -> StatusTracker:
        from airflow_provider_twilio.tracking.messages import DeliveryTracker

        return DeliveryTracker(self.message_sids, self.success_statuses, self.failure_statuses, self.states)
