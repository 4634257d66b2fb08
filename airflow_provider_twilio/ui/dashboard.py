"""The last 24 hours across the deployment, over the DAGs the reader may read.

Counts come from the send and call operators' results and the matched replies recorded in that
time (at most ``MAX_ROWS`` XComs, newest first), with statuses from one list request per connection
and kind, shared with the run tabs through the same cache.
"""

from __future__ import annotations

from collections import Counter
from datetime import datetime, timedelta, timezone
from typing import Any

from airflow_provider_twilio.ui.lists import ListCache
from airflow_provider_twilio.ui.paths import tab_href
from airflow_provider_twilio.ui.records import DEFAULT_CONN_ID

WINDOW = timedelta(hours=24)
MAX_ROWS = 5_000
TOP_DAGS = 5
FAILED = {"failed", "undelivered", "canceled"}


def summary(lists: ListCache, user: Any) -> dict[str, Any]:
    from airflow.models.xcom import XComModel
    from airflow.utils.session import create_session
    from sqlalchemy import select

    from airflow_provider_twilio.exceptions import error_type_for
    from airflow_provider_twilio.ui import access, records, timeline

    dag_ids = access.readable_dag_ids(user)
    since = datetime.now(timezone.utc) - WINDOW
    with create_session() as session:
        rows = list(
            session.scalars(
                select(XComModel)
                .where(XComModel.key == "return_value", XComModel.timestamp >= since, XComModel.dag_id.in_(dag_ids))
                .order_by(XComModel.timestamp.desc())
                .limit(MAX_ROWS)
            )
        )
        values = [(r.dag_id, r.run_id, r.task_id, r.map_index, XComModel.deserialize_value(r)) for r in rows]
        conn_ids = {
            (dag_id, run_id, task_id, index): conn
            for dag_id, run_id in {(v[0], v[1]) for v in values}
            for (task_id, index), conn in records.rendered_conn_ids(
                session, dag_id, run_id, {(v[2], v[3]) for v in values if v[:2] == (dag_id, run_id)}
            ).items()
        }
    counts: Counter[str] = Counter()
    failures_by_name: Counter[str] = Counter()
    failures_by_run: Counter[tuple[str, str]] = Counter()
    for dag_id, run_id, task_id, index, value in values:
        conn_id = conn_ids.get((dag_id, run_id, task_id, index), DEFAULT_CONN_ID)
        sends = timeline.sends(value)
        if sends:
            log = lists.get("messages", conn_id).records
        for result in sends:
            live = log.get(result.get("sid") or "", {})
            status = live.get("status") or result.get("status")
            counts["sent"] += 1
            if status == "delivered":
                counts["delivered"] += 1
            elif status in FAILED:
                counts["failed"] += 1
                code = live.get("error_code") or result.get("error_code")
                name = error_type_for(int(code)).value if code else (result.get("error_type") or "UNKNOWN_ERROR")
                failures_by_name[name] += 1
                failures_by_run[(dag_id, run_id)] += 1
        calls = timeline.calls(value)
        counts["calls"] += len(calls)
        failed_calls = sum(1 for call in calls if call.get("status") in {"failed", "busy", "no-answer"})
        if failed_calls:
            failures_by_run[(dag_id, run_id)] += failed_calls
        if timeline.matched_reply(value) is not None:
            counts["replies"] += 1
    return {
        "since": since.isoformat(),
        "sent": counts["sent"],
        "delivered": counts["delivered"],
        "failed": counts["failed"],
        "failed_by_error": dict(failures_by_name.most_common()),
        "replies": counts["replies"],
        "calls": counts["calls"],
        "most_failures": [
            {"dag_id": dag_id, "run_id": run_id, "failures": n, "href": tab_href(dag_id, run_id)}
            for (dag_id, run_id), n in failures_by_run.most_common(TOP_DAGS)
        ],
        "truncated": len(values) >= MAX_ROWS,
    }
