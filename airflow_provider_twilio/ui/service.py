"""A run's timeline for one reader: records, live logs and masking put together."""

from __future__ import annotations

from functools import partial
from typing import Any

from airflow_provider_twilio.ui.lists import ListCache
from airflow_provider_twilio.ui.masking import shown


def run_timeline(
    lists: ListCache, user: Any, dag_id: str, run_id: str, task_id: str | None, map_index: int | None
) -> dict[str, Any] | None:
    """None when the run does not exist."""
    from airflow.models.dagrun import DagRun
    from airflow.utils.session import create_session
    from sqlalchemy import select

    from airflow_provider_twilio.ui import access, records, timeline

    with create_session() as session:
        if session.scalar(select(DagRun.id).where(DagRun.dag_id == dag_id, DagRun.run_id == run_id)) is None:
            return None
        recorded = records.read_run(session, dag_id, run_id, task_id, map_index)
    full = access.may_see_numbers(user, set(recorded.conn_ids.values()))
    events, errors = timeline.build(recorded, lists.get, partial(shown, full=full), run_wide=task_id is None)
    return {
        "dag_id": dag_id,
        "run_id": run_id,
        "task_id": task_id,
        "map_index": map_index,
        "numbers": "full" if full else "masked",
        "events": events,
        "list_errors": errors,
        "truncated": recorded.truncated,
    }
