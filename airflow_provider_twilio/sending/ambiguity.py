"""After a timeout, dropped connection or 5xx, find out whether Twilio created the message anyway.

Message creation is not idempotent, so a blind re-send can text someone twice. Instead look in the
message log (filtered server-side by To, newest first) for our message, and stop paging at messages
certainly older than the attempt. An identical message that already existed before the attempt
(another task's alert a second earlier) is never ours: the sender reads which identical messages
exist just before each first attempt (``prior.PriorMessages``) and leaves those out. Without that
reading, one from the seconds around the attempt is reported as unconfirmed, never as ours.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from airflow_provider_twilio.sending.matching import is_same_message
from airflow_provider_twilio.sending.validation import MessageRequest
from airflow_provider_twilio.timing import created_after, created_before

LOOKUP_PAGE_SIZE = 50


@dataclass(frozen=True)
class Lookup:
    own: Any | None = None
    """The attempt's own message, when the log shows it."""
    unconfirmed: Any | None = None
    """An identical message from the seconds around the attempt that may be an earlier one."""


def identical_messages(messages: Any, to: str, request: MessageRequest, stop: Callable[[Any], bool]) -> Iterator[Any]:
    """Messages to ``to`` matching ``request``, newest first, until ``stop(message)``. Raises SDK errors."""
    sender = request.sender_for(to) if not request.messaging_service_sid else None
    filters: dict[str, Any] = {"to": to, "page_size": LOOKUP_PAGE_SIZE}
    if sender:
        filters["from_"] = sender
    for message in messages.stream(**filters):
        if stop(message):
            return
        if is_same_message(message, to, request):
            yield message


def find_own_message(
    messages: Any, to: str, request: MessageRequest, attempt_start: datetime, existed_before: frozenset[str] | None
) -> Lookup:
    """Our message to ``to`` if the log shows it. ``existed_before``: SIDs of the identical messages that
    existed just before the first attempt, or None if that could not be read. Raises SDK errors."""
    unconfirmed = None
    for message in identical_messages(messages, to, request, lambda m: created_before(m, attempt_start)):
        if existed_before is not None:
            if message.sid not in existed_before:
                return Lookup(own=message)
        elif created_after(message, attempt_start):
            return Lookup(own=message)
        else:
            unconfirmed = unconfirmed or message
    return Lookup(unconfirmed=unconfirmed)
