"""Message storage: creation order, indexes by To and From, newest-first pages.

A message's status is a timeline fixed when it is created (queued at t0, sending at t0+d, ...), so
reading the status is a lookup and no timer has to run per message.
"""

from __future__ import annotations

import bisect
import secrets
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

from airflow_provider_twilio.emulator.http.listing import DateFilter
from airflow_provider_twilio.emulator.http.timefmt import rfc2822

API_VERSION = "2010-04-01"
PRICE_PER_SEGMENT = 0.0079

FINAL_STATUSES = frozenset({"delivered", "undelivered", "failed", "received", "canceled", "read"})
SENDER_PICKED = frozenset({"queued", "sending", "sent", "delivered", "undelivered", "failed", "read"})
"""Statuses a Messaging Service message reaches only once the service has picked its sender."""


@dataclass(frozen=True)
class Step:
    at: float
    status: str
    error_code: int | None = None
    error_message: str | None = None


@dataclass
class Message:
    sid: str
    account_sid: str
    seq: int
    created_at: float
    to: str
    from_: str
    body: str
    direction: str
    timeline: list[Step]
    media_urls: tuple[str, ...] = ()
    messaging_service_sid: str | None = None
    status_callback: str | None = None
    num_segments: int = 1
    modified_at: float = 0.0
    deleted: bool = False

    def step_at(self, now: float) -> Step:
        """The last step reached by ``now``."""
        timeline = self.timeline
        current = timeline[0]
        for step in timeline[1:]:
            if step.at > now:
                break
            current = step
        return current

    def date_sent(self, now: float) -> float | None:
        """When the message reached "sent" (outbound) or arrived (inbound); None before that."""
        for step in self.timeline:
            if step.at > now:
                return None
            if step.status in ("sent", "received"):
                return step.at
        return None

    def sender_at(self, now: float, *, initial: bool = False) -> str | None:
        """``from`` as Twilio shows it: a Messaging Service picks the sender as the message leaves
        ``accepted`` (or ``scheduled``); until then it is null."""
        if self.messaging_service_sid is None:
            return self.from_
        if initial:
            return None
        picked = any(step.at <= now and step.status in SENDER_PICKED for step in self.timeline)
        return self.from_ if picked else None

    def render(self, now: float, *, initial: bool = False) -> dict[str, Any]:
        """The resource exactly as the API returns it."""
        step = self.timeline[0] if initial else self.step_at(now)
        sender = self.sender_at(now, initial=initial)
        uri = f"/{API_VERSION}/Accounts/{self.account_sid}/Messages/{self.sid}"
        date_sent = None if initial else self.date_sent(now)
        priced = date_sent is not None or step.status in ("failed", "undelivered", "delivered")
        price = f"-{PRICE_PER_SEGMENT * max(self.num_segments, 1):.5f}" if priced and step.status != "failed" else None
        return {
            "body": self.body,
            "num_segments": str(self.num_segments) if sender is not None else "0",
            "direction": self.direction,
            "from": sender,
            "to": self.to,
            "date_updated": rfc2822(max(step.at, self.modified_at, self.created_at)),
            "price": price,
            "error_message": step.error_message,
            "uri": uri + ".json",
            "account_sid": self.account_sid,
            "num_media": str(len(self.media_urls)),
            "status": step.status,
            "messaging_service_sid": self.messaging_service_sid,
            "sid": self.sid,
            "date_sent": rfc2822(date_sent),
            "date_created": rfc2822(self.created_at),
            "error_code": step.error_code,
            "price_unit": "USD",
            "api_version": API_VERSION,
            "subresource_uris": {"media": uri + "/Media.json", "feedback": uri + "/Feedback.json"},
        }


def new_sid(prefix: str) -> str:
    return prefix + secrets.token_hex(16)


class MessageStore:
    """Thread-safe: routes run on the server's event loop, the Python API on the caller's thread."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._clear()

    def _clear(self) -> None:
        self._by_sid: dict[str, Message] = {}
        self._order: list[Message] = []
        self._by_to: dict[str, list[Message]] = {}
        self._by_from: dict[str, list[Message]] = {}
        self._next_seq = 0
        self._last_created = 0.0
        # The longest wait from creation to "sent"/"received" of any stored message: no message created
        # more than this before a DateSent lower bound can match it, so newest-first walks stop there.
        self._max_send_lag = 0.0
        self._deleted = 0
        self.generation = 0

    def reset(self) -> None:
        with self._lock:
            generation = self.generation
            self._clear()
            self.generation = generation + 1

    def __len__(self) -> int:
        with self._lock:
            return len(self._by_sid)

    def add(self, build: Callable[[int, float], Message]) -> Message:
        """Store the message ``build(seq, created_at)`` returns; creation times never go backwards."""
        with self._lock:
            created_at = max(time.time(), self._last_created)
            self._last_created = created_at
            seq = self._next_seq
            self._next_seq += 1
            message = build(seq, created_at)
            self._note_send_lag(message)
            self._by_sid[message.sid] = message
            self._order.append(message)
            self._by_to.setdefault(message.to, []).append(message)
            self._by_from.setdefault(message.from_, []).append(message)
            return message

    def seed(self, messages: list[Message]) -> None:
        """Store history: each message keeps its own ``created_at``, and the store is put back in creation order.

        Every message is renumbered, so a page token handed out before a seed is no longer valid.
        """
        with self._lock:
            for message in messages:
                if message.sid in self._by_sid:
                    raise ValueError(f"a message {message.sid} already exists")
            for message in messages:
                self._note_send_lag(message)
                self._by_sid[message.sid] = message
            self._order = sorted(self._by_sid.values(), key=_created_then_seq)
            for seq, message in enumerate(self._order):
                message.seq = seq
            self._next_seq = len(self._order)
            self._last_created = max(self._last_created, self._order[-1].created_at if self._order else 0.0)
            self._by_to, self._by_from = {}, {}
            for message in self._order:
                self._by_to.setdefault(message.to, []).append(message)
                self._by_from.setdefault(message.from_, []).append(message)
            self._deleted = 0

    def get(self, sid: str) -> Message | None:
        with self._lock:
            return self._by_sid.get(sid)

    def update(self, sid: str, change: Callable[[Message], None]) -> Message | None:
        with self._lock:
            message = self._by_sid.get(sid)
            if message is not None:
                change(message)
                self._note_send_lag(message)
            return message

    def _note_send_lag(self, message: Message) -> None:
        sent_at = message.date_sent(float("inf"))
        if sent_at is not None:
            self._max_send_lag = max(self._max_send_lag, sent_at - message.created_at)

    def delete(self, sid: str) -> bool:
        with self._lock:
            message = self._by_sid.pop(sid, None)
            if message is None:
                return False
            message.deleted = True
            self._deleted += 1
            if self._deleted > 1000 and self._deleted * 4 > len(self._order):
                self._compact()
            return True

    def _compact(self) -> None:
        self._order = [m for m in self._order if not m.deleted]
        self._by_to = {k: kept for k, v in self._by_to.items() if (kept := [m for m in v if not m.deleted])}
        self._by_from = {k: kept for k, v in self._by_from.items() if (kept := [m for m in v if not m.deleted])}
        self._deleted = 0

    def all_newest_first(self) -> list[Message]:
        with self._lock:
            return [m for m in reversed(self._order) if not m.deleted]

    def page(
        self,
        *,
        to: str | None,
        from_: str | None,
        date_filters: tuple[DateFilter, ...],
        page_size: int,
        before_seq: int | None,
        now: float,
    ) -> tuple[list[Message], bool]:
        """Up to ``page_size`` matches older than ``before_seq``, newest first, and whether more follow.

        Walks the smallest index that applies (To or From), so a filtered page only touches that
        sender's or recipient's messages.
        """
        with self._lock:
            candidates = self._candidates(to, from_)
            end = len(candidates) if before_seq is None else bisect.bisect_left(candidates, before_seq, key=_seq_of)
            found: list[Message] = []
            stop_before = _lower_bound(date_filters) - self._max_send_lag
            for message in _reversed_until(candidates, end):
                if message.created_at < stop_before:
                    break  # older messages were all sent before the window opened
                if message.deleted:
                    continue
                if to is not None and message.to != to:
                    continue
                if from_ is not None and message.sender_at(now) != from_:
                    continue
                if date_filters:
                    sent = message.date_sent(now)
                    if not all(f.matches(sent) for f in date_filters):
                        continue
                if len(found) == page_size:
                    return found, True
                found.append(message)
            return found, False

    def _candidates(self, to: str | None, from_: str | None) -> list[Message]:
        lists = [self._order]
        if to is not None:
            lists.append(self._by_to.get(to, []))
        if from_ is not None:
            lists.append(self._by_from.get(from_, []))
        return min(lists, key=len)


def _lower_bound(date_filters: tuple[DateFilter, ...]) -> float:
    """The earliest date_sent any filter admits (``-inf`` when none bounds it from below)."""
    bounds = [f.at for f in date_filters if f.op in (">", "=")]
    return max(bounds) if bounds else float("-inf")


def _created_then_seq(message: Message) -> tuple[float, int]:
    return message.created_at, message.seq


def _seq_of(message: Message) -> int:
    return message.seq


def _reversed_until(items: list[Message], end: int) -> Iterator[Message]:
    for index in range(end - 1, -1, -1):
        yield items[index]
