"""One poll of an inbox, with the sync or the async SDK client.

Cost does not grow with the inbox: the list is filtered on the server (``To``, ``From`` for a single
sender, ``DateSent>``), read newest first, and paging stops at the lower bound. After the first poll
the lower bound is the newest date seen (less a small overlap for late-listed messages), so a poll
with nothing new is one request for a near-empty page.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime, timedelta
from typing import Any

from airflow_provider_twilio.exceptions import TwilioInputError, classify_exception
from airflow_provider_twilio.inbound.matching import INBOUND, InboundMessage
from airflow_provider_twilio.timing import parse_since, second_floor

DEFAULT_PAGE_SIZE = 200
# Messages listed a moment after newer ones (same or neighbouring second) are still picked up.
DEFAULT_OVERLAP = timedelta(seconds=1)


class InboxCursor:
    """What has been read of one inbox: the window start, the high-water mark and the SIDs near it."""

    def __init__(
        self,
        to: str,
        window_start: datetime,
        sender: str | None = None,
        page_size: int = DEFAULT_PAGE_SIZE,
        overlap: timedelta = DEFAULT_OVERLAP,
    ) -> None:
        self.to = to
        self.sender = sender
        self.page_size = page_size
        self.overlap = overlap
        self.window_start = second_floor(window_start)
        self.high_water: datetime | None = None
        self._seen: dict[str, datetime] = {}
        self._rewind_to: datetime | None = None

    @property
    def lower_bound(self) -> datetime:
        """Messages dated before this are not read again."""
        bound = self.window_start
        if self.high_water is not None:
            bound = max(bound, self.high_water - self.overlap)
        if self._rewind_to is not None:
            bound = min(bound, self._rewind_to)
        return bound

    def rewind(self, since: datetime, forget_before: datetime | None = None) -> None:
        """Read from ``since`` on the next poll (a new waiter's window starts before the bound).

        ``forget_before``: also return again the messages dated before it that were already read
        (the caller no longer holds them).
        """
        floor = second_floor(since)
        if forget_before is not None:
            self._seen = {sid: date for sid, date in self._seen.items() if date >= forget_before}
        if forget_before is not None or floor < self.lower_bound:
            self._rewind_to = floor if self._rewind_to is None else min(self._rewind_to, floor)
        self.window_start = min(self.window_start, floor)

    def begin(self) -> tuple[datetime, bool]:
        """The bound for this poll, and whether it reads back further than the last one."""
        return self.lower_bound, self._rewind_to is not None

    def request(self) -> dict[str, Any]:
        """Arguments for ``client.messages.page``; ``DateSent>`` is inclusive, at one-second resolution."""
        kwargs: dict[str, Any] = {
            "to": self.to,
            "date_sent_after": self.lower_bound,
            "page_size": self.page_size,
        }
        if self.sender:
            kwargs["from_"] = self.sender
        return kwargs

    def read_page(self, records: Iterable[Any], bound: datetime, found: list[InboundMessage]) -> bool:
        """Collect unseen inbound messages from one page; False once the page reaches past ``bound``."""
        more = True
        for record in records:
            message = InboundMessage.from_api(record)
            if message is None:
                continue
            if message.date_sent < bound:
                more = False
                continue
            if self._unread(message, bound):
                found.append(message)
        return more

    def _unread(self, message: InboundMessage, bound: datetime) -> bool:
        """An inbound message to this inbox (from the sender, if one), dated at or after ``bound``, not read yet."""
        if message.date_sent < bound or message.sid in self._seen:
            return False
        if message.direction != INBOUND or message.to != self.to:
            return False
        return not self.sender or message.from_ == self.sender

    def unread(self, messages: Iterable[InboundMessage]) -> list[InboundMessage]:
        """Of messages read by someone else (a shared poll), those this cursor has not read; oldest first.

        They are not remembered until ``commit``: a reader that stops halfway reads the rest again.
        """
        bound = self.lower_bound
        return sorted((m for m in messages if self._unread(m, bound)), key=lambda m: m.date_sent)

    def commit(self, found: list[InboundMessage], rewound: bool) -> list[InboundMessage]:
        """Remember what was read; returns it oldest first."""
        for message in found:
            self._seen[message.sid] = message.date_sent
            if self.high_water is None or message.date_sent > self.high_water:
                self.high_water = message.date_sent
        if rewound:
            self._rewind_to = None
        if self.high_water is not None:
            keep_from = self.high_water - self.overlap
            if self._rewind_to is None:
                self._seen = {sid: date for sid, date in self._seen.items() if date >= keep_from}
        found.reverse()  # the API lists newest first
        return sorted(found, key=lambda m: m.date_sent)

    def checkpoint(self) -> dict[str, Any]:
        """What a reader in another process needs to go on where this one stopped, as JSON."""
        return {
            "window_start": self.window_start.isoformat(),
            "high_water": self.high_water.isoformat() if self.high_water is not None else None,
            "seen": {sid: date.isoformat() for sid, date in sorted(self._seen.items())},
        }

    @classmethod
    def resume(cls, to: str, checkpoint: Any, sender: str | None = None) -> InboxCursor:
        """A cursor that goes on from ``checkpoint()``; ``TwilioInputError`` if it is not one."""
        if not isinstance(checkpoint, dict) or not isinstance(checkpoint.get("seen", {}), dict):
            raise TwilioInputError(
                f"checkpoint: expected the dict InboxCursor.checkpoint() returns, got {checkpoint!r}"
            )
        cursor = cls(to, parse_since(checkpoint.get("window_start"), "checkpoint window_start"), sender=sender)
        high_water = checkpoint.get("high_water")
        cursor.high_water = parse_since(high_water, "checkpoint high_water") if high_water else None
        cursor._seen = {
            str(sid): parse_since(date, "checkpoint seen") for sid, date in checkpoint.get("seen", {}).items()
        }
        return cursor


def poll(client: Any, cursor: InboxCursor) -> list[InboundMessage]:
    """Read what is new in the inbox with the sync SDK client, oldest first; errors are classified."""
    bound, rewound = cursor.begin()
    found: list[InboundMessage] = []
    try:
        page = client.messages.page(**cursor.request())
        while page is not None:
            if not cursor.read_page(page, bound, found) or not page.next_page_url:
                break
            page = page.next_page()
    except Exception as err:
        raise classify_exception(err) from err
    return cursor.commit(found, rewound)


async def poll_async(client: Any, cursor: InboxCursor) -> list[InboundMessage]:
    """The same poll with the async SDK client."""
    bound, rewound = cursor.begin()
    found: list[InboundMessage] = []
    try:
        page = await client.messages.page_async(**cursor.request())
        while page is not None:
            if not cursor.read_page(page, bound, found) or not page.next_page_url:
                break
            page = await page.next_page_async()
    except Exception as err:
        raise classify_exception(err) from err
    return cursor.commit(found, rewound)
