"""On a retried task, skip recipients the earlier try already texted.

Two ways to read the log, chosen by batch size:
- few recipients: one To-filtered list per recipient, each stopping at the window start;
- many recipients: page through the account's log (From-filtered when there is one sender number)
  newest first, 1,000 per page, once for the whole window, and match in memory. That is
  ``ceil(messages in window / 1000)`` requests instead of one per recipient.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from airflow_provider_twilio.sending.ambiguity import identical_messages
from airflow_provider_twilio.sending.matching import is_same_message
from airflow_provider_twilio.sending.validation import MessageRequest
from airflow_provider_twilio.timing import is_before, lookback_floor

PER_RECIPIENT_LIMIT = 20
LOG_PAGE_SIZE = 1000


def find_already_sent(
    messages: Any, recipients: Sequence[str], request: MessageRequest, since: datetime
) -> dict[str, Any]:
    """Recipient -> the message already sent to them since ``since``. Raises SDK errors (never guesses)."""
    if len(recipients) <= PER_RECIPIENT_LIMIT:
        floor = lookback_floor(since)
        found = {to: _newest_since(messages, to, request, floor) for to in recipients}
        return {to: message for to, message in found.items() if message is not None}
    return scan_log(messages, recipients, request, since)


def scan_log(messages: Any, recipients: Sequence[str], request: MessageRequest, since: datetime) -> dict[str, Any]:
    floor = lookback_floor(since)
    wanted = set(recipients)
    senders = {request.sender_for(to) for to in recipients}
    filters: dict[str, Any] = {"page_size": LOG_PAGE_SIZE}
    if not request.messaging_service_sid and len(senders) == 1 and None not in senders:
        filters["from_"] = senders.pop()
    found: dict[str, Any] = {}
    for message in messages.stream(**filters):
        if is_before(message, floor):
            break
        to = message.to
        if to in wanted and to not in found and is_same_message(message, to, request):
            found[to] = message
            if len(found) == len(wanted):
                break
    return found


def _newest_since(messages: Any, to: str, request: MessageRequest, floor: datetime) -> Any | None:
    return next(identical_messages(messages, to, request, lambda m: is_before(m, floor)), None)
