"""Twilio's message and call logs, one list request per connection per refresh, shared by every reader.

A refresh reads one page (``PAGE_SIZE`` newest records) through the connection's own hook, in the
api-server: the token stays there. Results are kept ``TTL`` seconds; readers that ask meanwhile, or
while a refresh is in flight, get the same answer, so the page costs at most one request per
connection and kind every ``TTL`` seconds however many tabs are open.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

TTL = 5.0
PAGE_SIZE = 1_000
"""Twilio's largest page: statuses are shown for the newest 1,000 messages (calls) of the account."""
BODY_CHARS = 160

Fetch = Callable[[str, str, int], list[dict[str, Any]]]
"""(kind, conn_id, page_size) -> records."""


@dataclass(frozen=True)
class Listing:
    records: dict[str, dict[str, Any]]
    """SID -> the record, as the view uses it."""
    error: str | None = None
    """Why the list could not be read (an error name; never the connection's details)."""


@dataclass
class _Entry:
    lock: threading.Lock = field(default_factory=threading.Lock)
    listing: Listing | None = None
    read_at: float = float("-inf")


class ListCache:
    """Per (kind, connection): the last page read, reused for ``ttl`` seconds."""

    def __init__(self, fetch: Fetch | None = None, *, ttl: float = TTL, page_size: int = PAGE_SIZE) -> None:
        self._fetch = fetch or fetch_with_hook
        self._ttl = ttl
        self._page_size = page_size
        self._entries: dict[tuple[str, str], _Entry] = {}
        self._entries_lock = threading.Lock()

    def get(self, kind: str, conn_id: str) -> Listing:
        with self._entries_lock:
            entry = self._entries.setdefault((kind, conn_id), _Entry())
        with entry.lock:
            if entry.listing is None or time.monotonic() - entry.read_at >= self._ttl:
                entry.listing = self._read(kind, conn_id)
                entry.read_at = time.monotonic()
            return entry.listing

    def _read(self, kind: str, conn_id: str) -> Listing:
        try:
            records = self._fetch(kind, conn_id, self._page_size)
        except Exception as error:  # the view shows what the tasks recorded, and why no live status
            from airflow_provider_twilio.exceptions import error_type_for

            status = getattr(error, "status", None)
            name = error_type_for(getattr(error, "code", None), status if isinstance(status, int) else None).value
            return Listing({}, error=f"{type(error).__name__} ({name})")
        return Listing({record["sid"]: record for record in records})


def fetch_with_hook(kind: str, conn_id: str, page_size: int) -> list[dict[str, Any]]:
    """One page of the connection's message or call log, newest first."""
    from airflow_provider_twilio.hooks.twilio import TwilioHook

    client = TwilioHook(twilio_conn_id=conn_id).get_conn()
    if kind == "messages":
        return [message_record(m) for m in client.messages.page(page_size=page_size)]
    return [call_record(c) for c in client.calls.page(page_size=page_size)]


def _iso(value: Any) -> str | None:
    return value.isoformat() if value is not None else None


def message_record(message: Any) -> dict[str, Any]:
    segments = message.num_segments
    return {
        "sid": message.sid,
        "direction": message.direction,
        "from": message.from_,
        "to": message.to,
        "body": (message.body or "")[:BODY_CHARS],
        "segments": int(segments) if segments not in (None, "", "0") else None,
        "status": message.status,
        "error_code": message.error_code,
        "time": _iso(message.date_sent or message.date_created),
    }


def call_record(call: Any) -> dict[str, Any]:
    return {
        "sid": call.sid,
        "from": call._from,
        "to": call.to,
        "status": call.status,
        "answered_by": call.answered_by,
        "duration": call.duration,
        "time": _iso(call.start_time or call.date_created),
    }
