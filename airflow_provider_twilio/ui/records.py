"""What a run's tasks recorded about people, read from Airflow's ``xcom`` table in one bounded query.

Only the provider's own keys are read: ``return_value`` (the send and call operators' result lists,
the inbound sensor's matched reply), ``twilio_keypress_<CallSid>``, and the human-in-the-loop keys
of ``answers/records.py``. Each task's connection comes from its rendered fields (``twilio_conn_id``)
or, for a HITL notifier, from the request it registered.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from airflow_provider_twilio.answers.records import ANSWER_KEY, MESSAGE_PREFIX, REQUEST_PREFIX

KEYPRESS_PREFIX = "twilio_keypress_"
DEFAULT_CONN_ID = "twilio_default"
MAX_ROWS = 2_000
"""XCom rows read per request: a run with more Twilio XComs shows the first ones (the API says so)."""


@dataclass(frozen=True)
class Recorded:
    """One XCom of a task instance of the run."""

    task_id: str
    map_index: int
    key: str
    value: Any
    timestamp: datetime | None


@dataclass(frozen=True)
class RunRecords:
    rows: list[Recorded]
    conn_ids: dict[tuple[str, int], str]
    """(task_id, map_index) -> the Twilio connection the task used."""
    truncated: bool

    def conn_id_for(self, task_id: str, map_index: int) -> str:
        return self.conn_ids.get((task_id, map_index), DEFAULT_CONN_ID)


def _is_ours(key: str) -> bool:
    return key == "return_value" or key.startswith((KEYPRESS_PREFIX, MESSAGE_PREFIX, REQUEST_PREFIX, ANSWER_KEY))


def read_run(
    session: Any, dag_id: str, run_id: str, task_id: str | None = None, map_index: int | None = None
) -> RunRecords:
    """The run's Twilio XComs (or one task instance's), oldest first, and each task's connection."""
    from airflow.models.xcom import XComModel
    from sqlalchemy import or_, select

    query = select(XComModel).where(
        XComModel.dag_id == dag_id,
        XComModel.run_id == run_id,
        or_(
            XComModel.key == "return_value",
            XComModel.key == ANSWER_KEY,
            XComModel.key.startswith(KEYPRESS_PREFIX),
            XComModel.key.startswith(MESSAGE_PREFIX),
            XComModel.key.startswith(REQUEST_PREFIX),
        ),
    )
    if task_id is not None:
        query = query.where(XComModel.task_id == task_id)
    if map_index is not None:
        query = query.where(XComModel.map_index == map_index)
    query = query.order_by(XComModel.timestamp).limit(MAX_ROWS + 1)
    found = list(session.scalars(query))
    rows = [
        Recorded(row.task_id, row.map_index, row.key, XComModel.deserialize_value(row), row.timestamp)
        for row in found[:MAX_ROWS]
        if _is_ours(row.key)
    ]
    conn_ids = rendered_conn_ids(session, dag_id, run_id, {(r.task_id, r.map_index) for r in rows})
    for row in rows:
        if row.key.startswith(REQUEST_PREFIX) and isinstance(row.value, dict) and row.value.get("conn_id"):
            conn_ids[(row.task_id, row.map_index)] = str(row.value["conn_id"])
    return RunRecords(rows, conn_ids, truncated=len(found) > MAX_ROWS)


def rendered_conn_ids(
    session: Any, dag_id: str, run_id: str, tasks: set[tuple[str, int]]
) -> dict[tuple[str, int], str]:
    if not tasks:
        return {}
    from airflow.models.renderedtifields import RenderedTaskInstanceFields as RTIF
    from sqlalchemy import select

    query = select(RTIF.task_id, RTIF.map_index, RTIF.rendered_fields).where(
        RTIF.dag_id == dag_id, RTIF.run_id == run_id, RTIF.task_id.in_({task for task, _ in tasks})
    )
    conn_ids = {}
    for task, index, fields in session.execute(query):
        conn_id = (fields or {}).get("twilio_conn_id") if isinstance(fields, dict) else None
        if isinstance(conn_id, str) and conn_id:
            conn_ids[(task, index)] = conn_id
    return conn_ids
