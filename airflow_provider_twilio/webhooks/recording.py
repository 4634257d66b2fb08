"""Turning a verified webhook into asset events, at most once per watcher, asset and message.

Runs in the api-server (Airflow 3.3+). The watchers are the event triggers that Airflow keeps in its
``trigger`` table for every ``AssetWatcher``: each one that watches this connection by webhook and
accepts the message gets, on every asset it watches, the asset event its trigger would have yielded
(``extra={"from_trigger": True, "payload": ...}``, as ``Trigger.submit_event`` records it).

Each event is claimed first by a row in Airflow's asset state store, keyed by the watcher and the
message (and status): the primary key lets only one claim insert its row, so a webhook that Twilio
sends again, even concurrently, records nothing. Claim and event commit in one transaction.

A webhook for a watcher that a DAG declares but Airflow has not registered yet is held for it
(``holding``), and the queue rows of the recorded events are kept covering them (``queueing``), so
that each event gets a DAG run; ``upkeep`` hands held webhooks over and re-queues waiting events.
"""

from __future__ import annotations

import logging
import queue
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from typing import TYPE_CHECKING, Any, Protocol

from airflow_provider_twilio.webhooks.inserts import insert_once

if TYPE_CHECKING:
    from airflow_provider_twilio.webhooks.holding import Pending

log = logging.getLogger(__name__)

CLAIM_MARK = ":webhook:"
CLAIM_RETENTION = timedelta(days=7)
"""Twilio retries within minutes; claims older than this are deleted (at most once an hour)."""
PRUNE_EVERY = 3600.0
WATCHERS_TTL = 5.0
"""Seconds the list of watchers is reused: a new or removed watcher counts within this (plus parsing)."""

EventFor = Callable[[dict[str, Any]], "tuple[str, dict[str, Any]] | None"]
"""Given a watcher trigger's kwargs: its claim key and event payload for this webhook, or None."""

_pruned_at = 0.0
_prune_lock = threading.Lock()


@dataclass(frozen=True)
class Watcher:
    """One watcher trigger as the receiver needs it: its kwargs and the assets it fires."""

    kwargs: dict[str, Any]
    assets: tuple[tuple[int, str, str], ...]
    """(id, name, uri) of each watched asset."""


class _WatcherCache:
    """The watcher triggers of each class, read from the ``trigger`` table at most every ``WATCHERS_TTL`` s.

    Reading them (and decrypting their kwargs) is most of a webhook's work otherwise.
    """

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._cache: dict[str, tuple[float, list[Watcher]]] = {}

    def get(self, classpath: str, session: Any) -> list[Watcher]:
        now = time.monotonic()
        with self._lock:
            cached = self._cache.get(classpath)
        if cached is not None and now - cached[0] < WATCHERS_TTL:
            return cached[1]
        watchers = _read_watchers(classpath, session)
        with self._lock:
            self._cache[classpath] = (now, watchers)
        return watchers

    def clear(self) -> None:
        with self._lock:
            self._cache.clear()


watchers = _WatcherCache()


def _read_watchers(classpath: str, session: Any) -> list[Watcher]:
    from airflow.models.asset import AssetWatcherModel
    from airflow.models.trigger import Trigger
    from sqlalchemy import select
    from sqlalchemy.orm import selectinload

    triggers = session.scalars(
        select(Trigger)
        .where(Trigger.classpath == classpath)
        .options(selectinload(Trigger.asset_watchers).selectinload(AssetWatcherModel.asset))
    ).all()
    return [
        Watcher(kwargs=trigger.kwargs, assets=tuple((a.id, a.name, a.uri) for a in trigger.assets))
        for trigger in triggers
    ]


MAX_BATCH = 100


class SplitMark(Protocol):
    """Writes the marks holding a message to its first split (``deliveries.FirstSplit``), or raises."""

    def mark(self, session: Any) -> None: ...


@dataclass
class _Job:
    classpath: str
    event_for: EventFor
    pending: Pending | None = None
    """The webhook, to hold for watchers that are declared but not registered (None: nothing to hold)."""
    first_split: SplitMark | None = None
    """The mark holding the message to its first split, written before the events (``deliveries``)."""
    done: threading.Event = field(default_factory=threading.Event)
    recorded: int = 0
    error: BaseException | None = None


class _GroupWriter:
    """Records webhooks from one thread, in batches: everything waiting shares one transaction and commit.

    A commit is most of a webhook's cost (an fsync on SQLite), so under load each request pays only a
    share of one; alone, a webhook is recorded at once. Each job still claims and records its own events.
    """

    def __init__(self) -> None:
        self._queue: queue.SimpleQueue[_Job] = queue.SimpleQueue()
        self._lock = threading.Lock()
        self._thread: threading.Thread | None = None

    def submit(self, job: _Job) -> None:
        """Queue ``job`` and wait until its batch is committed; raises what failed it."""
        with self._lock:
            if self._thread is None or not self._thread.is_alive():
                self._thread = threading.Thread(target=self._run, name="twilio-webhook-writer", daemon=True)
                self._thread.start()
        self._queue.put(job)
        job.done.wait()
        if job.error is not None:
            raise job.error

    def _run(self) -> None:
        while True:
            jobs = [self._queue.get()]
            while len(jobs) < MAX_BATCH:
                try:
                    jobs.append(self._queue.get_nowait())
                except queue.Empty:
                    break
            try:
                _write_retrying_when_locked(jobs)
            except Exception as err:  # the transaction failed: none of them is recorded
                for job in jobs:
                    job.recorded, job.error = 0, job.error or err
            finally:
                for job in jobs:
                    job.done.set()


LOCKED_RETRIES = 5
"""Tries of one batch when SQLite refuses its write lock (another process committed meanwhile)."""


def _is_locked(err: BaseException) -> bool:
    from sqlalchemy.exc import OperationalError

    return isinstance(err, OperationalError) and "database is locked" in str(err)


def _write_retrying_when_locked(jobs: list[_Job]) -> None:
    """``_write``, tried again from scratch when SQLite says the database is locked.

    A transaction that read before it writes cannot take SQLite's write lock once another process has
    committed in between, and SQLite then fails at once instead of waiting. The transaction rolled
    back, so trying the whole batch again is safe: its claims decide anew.
    """
    from sqlalchemy.exc import OperationalError

    for attempt in range(1, LOCKED_RETRIES + 1):
        for job in jobs:
            job.recorded, job.error = 0, None
            if job.pending is not None:
                job.pending.held = 0
        try:
            _write(jobs)
            return
        except OperationalError as err:
            if attempt == LOCKED_RETRIES or not _is_locked(err):
                raise
            log.info("The metadata DB was locked while recording %d webhook(s); trying again", len(jobs))
            time.sleep(0.05 * attempt)


def _write(jobs: list[_Job]) -> None:
    from airflow.utils.session import create_session

    from airflow_provider_twilio.webhooks.holding import declared, hold
    from airflow_provider_twilio.webhooks.queueing import cover

    if any(job.pending is not None for job in jobs):
        declared.get()  # read before this transaction starts (see its docstring)
    with create_session() as session:
        touched: set[int] = set()
        for job in jobs:
            if job.first_split is not None:
                try:
                    with session.begin_nested():  # a re-cut's marks are undone; the batch goes on
                        job.first_split.mark(session)
                except Exception as err:  # ReCut: this delivery records and holds nothing
                    if _is_locked(err):
                        raise
                    job.error = err
                    continue
            try:
                registered = watchers.get(job.classpath, session)
                found = [
                    (watcher, event) for watcher in registered
                    if (event := job.event_for(watcher.kwargs)) is not None
                ]  # fmt: skip
            except Exception as err:  # this webhook's matching failed; the others go on
                if _is_locked(err):
                    raise
                job.error = err
                continue
            for watcher, (key, payload) in found:
                for asset_id, name, uri in watcher.assets:
                    if claim_and_record(session, (asset_id, name, uri), key, payload):
                        touched.add(asset_id)
                        job.recorded += 1
            if job.pending is not None:
                try:
                    with session.begin_nested():
                        job.pending.held = hold(session, job.pending.webhook, registered)
                except Exception as err:  # not kept: the receiver must not answer 2xx (HoldingFull: 503)
                    if _is_locked(err):
                        raise
                    job.error = err
        cover(session, touched)
    _prune_now_and_then()


def claim_and_record(session: Any, asset: tuple[int, str, str], key: str, payload: dict[str, Any]) -> bool:
    """Record the event on the asset unless its claim exists; True if it was recorded now."""
    asset_id, name, uri = asset
    if not _claim(session, asset_id, key):
        return False
    _record(session, name, uri, payload)
    return True


_writer = _GroupWriter()


def record_events(classpath: str, event_for: EventFor, *, first_split: SplitMark | None = None) -> int:
    """Record the events of every watcher of ``classpath`` that ``event_for`` accepts; how many were new.

    Returns once they are committed (with any other webhooks waiting at the same time). A webhook
    that the receiver set in ``holding.current`` is also held for watchers not registered yet. With
    ``first_split``, its mark is written first in the same transaction; if the message was split
    otherwise before, ``ReCut`` is raised and nothing of this webhook is kept.
    """
    from airflow_provider_twilio.webhooks.holding import current

    job = _Job(classpath, event_for, pending=current.get(), first_split=first_split)
    _writer.submit(job)
    return job.recorded


def _claim(session: Any, asset_id: int, key: str) -> bool:
    """Insert the claim unless it exists, in one statement; True if this call inserted it."""
    from airflow.models.asset_state_store import AssetStateStoreModel

    now = datetime.now(timezone.utc)
    values = {"asset_id": asset_id, "key": key, "value": now.isoformat(), "updated_at": now}
    return insert_once(session, AssetStateStoreModel, values)


def is_claimed(session: Any, asset_id: int, key: str) -> bool:
    """Whether the claim exists, by a read only (a claim is never taken back, so a True stays true)."""
    from airflow.models.asset_state_store import AssetStateStoreModel
    from sqlalchemy import select

    found = session.scalar(
        select(AssetStateStoreModel.key).where(
            AssetStateStoreModel.asset_id == asset_id, AssetStateStoreModel.key == key
        )
    )
    return found is not None


def _record(session: Any, name: str, uri: str, payload: dict[str, Any]) -> None:
    from airflow.assets.manager import AssetManager
    from airflow.serialization.definitions.assets import SerializedAssetUniqueKey

    AssetManager.register_asset_change(
        asset=SerializedAssetUniqueKey(name=name, uri=uri),
        extra={"from_trigger": True, "payload": payload},
        session=session,
    )


def _prune_now_and_then() -> None:
    global _pruned_at
    with _prune_lock:
        if time.monotonic() - _pruned_at < PRUNE_EVERY and _pruned_at:
            return
        _pruned_at = time.monotonic()
    from airflow.models.asset_state_store import AssetStateStoreModel
    from airflow.utils.session import create_session
    from sqlalchemy import delete

    cutoff = datetime.now(timezone.utc) - CLAIM_RETENTION
    try:
        with create_session() as session:
            session.execute(
                delete(AssetStateStoreModel)
                .where(AssetStateStoreModel.key.like(f"twilio%{CLAIM_MARK}%"))
                .where(AssetStateStoreModel.updated_at < cutoff)
            )
    except Exception:  # pruning is housekeeping: a failure must not refuse a webhook
        log.exception("Deleting old webhook claims failed; will try again in an hour")
