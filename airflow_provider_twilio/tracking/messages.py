"""Tracking delivery of sent messages: each pending message is fetched until it is final."""

from __future__ import annotations

import asyncio
from typing import Any

from airflow_provider_twilio.exceptions import TwilioDeliveryFailedError, classify_exception, error_type_for
from airflow_provider_twilio.statuses import MESSAGE_FAILURE, MESSAGE_STATUSES, MESSAGE_SUCCESS
from airflow_provider_twilio.tracking.core import StatusTracker, parse_statuses

DEFAULT_SUCCESS = MESSAGE_SUCCESS
DEFAULT_FAILURE = MESSAGE_FAILURE
KNOWN_STATUSES = frozenset(MESSAGE_STATUSES)
# Async fetches in flight at once, so a large batch does not open hundreds of connections.
FETCH_CONCURRENCY = 10


def parse_message_statuses(value: Any, parameter: str) -> tuple[str, ...]:
    return parse_statuses(value, parameter, KNOWN_STATUSES, "message")


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


class DeliveryTracker(StatusTracker):
    """Messages until each is delivered (or another success status) or failed."""

    DEFAULT_SUCCESS = DEFAULT_SUCCESS
    DEFAULT_FAILURE = DEFAULT_FAILURE
    KNOWN_STATUSES = KNOWN_STATUSES
    NOUN = "message"
    FAILED = "were not delivered"
    ERROR = TwilioDeliveryFailedError

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
