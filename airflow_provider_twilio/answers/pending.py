"""Which phones may answer which HITL requests: registered by a notifier, read by the resolver and the poller.

A notifier runs inside the HITL task's ``execute()`` (after Airflow wrote the request, before the task
is parked) and calls ``register_request``, which pushes one XCom on that task instance, key
``twilio_hitl_request_<channel>``, value ``{"conn_id", "channel", "respondents": {phone: user id},
"sender", "reference"}``. A request is *pending* while its ``hitl_detail`` row has no response and its
task instance is running, parked (``awaiting_input`` on 3.3, ``deferred`` on 3.1/3.2), or about to be.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from typing import Any

from airflow_provider_twilio.answers.records import REQUEST_PREFIX
from airflow_provider_twilio.hitl.references import reference_for

CHANNELS = ("sms", "call")
REQUEST_KEYS = tuple(REQUEST_PREFIX + channel for channel in CHANNELS)
"""Looked up by equality, so Airflow's index on the XCom key finds them however many XComs there are."""


@dataclass(frozen=True)
class PendingRequest:
    """One HITL request a phone may answer, as registered by a notifier and read from Airflow's tables."""

    ti_id: str
    dag_id: str
    run_id: str
    task_id: str
    map_index: int
    conn_id: str
    channel: str
    reference: str
    respondents: Mapping[str, str]
    """Phone (E.164) -> the Airflow user id it answers as."""
    sender: str | None = None
    """The number the request was sent from (replies come to it), if the notifier knew it."""
    subject: str = ""
    options: Sequence[str] = ()
    multiple: bool = False
    assigned_user_ids: frozenset[str] = field(default_factory=frozenset)
    """Airflow users the request is assigned to; empty means anyone may answer."""
    assigned_names: Mapping[str, str] = field(default_factory=dict)

    def user_for(self, phone: str) -> str | None:
        return self.respondents.get(phone)

    def may_answer(self, phone: str) -> bool:
        """A phone in ``respondents`` whose user is among the assigned users, when there are any."""
        user = self.user_for(phone)
        return user is not None and (not self.assigned_user_ids or user in self.assigned_user_ids)

    def display_name(self, user_id: str) -> str:
        return self.assigned_names.get(user_id, user_id)


def register_request(
    context: Mapping[str, Any],
    *,
    conn_id: str,
    respondents: Mapping[str, str],
    channel: str,
    sender: str | None = None,
) -> PendingRequest:
    """Record, on the running HITL task instance, who may answer its request and how; call before sending."""
    if channel not in CHANNELS:
        raise ValueError(f"channel must be one of {', '.join(CHANNELS)}, got {channel!r}")
    ti = context["ti"]
    ti_id = str(ti.id)
    value = {
        "conn_id": conn_id,
        "channel": channel,
        "respondents": dict(respondents),
        "sender": sender,
        "reference": reference_for(ti_id),
    }
    ti.xcom_push(key=REQUEST_PREFIX + channel, value=value)
    return _request(
        ti_id, ti.dag_id, ti.run_id, ti.task_id, getattr(ti, "map_index", -1), value, hitl=_task_hitl(context)
    )


def numbers_with_pending_requests(session: Any = None) -> dict[str, set[str]]:
    """conn_id -> the respondents' phones (E.164) of every pending request, whatever its channel."""
    numbers: dict[str, set[str]] = {}
    for request in _pending(session):
        numbers.setdefault(request.conn_id, set()).update(request.respondents)
    return numbers


def pending_requests_for(conn_id: str, phone: str, session: Any = None) -> list[PendingRequest]:
    """The pending requests on ``conn_id`` that ``phone`` is a respondent of, oldest first."""
    return [r for r in _pending(session, conn_id=conn_id) if phone in r.respondents]


def pending_requests_from(conn_id: str, sender: str, session: Any = None) -> list[PendingRequest]:
    """The pending requests on ``conn_id`` sent from ``sender``, oldest first (whoever may answer them)."""
    return [r for r in _pending(session, conn_id=conn_id) if r.sender in (None, sender)]


ANSWERED_WITHIN = 24 * 3600.0
"""How long after a response a respondent's text still counts as a late reply to it ("Already answered")."""


def answered_requests_for(conn_id: str, phone: str, session: Any, *, limit: int = 20) -> list[PendingRequest]:
    """Requests ``phone`` could have answered that got a response in the last day, newest first."""
    rows = _rows(session, answered=True, limit=limit)
    found = [request_from_row(*row) for row in rows]
    return [r for r in found if r.conn_id == conn_id and phone in r.respondents]


def any_request_open(session: Any) -> bool:
    """Whether any HITL request waits for a response or got one within ``ANSWERED_WITHIN``.

    One probe of Airflow's small ``hitl_detail`` table: most inbound texts reach a deployment
    with nothing to answer, and they are then decided without the join over XComs and task instances.
    """
    from airflow.models.hitl import HITLDetail
    from sqlalchemy import or_, select

    since = datetime.now(timezone.utc) - timedelta(seconds=ANSWERED_WITHIN)
    open_or_recent = or_(HITLDetail.responded_at.is_(None), HITLDetail.responded_at > since)
    return session.execute(select(HITLDetail.ti_id).where(open_or_recent).limit(1)).first() is not None


def parked_states() -> tuple[str, ...]:
    """The states of a task that waits for its answer: awaiting_input on 3.3+, deferred before."""
    from airflow.utils.state import TaskInstanceState

    awaiting = getattr(TaskInstanceState, "AWAITING_INPUT", None)
    return (awaiting.value,) if awaiting is not None else (TaskInstanceState.DEFERRED.value,)


def waiting_states() -> tuple[str, ...]:
    from airflow.utils.state import TaskInstanceState

    return (
        TaskInstanceState.RUNNING.value,
        TaskInstanceState.DEFERRED.value,
        *parked_states(),
    )


def _pending(session: Any, *, conn_id: str | None = None) -> list[PendingRequest]:
    if session is None:
        from airflow.utils.session import create_session

        with create_session() as own:
            return _pending(own, conn_id=conn_id)
    requests = [request_from_row(*row) for row in _rows(session, answered=False)]
    return [r for r in requests if conn_id is None or r.conn_id == conn_id]


def _rows(session: Any, *, answered: bool, limit: int | None = None) -> list[tuple[Any, Any, Any]]:
    from airflow.models.hitl import HITLDetail
    from airflow.models.taskinstance import TaskInstance as TI
    from airflow.models.xcom import XComModel
    from sqlalchemy import select

    query = (
        select(XComModel, TI, HITLDetail)
        .join(
            TI,
            (TI.dag_id == XComModel.dag_id)
            & (TI.run_id == XComModel.run_id)
            & (TI.task_id == XComModel.task_id)
            & (TI.map_index == XComModel.map_index),
        )
        .join(HITLDetail, HITLDetail.ti_id == TI.id)
        .where(XComModel.key.in_(REQUEST_KEYS))
    )
    if answered:
        since = datetime.now(timezone.utc) - timedelta(seconds=ANSWERED_WITHIN)
        query = query.where(HITLDetail.responded_at > since).order_by(HITLDetail.responded_at.desc())
    else:
        query = query.where(HITLDetail.responded_at.is_(None), TI.state.in_(waiting_states()))
        query = query.order_by(HITLDetail.created_at)
    if limit is not None:
        query = query.limit(limit)
    return [tuple(row) for row in session.execute(query).all()]


def request_from_row(xcom: Any, ti: Any, hitl: Any) -> PendingRequest:
    from airflow.models.xcom import XComModel

    value = XComModel.deserialize_value(xcom)
    return _request(str(ti.id), ti.dag_id, ti.run_id, ti.task_id, ti.map_index, value, hitl=hitl)


def _request(
    ti_id: str, dag_id: str, run_id: str, task_id: str, map_index: int, value: Mapping[str, Any], *, hitl: Any
) -> PendingRequest:
    assigned = list(getattr(hitl, "assigned_users", None) or [])
    return PendingRequest(
        ti_id=ti_id,
        dag_id=dag_id,
        run_id=run_id,
        task_id=task_id,
        map_index=map_index,
        conn_id=value["conn_id"],
        channel=value["channel"],
        reference=value["reference"],
        respondents=dict(value["respondents"]),
        sender=value.get("sender"),
        subject=getattr(hitl, "subject", "") or "",
        options=tuple(getattr(hitl, "options", None) or ()),
        multiple=bool(getattr(hitl, "multiple", False)),
        assigned_user_ids=frozenset(str(user["id"]) for user in assigned),
        assigned_names={str(user["id"]): str(user.get("name") or user["id"]) for user in assigned},
    )


class _TaskRequest:
    """The request as the HITL operator in the context holds it (the notifier runs before any DB read)."""

    def __init__(self, task: Any) -> None:
        self.subject = getattr(task, "subject", "")
        self.options = getattr(task, "options", ())
        self.multiple = getattr(task, "multiple", False)
        self.assigned_users = getattr(task, "assigned_users", None) or []


def _task_hitl(context: Mapping[str, Any]) -> _TaskRequest:
    return _TaskRequest(context.get("task"))


def ti_key(ti_id: str) -> Any:
    """A task instance id as this Airflow stores it: a UUID from 3.2, a string in 3.1."""
    from uuid import UUID

    from airflow.models.taskinstance import TaskInstance as TI

    try:
        stored_as = TI.id.type.python_type
    except NotImplementedError:
        stored_as = str
    return UUID(str(ti_id)) if stored_as is UUID else str(ti_id)
