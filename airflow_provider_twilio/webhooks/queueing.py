"""Making sure every asset event of this provider's watchers gets a DAG run, not only the first of a burst.

Airflow 3.3 queues a DAG run with one ``asset_dag_run_queue`` row per (asset, DAG) whose ``created_at``
is set when the row is first inserted; a later event finds the row and leaves it as it is
(``AssetManager._queue_dagruns``). The scheduler then creates the run with ``run_after`` =
``created_at`` and consumes only the events stored up to that moment
(``SchedulerJobRunner._create_dag_runs_asset_triggered``: ``AssetEvent.timestamp <= triggered_date``),
and deletes the row. An event stored after the row was created but before the scheduler's loop (the
second of two texts 74 ms apart, or every event but the first that the triggerer stores in one
transaction) is consumed by no run and queues none: it waits until the next event of the asset.

Two remedies, both here:

- ``cover``: after the receiver records events, the queue rows of their assets are moved forward to
  the commit's moment, so a run created from them consumes every event of that transaction.
- ``requeue_waiting``: every ``REQUEUE_AFTER`` at most, an event of a watched asset that is older
  than that, newer than the DAG's last asset-triggered run, consumed by no run of the DAG and covered
  by no queue row gets a queue row dated now. This also covers events that polling watchers yield in
  the triggerer (which has no database access), and the race where the scheduler read a row just
  before ``cover`` moved it.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime, timedelta, timezone
from typing import Any

REQUEUE_AFTER = timedelta(seconds=5)
"""An event consumed by no run this long after it was stored is queued again."""
LOOKBACK = timedelta(minutes=15)
"""Only events this recent are looked at: older ones were stored while their DAG was paused or before it existed."""


def cover(session: Any, asset_ids: Iterable[int]) -> None:
    """Date the queue rows of these assets to now, so that a run made from them consumes every event so far."""
    from airflow.models.asset import AssetDagRunQueue
    from sqlalchemy import update

    ids = sorted(set(asset_ids))
    if not ids:
        return
    now = datetime.now(timezone.utc)
    session.execute(
        update(AssetDagRunQueue)
        .where(AssetDagRunQueue.asset_id.in_(ids), AssetDagRunQueue.created_at < now)
        .values(created_at=now)
        .execution_options(synchronize_session=False)
    )


def requeue_waiting(session: Any, asset_ids: Iterable[int]) -> int:
    """Queue a run for each (asset, unpaused DAG) with an event that no run consumed; how many were queued."""
    from airflow.models.asset import AssetDagRunQueue, AssetEvent, DagScheduleAssetReference
    from airflow.models.dag import DagModel
    from airflow.models.dagrun import DagRun
    from airflow.utils.types import DagRunType
    from sqlalchemy import and_, func, select, update

    from airflow_provider_twilio.webhooks.inserts import insert_once

    ids = sorted(set(asset_ids))
    if not ids:
        return 0
    now = datetime.now(timezone.utc)
    consumers = session.execute(
        select(
            DagScheduleAssetReference.asset_id, DagScheduleAssetReference.dag_id, DagScheduleAssetReference.created_at
        )
        .join(DagModel, DagModel.dag_id == DagScheduleAssetReference.dag_id)
        .where(
            DagScheduleAssetReference.asset_id.in_(ids),
            DagModel.is_paused.is_(False),
            DagModel.is_stale.is_(False),
        )
    ).all()
    queued = 0
    for asset_id, dag_id, scheduled_since in consumers:
        last_run_after = session.scalar(
            select(func.max(DagRun.run_after)).where(
                DagRun.dag_id == dag_id, DagRun.run_type == DagRunType.ASSET_TRIGGERED
            )
        )
        floor = max(filter(None, [last_run_after, scheduled_since, now - LOOKBACK]))
        # The queue row first: a run the scheduler commits in between has then consumed the event (so
        # it is not queued again for an empty run), or had not deleted the row yet (which covers it).
        row = and_(AssetDagRunQueue.asset_id == asset_id, AssetDagRunQueue.target_dag_id == dag_id)
        queued_at = session.scalar(select(AssetDagRunQueue.created_at).where(row))
        consumed_by_dag = (
            select(DagRun.id)
            .join(_dagrun_asset_event(), _dagrun_asset_event().c.dag_run_id == DagRun.id)
            .where(DagRun.dag_id == dag_id, _dagrun_asset_event().c.event_id == AssetEvent.id)
            .exists()
        )
        newest_waiting = session.scalar(
            select(func.max(AssetEvent.timestamp)).where(
                AssetEvent.asset_id == asset_id,
                AssetEvent.timestamp > floor,
                AssetEvent.timestamp <= now - REQUEUE_AFTER,
                ~consumed_by_dag,
            )
        )
        if newest_waiting is None or (queued_at is not None and queued_at >= newest_waiting):
            continue  # nothing waits, or the queued run consumes it when the scheduler makes it
        if queued_at is None:
            insert_once(session, AssetDagRunQueue, {"asset_id": asset_id, "target_dag_id": dag_id, "created_at": now})
        else:
            session.execute(update(AssetDagRunQueue).where(row).values(created_at=now))
        queued += 1
    return queued


def _dagrun_asset_event() -> Any:
    from airflow.models.asset import association_table

    return association_table
