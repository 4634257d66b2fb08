"""Apply answers held because they came before their task was parked (``parking.py``).

``apply_held`` reads the held messages of waiting task instances and records each one whose task is now
parked, exactly once: the first process to claim ``twilio_hitl_applied_<sid>`` applies it, in the same
transaction. The api-server runs it every ``APPLY_EVERY`` seconds in a daemon thread per worker
(``ensure_applying``), started with the webhook receiver; a poller may call it on its own schedule.
A held answer whose task stopped waiting before it was parked is never applied.
"""

from __future__ import annotations

import logging
import os
import threading
import time
from typing import Any

from airflow_provider_twilio.answers import records
from airflow_provider_twilio.answers.outcome import Outcome
from airflow_provider_twilio.answers.parking import is_parked
from airflow_provider_twilio.answers.pending import PendingRequest, request_from_row, ti_key, waiting_states
from airflow_provider_twilio.answers.replying import send_reply
from airflow_provider_twilio.answers.resolve import apply, in_transaction

log = logging.getLogger(__name__)

APPLY_EVERY = 1.0
ERROR_LOG_EVERY = 300.0
APPLIED_PREFIX = "twilio_hitl_applied_"

_lock = threading.Lock()
_running: tuple[int, threading.Thread] | None = None


def apply_held() -> list[Outcome]:
    """Record every held answer whose task is parked now; send each its confirmation (or "Already answered")."""
    outcomes = []
    for sid, request, note in _held():

        def work(session: Any, sid: str = sid, request: PendingRequest = request, note: dict[str, Any] = note) -> Any:
            return _apply_one(session, sid, request, note)

        outcome: Outcome | None = in_transaction(work)
        if outcome is None:
            continue
        outcomes.append(outcome)
        if outcome.reply:
            send_reply(request.conn_id, to=note["from"], from_=request.sender, body=outcome.reply)
    return outcomes


def ensure_applying() -> None:
    """Start the applying thread in this process unless it runs (a forked worker starts its own)."""
    global _running
    with _lock:
        if _running is not None and _running[0] == os.getpid() and _running[1].is_alive():
            return
        thread = threading.Thread(target=_loop, name="twilio-hitl-held-answers", daemon=True)
        thread.start()
        _running = (os.getpid(), thread)


def _loop() -> None:
    logged_at = 0.0
    while True:
        time.sleep(APPLY_EVERY)
        try:
            apply_held()
        except Exception:
            if time.monotonic() - logged_at > ERROR_LOG_EVERY:
                logged_at = time.monotonic()
                log.exception("Applying held HITL answers failed; trying again every %.0f s", APPLY_EVERY)


def _apply_one(session: Any, sid: str, request: PendingRequest, note: dict[str, Any]) -> Outcome | None:
    ti = _ti_if_parked(session, request)
    if ti is None or not records.claim(session, ti, APPLIED_PREFIX + sid, True):
        return None
    phone = note["from"]
    user = request.user_for(phone) or ""
    reply = note.get("via") != "call"
    return apply(session, ti, request, note["chosen"], phone, sid, note["via"], user, reply=reply)


def _ti_if_parked(session: Any, request: PendingRequest) -> Any | None:

    from airflow.models.taskinstance import TaskInstance as TI

    ti = session.get(TI, ti_key(request.ti_id))
    return ti if ti is not None and is_parked(ti) else None


def _held() -> list[tuple[str, PendingRequest, dict[str, Any]]]:
    """(message sid, its request, its note) for every held message of a task instance still waiting."""
    from airflow.models.hitl import HITLDetail
    from airflow.models.taskinstance import TaskInstance as TI
    from airflow.models.xcom import XComModel
    from airflow.utils.session import create_session
    from sqlalchemy import select
    from sqlalchemy.orm import aliased

    request_xcom = aliased(XComModel)

    def same_ti(xcom: Any) -> Any:
        return (
            (TI.dag_id == xcom.dag_id)
            & (TI.run_id == xcom.run_id)
            & (TI.task_id == xcom.task_id)
            & (TI.map_index == xcom.map_index)
        )

    query = (
        select(XComModel, request_xcom, TI, HITLDetail)
        .join(TI, same_ti(XComModel))
        .join(request_xcom, same_ti(request_xcom))
        .join(HITLDetail, HITLDetail.ti_id == TI.id)
        .where(
            XComModel.key.like(records.MESSAGE_PREFIX + "%"),
            request_xcom.key.like(records.REQUEST_PREFIX + "%"),
            TI.state.in_(waiting_states()),
        )
    )
    found: dict[str, tuple[str, PendingRequest, dict[str, Any]]] = {}
    with create_session() as session:
        for message, request_row, ti, hitl in session.execute(query).all():
            note = XComModel.deserialize_value(message)
            if isinstance(note, dict) and note.get("state") == records.HELD:
                sid = message.key[len(records.MESSAGE_PREFIX) :]
                found[sid] = (sid, request_from_row(request_row, ti, hitl), note)
    return list(found.values())
