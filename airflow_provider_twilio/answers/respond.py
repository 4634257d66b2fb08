"""Write a response to Airflow's ``hitl_detail`` row the way Airflow's REST API does, and resume the task.

Mirrors ``update_hitl_detail`` (``PATCH .../taskInstances/{task_id}/{map_index}/hitlDetails``): the task
instance row is locked first, then the HITL row; a request already answered is refused; the options
must be the request's and one only unless ``multiple``; ``responded_by`` is the Airflow user. The write
itself is conditional (``WHERE responded_at IS NULL``), so of two answers racing on any database,
including SQLite, which has no row locks, exactly one is recorded. On Airflow 3.3+ a task parked in
``awaiting_input`` is then resumed with ``handle_event_submit``, as the REST API does; on 3.1/3.2
Airflow's own ``HITLTrigger`` sees the response and resumes the deferred task.

That the answer came by SMS or call is recorded where Airflow keeps who did what: a row in the audit
log (event ``update_hitl_detail``, owner the Airflow user, ``extra`` naming ``via`` and the message or
call), as the REST API's own call leaves one, plus the ``twilio_hitl_answer`` XCom (``records.py``).
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Any

from airflow_provider_twilio.answers.pending import PendingRequest, ti_key

AUDIT_EVENT = "update_hitl_detail"


@dataclass(frozen=True)
class Written:
    recorded: bool
    """True if this call's answer is the response; False if there was one already, or no such request."""
    responded_by: dict[str, Any] | None = None
    """The response's user (``{"id", "name"}``), this one's or the earlier one's."""
    resumed: bool = False


class InvalidResponse(ValueError):
    """The options are not the request's, or several for a single-choice request (the REST API's 400)."""


def write_response(
    session: Any, request: PendingRequest, chosen: Sequence[str], *, user_id: str, via: str, source_id: str
) -> Written:
    """Record ``chosen`` as ``user_id``'s response unless the request has one; resume a parked task."""
    from airflow.models.hitl import HITLDetail
    from airflow.models.taskinstance import TaskInstance as TI
    from sqlalchemy import select, update

    key = ti_key(request.ti_id)
    ti = session.get(TI, key, with_for_update={"of": TI})
    hitl = (
        session.scalar(select(HITLDetail).where(HITLDetail.ti_id == key).with_for_update(of=HITLDetail))
        if ti is not None
        else None
    )
    if hitl is None:
        return Written(False)
    if hitl.responded_at is not None:
        return Written(False, hitl.responded_by)
    _check(hitl, chosen)
    responded_by = {"id": user_id, "name": request.display_name(user_id)}
    result = session.execute(
        update(HITLDetail)
        .where(HITLDetail.ti_id == key, HITLDetail.responded_at.is_(None))
        .values(
            responded_by=responded_by,
            responded_at=datetime.now(timezone.utc),
            chosen_options=list(chosen),
            params_input={},
        )
        .execution_options(synchronize_session=False)
    )
    if result.rowcount != 1:
        session.expire(hitl)
        return Written(False, session.get(HITLDetail, key).responded_by)
    session.refresh(hitl)
    _audit(session, ti, user_id, via, source_id, chosen)
    return Written(True, responded_by, resumed=_resume(session, ti, hitl))


def _check(hitl: Any, chosen: Sequence[str]) -> None:
    invalid = set(chosen) - set(hitl.options or [])
    if invalid or not chosen:
        raise InvalidResponse(f"Invalid options {sorted(invalid)}; allowed options are {sorted(hitl.options or [])}")
    if not hitl.multiple and len(chosen) > 1:
        raise InvalidResponse("Multiple options chosen but this request accepts only one")


def _resume(session: Any, ti: Any, hitl: Any) -> bool:
    """On 3.3+, resume a task parked in awaiting_input (or deferred) as the REST API does."""
    from airflow.utils.state import TaskInstanceState

    awaiting = getattr(TaskInstanceState, "AWAITING_INPUT", None)
    if awaiting is None or ti.state not in (awaiting, TaskInstanceState.DEFERRED):
        return False
    from airflow.models.trigger import handle_event_submit
    from airflow.triggers.base import TriggerEvent

    handle_event_submit(TriggerEvent(hitl.as_resume_event_payload()), task_instance=ti, session=session)
    return True


def _audit(session: Any, ti: Any, user_id: str, via: str, source_id: str, chosen: Sequence[str]) -> None:
    from airflow.models.log import Log

    extra = {"via": via, "sid": source_id, "chosen_options": list(chosen)}
    session.add(Log(event=AUDIT_EVENT, task_instance=ti, owner=user_id, extra=json.dumps(extra)))
