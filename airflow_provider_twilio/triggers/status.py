"""The status triggers' shared core: poll until every SID is in a final status, in the triggerer.

``TwilioMessageStatusTrigger`` and ``TwilioCallStatusTrigger`` are siblings over ``TwilioStatusTrigger``:
each keeps only its own SIDs, serialized under its own keyword (``SIDS_KWARG``), so trigger rows already
in the database load as before. Heavy imports (the SDK, aiohttp) happen inside ``run()`` only.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from typing import TYPE_CHECKING, Any

from airflow.triggers.base import BaseTrigger, TriggerEvent

if TYPE_CHECKING:
    from airflow_provider_twilio.tracking.core import StatusTracker
    from airflow_provider_twilio.triggers.live_connection import LiveConnection

DEFAULT_POLL_INTERVAL = 10.0


class TwilioStatusTrigger(BaseTrigger):
    """Waits until every SID is in a final status; fires ``{"status": "done", "states": {...}}`` (or an error).

    Subclasses set ``SIDS_KWARG``, keep their SIDs under that attribute and implement ``_new_tracker``.
    """

    SIDS_KWARG: str

    def __init__(
        self,
        *,
        success_statuses: list[str] | tuple[str, ...],
        failure_statuses: list[str] | tuple[str, ...],
        states: dict[str, dict[str, Any]] | None = None,
        twilio_conn_id: str = "twilio_default",
        poll_interval: float = DEFAULT_POLL_INTERVAL,
    ) -> None:
        super().__init__()
        self.success_statuses = list(success_statuses)
        self.failure_statuses = list(failure_statuses)
        self.states = dict(states or {})
        self.twilio_conn_id = twilio_conn_id
        self.poll_interval = float(poll_interval)

    @property
    def sids(self) -> list[str]:
        """This trigger's SIDs, whatever its keyword calls them."""
        return list(getattr(self, self.SIDS_KWARG))

    def _new_tracker(self) -> StatusTracker:
        """The tracker that follows these SIDs from the states already known."""
        raise NotImplementedError

    def serialize(self) -> tuple[str, dict[str, Any]]:
        return (
            f"{type(self).__module__}.{type(self).__qualname__}",
            {
                self.SIDS_KWARG: self.sids,
                "success_statuses": self.success_statuses,
                "failure_statuses": self.failure_statuses,
                "states": self.states,
                "twilio_conn_id": self.twilio_conn_id,
                "poll_interval": self.poll_interval,
            },
        )

    async def run(self) -> AsyncIterator[TriggerEvent]:
        from airflow_provider_twilio.triggers.offloop import import_modules

        await import_modules("airflow_provider_twilio.exceptions", "airflow_provider_twilio.triggers.live_connection")
        from airflow_provider_twilio.exceptions import TwilioProviderError, error_event
        from airflow_provider_twilio.triggers.live_connection import LiveConnection

        connection = LiveConnection(self.twilio_conn_id)
        try:
            tracker = await asyncio.to_thread(self._new_tracker)  # imports its tracking module off the loop
            await connection.open()
        except TwilioProviderError as err:
            yield TriggerEvent(error_event(err))
            return
        try:
            event = await self._wait(tracker, connection)
        finally:
            await connection.close()
        yield event  # after closing: the triggerer may keep a finished generator around a while

    async def _wait(self, tracker: StatusTracker, connection: LiveConnection) -> TriggerEvent:
        """Poll until every status is final or a permanent error; follows the connection as it changes."""
        from airflow_provider_twilio.exceptions import TwilioProviderError, error_event, is_transient

        while True:
            try:
                # A rotated token is picked up; a deleted connection ends the wait within one interval.
                await connection.follow(max_age=self.poll_interval / 2)
                await connection.call(tracker.refresh_async)
            except TwilioProviderError as err:
                if not is_transient(err):
                    return TriggerEvent(error_event(err))
                self.log.warning("Fetching %s status failed, trying again: %s", tracker.NOUN, err)
            if tracker.done:
                return TriggerEvent({"status": "done", "states": tracker.result()})
            self.log.info("Waiting for final statuses: %s", tracker.summary())
            await asyncio.sleep(self.poll_interval)
