"""After a timeout, dropped connection or 5xx, find out whether Twilio created the message anyway.

Message creation is not idempotent, so a blind re-send can text someone twice. Instead look in the
message log (filtered server-side by To, newest first) for our message created since the attempt
began, and stop paging as soon as messages are older than that.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from airflow_provider_twilio.sending.matching import is_before, is_same_message, window_floor
from airflow_provider_twilio.sending.validation import MessageRequest

LOOKUP_PAGE_SIZE = 50


def find_sent_message(messages: Any, to: str, request: MessageRequest, since: datetime) -> Any | None:
    """The newest message to ``to`` matching ``request`` created since ``since``, or None. Raises SDK errors."""
    floor = window_floor(since)
    sender = request.sender_for(to) if not request.messaging_service_sid else None
    filters: dict[str, Any] = {"to": to, "page_size": LOOKUP_PAGE_SIZE}
    if sender:
        filters["from_"] = sender
    for message in messages.stream(**filters):
        if is_before(message, floor):
            return None
        if is_same_message(message, to, request):
            return message
    return None
