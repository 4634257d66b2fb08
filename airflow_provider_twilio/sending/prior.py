"""Which identical messages already exist just before an attempt, so an ambiguous failure never claims one.

Twilio's dates have one-second resolution, so after a failed create the log cannot tell our message
from an identical one another task sent a moment before. One newest-first read of the recent log
(From-filtered when the batch has one sender number), refreshed at most once a second while sending,
records the SIDs of those; an attempt starts only after the read it relies on has finished.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Sequence
from datetime import datetime, timezone
from typing import Any

from airflow_provider_twilio.exceptions import TwilioProviderError
from airflow_provider_twilio.retry import RetryPolicy, read_with_retries
from airflow_provider_twilio.sending.matching import is_same_message
from airflow_provider_twilio.sending.validation import MessageRequest
from airflow_provider_twilio.timing import created_before

MAX_AGE = 1.0
"""Seconds before a reading is refreshed: an identical message someone else sent less than this (plus
one read) before an attempt is the window that remains."""
PAGE_SIZE = 1000


class PriorMessages:
    """SIDs of identical messages to each recipient that existed at the latest reading."""

    def __init__(
        self,
        messages: Any,
        request: MessageRequest,
        recipients: Sequence[str],
        policy: RetryPolicy,
        sleep: Callable[[float], None],
        *,
        max_age: float = MAX_AGE,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._messages = messages
        self._request = request
        self._recipients = frozenset(recipients)
        self._filters = _log_filters(request, self._recipients)
        self._policy = policy
        self._sleep = sleep
        self._max_age = max_age
        self._clock = clock
        self._lock = threading.Lock()
        self._read_at: float | None = None
        self._known: dict[str, frozenset[str]] | None = None
        self._refreshing = False
        self._first_read = threading.Event()

    def before_attempt(self, to: str) -> frozenset[str] | None:
        """What exists for ``to`` now (read at most ``max_age`` ago, plus one read); None if unreadable.

        One thread refreshes a stale reading while the others keep using the last one, so sending never
        stalls behind it; only the very first reading is waited for by all.
        """
        with self._lock:
            stale = self._read_at is None or self._clock() - self._read_at > self._max_age
            refresh = stale and not self._refreshing
            if refresh:
                self._refreshing = True
        if refresh:
            try:
                known: dict[str, frozenset[str]] | None = read_with_retries(self._read, self._policy, self._sleep)
            except TwilioProviderError:
                known = None  # the attempts go ahead; a look-alike is then reported as unconfirmed
            with self._lock:
                self._known, self._read_at, self._refreshing = known, self._clock(), False
                self._first_read.set()
        self._first_read.wait()
        with self._lock:
            current = self._known
        return None if current is None else current.get(to, frozenset())

    def _read(self) -> dict[str, frozenset[str]]:
        started = datetime.now(timezone.utc)
        found: dict[str, set[str]] = {}
        for message in self._messages.stream(**self._filters):
            if created_before(message, started):
                break
            to = message.to
            if to in self._recipients and is_same_message(message, to, self._request):
                found.setdefault(to, set()).add(message.sid)
        return {to: frozenset(sids) for to, sids in found.items()}


def _log_filters(request: MessageRequest, recipients: frozenset[str]) -> dict[str, Any]:
    """The log read's filters, worked out once per batch: From-filtered when every recipient gets one sender."""
    filters: dict[str, Any] = {"page_size": PAGE_SIZE}
    senders = {request.sender_for(to) for to in recipients}
    if not request.messaging_service_sid and len(senders) == 1 and None not in senders:
        filters["from_"] = senders.pop()
    return filters
