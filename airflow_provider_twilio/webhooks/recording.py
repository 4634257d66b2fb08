"""Turning a verified webhook into asset events, at most once per watcher, asset and message.

Runs in the api-server (Airflow 3.3+). The watchers are the event triggers that Airflow keeps in its
``trigger`` table for every ``AssetWatcher``: each one that watches this connection by webhook and
accepts the message gets, on every asset it watches, the asset event its trigger would have yielded
(``extra={"from_trigger": True, "payload": ...}``, as ``Trigger.submit_event`` records it).

Each event is claimed first by a row in Airflow's asset state store, keyed by the watcher and the
message (and status): the primary key makes a second claim fail, so a webhook that Twilio sends
again, even concurrently, records nothing. Claim and event commit in one transaction.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from datetime import datetime, timedelta, timezone
from typing import Any

log = logging.getLogger(__name__)

CLAIM_MARK = ":webhook:"
CLAIM_RETENTION = timedelta(days=7)
"""Twilio retries within minutes; claims older than this are deleted (at most once an hour)."""
PRUNE_EVERY = 3600.0

EventFor = Callable[[dict[str, Any]], "tuple[str, dict[str, Any]] | None"]
"""Given a watcher trigger's kwargs: its claim key and event payload for this webhook, or None."""

_pruned_at = 0.0
_prune_lock = threading.Lock()


def record_events(classpath: str, event_for: EventFor) -> int:
    """Record the events of every watcher of ``classpath`` that ``event_for`` accepts; how many were new."""
    from airflow.models.asset import AssetWatcherModel
    from airflow.models.trigger import Trigger
    from airflow.utils.session import create_session
    from sqlalchemy import select
    from sqlalchemy.orm import selectinload

    recorded = 0
    with create_session() as session:
        triggers = session.scalars(
            select(Trigger)
            .where(Trigger.classpath == classpath)
            .options(selectinload(Trigger.asset_watchers).selectinload(AssetWatcherModel.asset))
        ).all()
        for trigger in triggers:
            found = event_for(trigger.kwargs)
            if found is None:
                continue
            key, payload = found
            for asset in trigger.assets:
                if _claim(session, asset.id, key):
                    _record(session, asset, payload)
                    recorded += 1
    _prune_now_and_then()
    return recorded


def _claim(session: Any, asset_id: int, key: str) -> bool:
    from airflow.models.asset_state_store import AssetStateStoreModel
    from sqlalchemy.exc import IntegrityError

    try:
        with session.begin_nested():
            session.add(AssetStateStoreModel(asset_id=asset_id, key=key, value=datetime.now(timezone.utc).isoformat()))
    except IntegrityError:
        return False
    return True


def _record(session: Any, asset: Any, payload: dict[str, Any]) -> None:
    from airflow.assets.manager import AssetManager

    AssetManager.register_asset_change(
        asset=asset.to_serialized(), extra={"from_trigger": True, "payload": payload}, session=session
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
