"""Apply answers held because they came before their task was parked (``parking.py``).

``apply_held`` reads the held messages of waiting task instances and records each one whose task is now
parked, exactly once: the first process to claim ``twilio_hitl_applied_<sid>`` applies it, in the same
transaction. A poller may call it on its own schedule. In the api-server, ``ensure_applying`` runs it
every ``APPLY_EVERY`` seconds in a daemon thread per worker, only while there is something held: the
thread starts when the receiver starts (for answers held before a restart) and whenever a text is
held, and ends after a round that finds nothing held (or after ``MAX_FAILED_ROUNDS`` failing rounds
in a row; the next text starts it again). A held answer whose task stopped waiting before it was
parked is never applied.
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
from airflow_provider_twilio.answers.pending import (
    REQUEST_KEYS,
    PendingRequest,
    request_from_row,
    ti_key,
    waiting_states,
)
from airflow_provider_twilio.answers.replying import send_reply
from airflow_provider_twilio.answers.resolve import apply, in_transaction

log = logging.getLogger(__name__)

APPLY_EVERY = 1.0
MAX_FAILED_ROUNDS = 60
APPLIED_PREFIX = "twilio_hitl_applied_"

_lock = threading.Lock()
_running: tuple[int, threading.Thread] | None = None
_kicked = False
"""Set by every ``ensure_applying``: the thread does not end in the round it was asked to run."""


def apply_held() -> list[Outcome]:
    """Record every held answer whose task is parked now; send each its confirmation (or "Already answered")."""
    return _apply(_held())


def ensure_applying() -> None:
    """Apply held answers in this process until none is left (a forked worker starts its own thread)."""
    global _running, _kicked
    with _lock:
        _kicked = True
        if _running is not None and _running[0] == os.getpid() and _running[1].is_alive():
            return
        thread = threading.Thread(target=_loop, name="twilio-hitl-held-answers", daemon=True)
        thread.start()
        _running = (os.getpid(), thread)


def _apply(held: list[tuple[str, PendingRequest, dict[str, Any]]]) -> list[Outcome]:
    outcomes = []
    for sid, request, note in held:

        def work(session: Any, sid: str = sid, request: PendingRequest = request, note: dict[str, Any] = note) -> Any:
            return _apply_one(session, sid, request, note)

        outcome: Outcome | None = in_transaction(work)
        if outcome is None:
            continue
        outcomes.append(outcome)
        if outcome.reply:
            send_reply(request.conn_id, to=note["from"], from_=request.sender, body=outcome.reply)
    return outcomes


def _loop() -> None:
    global _running, _kicked
    failed = 0
    while True:
        time.sleep(APPLY_EVERY)
        with _lock:
            _kicked = False
        try:
            held = _held()
            left = len(held) - len(_apply(held))
            failed = 0
        except Exception:
            failed += 1
            left = 1
            if failed == 1:
                log.exception("Applying held HITL answers failed; trying again every %.0f s", APPLY_EVERY)
        with _lock:
            if (left == 0 or failed >= MAX_FAILED_ROUNDS) and not _kicked:
                _running = None
                return


def _apply_one(session: Any, sid: str, request: PendingRequest, note: dict[str, Any]) -> Outcome | None:
    ti = _ti_if_parked(session, request)
    if ti is None or not records.claim(session, ti, APPLIED_PREFIX + sid, True):
        return None
    phone = note["from"]
    user = request.user_for(phone) or ""
    return apply(session, ti, request, note["chosen"], phone, sid, note["via"], user, reply=True)


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
            request_xcom.key.in_(REQUEST_KEYS),
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
