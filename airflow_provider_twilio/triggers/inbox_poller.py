"""One poll loop per (event loop, connection, number), shared by every trigger waiting on that inbox.

A triggerer running 500 approval waits on one number sends one list request per interval, not 500:
each waiting trigger subscribes, the poller reads what is new and hands it to every subscriber. The
poller starts with its first subscriber and stops when the last one leaves or is cancelled.

The poller follows its connection (``LiveConnection``): a rotated token is picked up, and a deleted
connection ends every subscriber's wait with an error naming it, within one poll interval.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import weakref
from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING, Any

from airflow_provider_twilio.exceptions import TwilioProviderError, is_transient
from airflow_provider_twilio.inbound.matching import InboundMessage
from airflow_provider_twilio.inbound.polling import InboxCursor, poll_async
from airflow_provider_twilio.timing import DATE_RESOLUTION, second_floor

if TYPE_CHECKING:
    from airflow_provider_twilio.triggers.live_connection import LiveConnection

log = logging.getLogger(__name__)

# Messages kept for triggers that join later; older ones are read again from Twilio if needed.
MAX_HISTORY = 10_000


@dataclass(eq=False)
class Subscription:
    """One waiting trigger: receives ``("messages", [...])`` each poll, or ``("error", err)`` once.

    The poller hands over each message once; in the rare case it reads one again (after dropping it
    from its history), acting on it twice is harmless: replies are checked against the message log.
    """

    since: datetime
    interval: float
    queue: asyncio.Queue[tuple[str, Any]] = field(default_factory=asyncio.Queue)
    # Polls the poller had started when this subscription joined: a later one reads its whole window.
    joined_after_poll: int = 0
    offers: int = 0
    # Set once the poller has offered everything in the window up to a poll after joining: the first
    # ``caught_up_at`` items of ``queue`` hold it all.
    caught_up_at: int | None = None

    def offer(self, messages: list[InboundMessage], poll_number: int | None = None) -> None:
        floor = second_floor(self.since)
        self.queue.put_nowait(("messages", [m for m in messages if m.date_sent >= floor]))
        self.offers += 1
        if self.caught_up_at is None and poll_number is not None and poll_number > self.joined_after_poll:
            self.caught_up_at = self.offers


class InboxPoller:
    """Polls one inbox for all its subscribers and keeps what it read since the earliest window."""

    def __init__(self, conn_id: str, to: str, key: tuple[str, str], registry: dict[Any, InboxPoller]) -> None:
        self.conn_id = conn_id
        self.to = to
        self._key = key
        self._registry = registry
        self.subscribers: list[Subscription] = []
        self.history: dict[str, InboundMessage] = {}
        # Messages dated before this may be missing from ``history`` (never read, or dropped).
        self.history_from: datetime | None = None
        self._history_from_next: datetime | None = None
        self.cursor: InboxCursor | None = None
        self.polls = 0
        self.polls_started = 0
        self._wake = asyncio.Event()
        self._task: asyncio.Task[None] | None = None

    @property
    def interval(self) -> float:
        return min(sub.interval for sub in self.subscribers)

    def subscribe(self, since: datetime, interval: float) -> Subscription:
        sub = Subscription(since=since, interval=interval, joined_after_poll=self.polls_started)
        self.subscribers.append(sub)
        if self.cursor is None:
            self.cursor = InboxCursor(self.to, since)
            self.history_from = self.cursor.window_start
        else:
            floor = second_floor(since)
            if self.history_from is not None and floor < self.history_from:
                # Read back what this poller never held or has dropped; complete from ``floor`` after.
                self.cursor.rewind(since, forget_before=self.history_from)
                self._history_from_next = min(floor, self._history_from_next or floor)
            else:
                self.cursor.rewind(since)
        sub.offer(sorted(self.history.values(), key=lambda m: m.date_sent))
        self._wake.set()  # read at once: the newcomer may be waiting for a reply that is already there
        if self._task is None:
            self._task = asyncio.get_running_loop().create_task(self._run(), name=f"twilio-inbox-{self.to}")
        return sub

    def unsubscribe(self, sub: Subscription) -> None:
        if sub in self.subscribers:
            self.subscribers.remove(sub)
        if not self.subscribers:
            self._close()
            return
        earliest = second_floor(min(s.since for s in self.subscribers))
        self.history = {sid: m for sid, m in self.history.items() if m.date_sent >= earliest}
        if self.history_from is not None:
            self.history_from = max(self.history_from, earliest)

    def _close(self) -> None:
        if self._registry.get(self._key) is self:
            del self._registry[self._key]
        if self._task is not None and self._task is not asyncio.current_task():
            self._task.cancel()
        self._task = None

    async def _run(self) -> None:
        from airflow_provider_twilio.triggers.live_connection import LiveConnection

        try:
            async with LiveConnection(self.conn_id) as connection:
                loop = asyncio.get_running_loop()
                while self.subscribers:
                    self._wake.clear()
                    # A fixed cadence: the time a poll takes does not stretch the interval.
                    due = loop.time() + self.interval
                    # Read at most twice an interval, so a deleted connection stops the polls within one.
                    if await connection.follow(max_age=self.interval / 2):
                        log.info("Twilio connection %r changed; polling %s with it", self.conn_id, self.to)
                    if not await self._poll_once(connection):
                        return
                    with contextlib.suppress(asyncio.TimeoutError):
                        await asyncio.wait_for(self._wake.wait(), timeout=max(0.0, due - loop.time()))
        except TwilioProviderError as err:
            self._fail(err)
        except asyncio.CancelledError:
            raise
        except Exception as err:  # a broken connection definition, for instance
            from airflow_provider_twilio.exceptions import classify_exception

            self._fail(classify_exception(err))
        finally:
            if self._task is asyncio.current_task():
                self._close()

    async def _poll_once(self, connection: LiveConnection) -> bool:
        cursor = self.cursor
        assert cursor is not None
        bound = cursor.lower_bound
        self.polls_started += 1
        complete: int | None = self.polls_started
        try:
            # A refused token makes the connection be read again once: a rotated one is used at once.
            new = await connection.call(lambda client: poll_async(client, cursor))
        except TwilioProviderError as err:
            if not is_transient(err):
                self._fail(err)
                return False
            log.warning("Polling %s for replies failed, trying again in %.0fs: %s", self.to, self.interval, err)
            new, complete = [], None
        else:
            if self._history_from_next is not None and bound <= self._history_from_next:
                self.history_from, self._history_from_next = self._history_from_next, None
        finally:
            self.polls += 1
        fresh = [message for message in new if message.sid not in self.history]
        for message in fresh:
            self.history[message.sid] = message
        self._trim_history()
        for sub in list(self.subscribers):
            sub.offer(fresh, complete)
        return True

    def _trim_history(self) -> None:
        if len(self.history) <= MAX_HISTORY:
            return
        ordered = sorted(self.history.values(), key=lambda m: m.date_sent)
        dropped = ordered[: len(ordered) - MAX_HISTORY]
        self.history = {m.sid: m for m in ordered[len(dropped) :]}
        # The second of the newest dropped message may be only partly kept: complete from the next one.
        self.history_from = second_floor(dropped[-1].date_sent) + DATE_RESOLUTION

    def _fail(self, err: TwilioProviderError) -> None:
        for sub in self.subscribers:
            sub.queue.put_nowait(("error", err))
        self.subscribers = []


_REGISTRY: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, dict[Any, InboxPoller]] = weakref.WeakKeyDictionary()


def pollers() -> dict[Any, InboxPoller]:
    """The pollers of the running event loop (each triggerer, or each in-process trigger run, has one)."""
    loop = asyncio.get_running_loop()
    return _REGISTRY.setdefault(loop, {})


def subscribe(conn_id: str, to: str, since: datetime, interval: float) -> tuple[InboxPoller, Subscription]:
    registry = pollers()
    key = (conn_id, to)
    poller = registry.get(key)
    if poller is None:
        poller = registry[key] = InboxPoller(conn_id, to, key, registry)
    return poller, poller.subscribe(since, interval)
