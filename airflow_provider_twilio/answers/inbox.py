"""The pull path: human-in-the-loop requests answered from the inbox, for deployments Twilio cannot reach.

**Where it runs.** In every api-server worker process of Airflow 3.1 and later: the provider's plugin
mounts a small app with no routes (``/twilio-hitl-inbox``) whose lifespan runs ``run_forever``. Airflow
enters the lifespans of mounted plugin apps on 3.1+, where the webhook receiver itself is mounted only
on 3.3+. The poller needs no triggerer and no public URL; the SDK and database work of each round runs
in a worker thread, never on the api-server's event loop.

**What it costs.** Every ``interval`` seconds (Airflow setting ``[twilio] hitl_inbox_poll_interval``,
``AIRFLOW__TWILIO__HITL_INBOX_POLL_INTERVAL``, default 10; 0 turns polling off), for each connection and
respondent's phone with a pending request: one Messages list request for what that phone sent
(``From``, ``DateSent>``, newest first; a second page only past 200 new messages), however many
requests wait on that phone and however many api-server workers or replicas run. With nothing pending,
nothing is asked of Twilio; each worker reads the pending requests from the metadata DB twice per
interval. Only respondents are polled: a stranger's text is never read, so it gets no refusal.

**Sharing.** A worker polls a phone only in its turn: a row of Airflow's own ``variable`` table,
key ``twilio_hitl_inbox:<conn_id>:<phone>``, holds when the phone's messages were last listed and the
cursor (high-water mark and the SIDs near it; no bodies, no secrets). A turn is taken by a
compare-and-set: an update that matches only the value the worker read, so of two workers that read
the same value, exactly one moves it on, and no two polls of a number are less than ``interval`` apart
(as measured by the workers' clocks).

**Restarts.** The cursor is saved in that row after the messages of a poll were answered, so a
restarted poller (or another worker) goes on where the last poll stopped and reads nothing again. A
message read twice anyway (a process killed between answering and saving) is answered once:
``answer_by_text`` is idempotent per MessageSid. Messages dated before the oldest pending request
(less a second of clock skew) are never read.
"""

from __future__ import annotations

import asyncio
import json
import logging
import os
import socket
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

log = logging.getLogger(__name__)

DEFAULT_INTERVAL = 10.0
CONFIG_SECTION, CONFIG_KEY = "twilio", "hitl_inbox_poll_interval"
URL_PREFIX = "/twilio-hitl-inbox"
"""Where the poller's app is mounted; it has no routes (only its lifespan matters)."""
KEY_PREFIX = "twilio_hitl_inbox:"
DESCRIPTION = (
    "When the Twilio provider last polled this inbox for human-in-the-loop answers, and how far it read. "
    "Written by the api-server; deleting it only makes the next poll read back to the oldest pending request."
)
LOOKBACK = timedelta(seconds=1)
"""A reply sent within the second the request was registered in is still read (one-second dates)."""
ERROR_LOG_EVERY = 300.0
"""A failing round (an outage of Twilio or of the database) logs its error at most this often."""


def configured_interval() -> float:
    """``[twilio] hitl_inbox_poll_interval`` in seconds; 0 (or less) turns the pull path off."""
    from airflow_provider_twilio._compat import conf

    try:
        return float(conf.get(CONFIG_SECTION, CONFIG_KEY, fallback=str(DEFAULT_INTERVAL)))
    except (TypeError, ValueError):
        log.warning("[%s] %s is not a number; polling every %.0f s", CONFIG_SECTION, CONFIG_KEY, DEFAULT_INTERVAL)
        return DEFAULT_INTERVAL


def lease_key(conn_id: str, number: str) -> str:
    return f"{KEY_PREFIX}{conn_id}:{number}"


@dataclass(frozen=True)
class Turn:
    """One worker's turn to poll one inbox: the row value it wrote, and the cursor it found there."""

    key: str
    written: str
    cursor: dict[str, Any] | None


def take_turn(key: str, now: float, interval: float, holder: str) -> Turn | None:
    """This worker's turn for the inbox, if its last poll is at least ``interval`` ago; None otherwise.

    Committed before Twilio is asked, so every other worker sees the turn taken.
    """
    from airflow.models.variable import Variable
    from airflow.utils.session import create_session
    from sqlalchemy import insert, select, update
    from sqlalchemy.exc import IntegrityError

    table = Variable.__table__
    try:
        with create_session() as session:
            current = session.scalar(select(table.c.val).where(table.c.key == key))
            state = _state(current)
            if current is not None and state is not None and 0 <= now - state["polled_at"] < interval:
                return None  # polled less than an interval ago (a clock far behind takes the turn)
            cursor = state["cursor"] if state is not None else None
            written = json.dumps({"polled_at": now, "holder": holder, "cursor": cursor}, sort_keys=True)
            if current is None:
                session.execute(insert(table).values(key=key, val=written, is_encrypted=False, description=DESCRIPTION))
            else:
                moved: Any = session.execute(
                    update(table).where(table.c.key == key, table.c.val == current).values(val=written)
                )
                if moved.rowcount != 1:
                    return None  # another worker moved it first
    except IntegrityError:
        return None  # another worker created the row first
    return Turn(key, written, cursor)


def save_cursor(turn: Turn, cursor: dict[str, Any]) -> bool:
    """Keep how far this turn read, unless another turn began since (then that one reads on from before)."""
    from airflow.models.variable import Variable
    from airflow.utils.session import create_session
    from sqlalchemy import update

    table = Variable.__table__
    state = json.loads(turn.written)
    value = json.dumps({**state, "cursor": cursor}, sort_keys=True)
    with create_session() as session:
        moved: Any = session.execute(
            update(table).where(table.c.key == turn.key, table.c.val == turn.written).values(val=value)
        )
        return bool(moved.rowcount == 1)


def _state(value: Any) -> dict[str, Any] | None:
    """The row's value, or None if it is not one this module wrote (then it is written over)."""
    try:
        state = json.loads(value) if isinstance(value, str) else None
    except ValueError:
        return None
    if not isinstance(state, dict) or not isinstance(state.get("polled_at"), (int, float)):
        return None
    cursor = state.get("cursor")
    return {"polled_at": float(state["polled_at"]), "cursor": cursor if isinstance(cursor, dict) else None}


def sent_by(phone: str, window_start: datetime, checkpoint: dict[str, Any] | None = None) -> Any:
    """A cursor over what ``phone`` texted to any number of the account (resumed from ``checkpoint``)."""
    from airflow_provider_twilio.inbound.matching import INBOUND
    from airflow_provider_twilio.inbound.polling import InboxCursor

    class SenderCursor(InboxCursor):
        """Filtered by ``From`` alone: a reply counts whichever of the account's numbers it was sent to."""

        def request(self) -> dict[str, Any]:
            return {"from_": self.sender, "date_sent_after": self.lower_bound, "page_size": self.page_size}

        def _unread(self, message: Any, bound: datetime) -> bool:
            if message.date_sent < bound or message.sid in self._seen:
                return False
            return bool(message.direction == INBOUND and message.from_ == self.sender)

    if checkpoint:
        return SenderCursor.resume(phone, checkpoint, sender=phone)
    return SenderCursor(phone, window_start, sender=phone)


def _holder() -> str:
    return f"{socket.gethostname()}:{os.getpid()}"


class InboxPoller:
    """One round at a time: list, in its turn, what each respondent with a pending request sent, and answer it.

    ``pending`` gives each connection's respondents' phones with pending requests and ``since`` the
    moment the oldest of a phone's requests was made; ``answer`` is ``answer_by_text``. The defaults are the
    registry and resolver in this package.
    """

    def __init__(
        self,
        interval: float,
        *,
        pending: Callable[[], Mapping[str, set[str]]] | None = None,
        since: Callable[[str, str], datetime | None] | None = None,
        answer: Callable[..., Any] | None = None,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.interval = float(interval)
        self.pending = pending or _pending_numbers
        self.since = since or _oldest_request
        self.answer = answer or _answer_by_text
        self.clock = clock
        self.holder = _holder()
        self.polls = 0
        """List requests started by this poller (one per turn)."""

    @property
    def wake_every(self) -> float:
        """Half an interval: a turn comes up at most half an interval late."""
        return self.interval / 2

    def round(self) -> int:
        """Poll every pending inbox whose turn this is; how many messages were answered."""
        answered = 0
        for conn_id, numbers in sorted(self.pending().items()):
            hook = None
            for phone in sorted(numbers):
                turn = take_turn(lease_key(conn_id, phone), self.clock(), self.interval, self.holder)
                if turn is None:
                    continue
                if hook is None:
                    from airflow_provider_twilio.hooks.twilio import TwilioHook

                    hook = TwilioHook(twilio_conn_id=conn_id)
                answered += self._poll(hook, conn_id, phone, turn)
        return answered

    def _poll(self, hook: Any, conn_id: str, phone: str, turn: Turn) -> int:
        from airflow_provider_twilio.inbound.polling import poll

        floor = self.since(conn_id, phone)
        if floor is None:
            return 0  # answered meanwhile
        floor = floor - LOOKBACK
        cursor = sent_by(phone, floor, turn.cursor)
        if cursor.lower_bound < floor:
            cursor = sent_by(phone, floor)  # nothing sent before the oldest pending request is an answer
        self.polls += 1
        messages = poll(hook.get_conn(), cursor)
        for message in messages:  # oldest first; a failure leaves the cursor where it was: all are read again
            self.answer(
                conn_id,
                from_number=message.from_,
                to_number=message.to,
                body=message.body,
                message_sid=message.sid,
                via="sms",
            )
        save_cursor(turn, cursor.checkpoint())
        return len(messages)


def _pending_numbers() -> Mapping[str, set[str]]:
    from airflow_provider_twilio.answers.pending import numbers_with_pending_requests

    return numbers_with_pending_requests()


def _oldest_request(conn_id: str, phone: str) -> datetime | None:
    """When Airflow wrote the oldest request ``phone`` may answer on ``conn_id``; None if none is pending."""
    from airflow.models.hitl import HITLDetail
    from airflow.utils.session import create_session
    from sqlalchemy import select

    from airflow_provider_twilio.answers.pending import pending_requests_for, ti_key
    from airflow_provider_twilio.timing import as_utc

    with create_session() as session:
        ids = [ti_key(request.ti_id) for request in pending_requests_for(conn_id, phone, session=session)]
        if not ids:
            return None
        moments = list(session.scalars(select(HITLDetail.created_at).where(HITLDetail.ti_id.in_(ids))))
    return as_utc(min(moments)) if moments else None


def _answer_by_text(conn_id: str, **message: Any) -> Any:
    from airflow_provider_twilio.answers.resolve import answer_by_text

    return answer_by_text(conn_id, **message)


async def run_forever(poller: InboxPoller) -> None:
    """Rounds every half interval until cancelled; each round in a worker thread, its errors logged."""
    logged_at = 0.0
    while True:
        try:
            await asyncio.to_thread(poller.round)
        except Exception:
            if time.monotonic() - logged_at > ERROR_LOG_EVERY:
                logged_at = time.monotonic()
                log.exception("Polling Twilio inboxes for human-in-the-loop answers failed; trying again")
        await asyncio.sleep(poller.wake_every)


def create_app() -> Any:
    """The app the plugin mounts: no routes; its lifespan runs the poller (unless the interval is 0).

    On Airflow 3.3+ it also starts the thread that applies answers held until their task is parked
    (``answers/held.py``; once per process, whoever starts it first).
    """
    from contextlib import asynccontextmanager, suppress

    from fastapi import FastAPI

    @asynccontextmanager
    async def lifespan(app: Any) -> Any:
        from airflow_provider_twilio.answers.held import ensure_applying
        from airflow_provider_twilio.answers.parking import resumes_itself

        if not resumes_itself():
            ensure_applying()  # answers (a key pressed on a call, a fast text) wait for their task to park
        interval = configured_interval()
        task = asyncio.create_task(run_forever(InboxPoller(interval))) if interval > 0 else None
        if task is not None:
            log.info("Polling Twilio inboxes with pending human-in-the-loop requests every %.0f s", interval)
        try:
            yield
        finally:
            if task is not None:
                task.cancel()
                with suppress(asyncio.CancelledError):
                    await task

    return FastAPI(title="Twilio HITL inbox", lifespan=lifespan, docs_url=None, redoc_url=None, openapi_url=None)
