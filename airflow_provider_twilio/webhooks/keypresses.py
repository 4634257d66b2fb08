"""Recording a call's ``<Gather>`` keypress as an XCom of the task instance that placed the call.

Runs in the api-server, after Twilio's signature for the connection was checked. A keypress is
recorded only when all of these hold (see ``voice/keypress.py``):

- the URL's MAC, made with this deployment's secret, covers the connection, the task instance, its
  try and the expected key: a URL nobody in this deployment wrote is refused before any lookup;
- that task instance exists, is running, and is in that try;
- it recorded placing this CallSid (its XCom ``twilio_call_<CallSid>``). The task records a call as
  soon as Twilio's create returns, and a person can press a key only after answering, so the record
  is normally there first; a keypress that still arrives first waits up to ``PLACED_WAIT`` seconds.

Everything else is refused with nothing written. The XCom ``twilio_keypress_<CallSid>`` is written
with Airflow's XCom model, its value plain JSON as Airflow's REST API writes XComs, so the running task
reads it through the Task SDK and the UI shows it on the task's XCom tab. Each CallSid is recorded at
most once: the insert is one statement that does nothing when the row exists (the XCom table's primary
key), so a retried or concurrent copy of the request records nothing.
"""

from __future__ import annotations

import logging
import re
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime, timezone
from enum import Enum
from typing import Any

from airflow_provider_twilio.sids import CALL_SID
from airflow_provider_twilio.voice.action_mac import deployment_key, verify
from airflow_provider_twilio.voice.keypress import KEYS, TaskInstanceId, claim, placed_xcom_key, xcom_key

log = logging.getLogger(__name__)

MAX_DIGITS = 32
MAX_ID = 250
"""Airflow's own limit for dag, run and task ids."""
WHOLE_NUMBER = re.compile(r"-?[0-9]{1,9}")
PLACED_WAIT = 5.0
"""Seconds a keypress on a genuine URL waits for its task to record the call (Twilio waits 15 s for us)."""
PLACED_POLL = 0.2
RUNNING = "running"


class BadGather(ValueError):
    """The signed URL or form does not name a task instance, a key and a call."""


class Outcome(Enum):
    RECORDED = "recorded"
    ALREADY_RECORDED = "already recorded"
    REFUSED = "refused"


@dataclass(frozen=True)
class Keypress:
    ti: TaskInstanceId
    expected: str
    call_sid: str
    digits: str
    try_number: int | None = None
    """The try the URL names; None when it names none (or not a number): refused."""
    mac: str = ""

    @property
    def matched(self) -> bool:
        return self.digits == self.expected

    def mac_key(self) -> bytes | None:
        """The deployment's key for this kind of action URL (None when ``[api] secret_key`` is unset)."""
        return deployment_key()

    def record(self) -> dict[str, Any]:
        """The XCom value: what was pressed on which call, and whether it was the key asked for."""
        return {
            "call_sid": self.call_sid,
            "digits": self.digits,
            "expected": self.expected,
            "matched": self.matched,
            "received_at": datetime.now(timezone.utc).isoformat(),
        }


def parse(query: Mapping[str, str], form: Any) -> Keypress:
    """The keypress a verified gather request reports; ``BadGather`` names what is missing.

    Only the request's own shape is judged here; whether it is genuine is ``record_keypress``'s job.
    """
    missing = [name for name in ("dag_id", "run_id", "task_id", "key") if not query.get(name)]
    if missing:
        raise BadGather(f"query lacks {', '.join(missing)}")
    if any(len(query[name]) > MAX_ID for name in ("dag_id", "run_id", "task_id")):
        raise BadGather(f"an id is longer than {MAX_ID} characters")
    map_index = query.get("map_index") or "-1"
    if not WHOLE_NUMBER.fullmatch(map_index):
        raise BadGather("map_index is not a whole number")
    expected = query["key"]
    if len(expected) != 1 or expected not in KEYS:
        raise BadGather("key is not one keypad key")
    call_sid = form.get("CallSid") or ""
    if not CALL_SID.fullmatch(call_sid):
        raise BadGather("CallSid missing or malformed")
    digits = form.get("Digits") or ""
    if len(digits) > MAX_DIGITS or any(c not in KEYS for c in digits):
        raise BadGather("Digits are not keypad keys")
    try_text = query.get("try") or ""
    ti = TaskInstanceId(query["dag_id"], query["run_id"], query["task_id"], int(map_index))
    return Keypress(
        ti=ti,
        expected=expected,
        call_sid=call_sid,
        digits=digits,
        try_number=int(try_text) if WHOLE_NUMBER.fullmatch(try_text) else None,
        mac=query.get("mac") or "",
    )


def genuine_url(keypress: Keypress, conn_id: str) -> bool:
    """Whether this deployment wrote the URL for this connection, task instance, try and key."""
    key = keypress.mac_key()
    if key is None or keypress.try_number is None or not keypress.mac:
        return False
    return verify(key, claim(conn_id, keypress.ti, keypress.try_number, keypress.expected), keypress.mac)


def record_keypress(
    keypress: Keypress, conn_id: str, *, sleep: Callable[[float], None] = time.sleep
) -> tuple[Outcome, str]:
    """Write the keypress XCom if the call is the named task's own and that try runs; the outcome and why."""
    if not genuine_url(keypress, conn_id):
        return Outcome.REFUSED, "the URL's MAC does not match (not written by this deployment for that task)"
    deadline = time.monotonic() + PLACED_WAIT
    while True:
        outcome, why = _record_once(keypress)
        if outcome is not None:
            return outcome, why
        if time.monotonic() >= deadline:
            return Outcome.REFUSED, "the task instance did not record placing this call"
        sleep(PLACED_POLL)


def _record_once(keypress: Keypress) -> tuple[Outcome | None, str]:
    """One look: an outcome, or None while the running task has not (yet) recorded placing the call."""
    from airflow.models.dagrun import DagRun
    from airflow.models.taskinstance import TaskInstance
    from airflow.models.xcom import XComModel
    from airflow.utils.session import create_session
    from sqlalchemy import and_, select

    from airflow_provider_twilio.webhooks.inserts import insert_once

    ti = keypress.ti
    with create_session() as session:
        row = session.execute(
            select(TaskInstance.state, TaskInstance.try_number, DagRun.id)
            .join(DagRun, and_(TaskInstance.dag_id == DagRun.dag_id, TaskInstance.run_id == DagRun.run_id))
            .where(
                TaskInstance.dag_id == ti.dag_id,
                TaskInstance.run_id == ti.run_id,
                TaskInstance.task_id == ti.task_id,
                TaskInstance.map_index == ti.map_index,
            )
        ).first()
        if row is None:
            return Outcome.REFUSED, "no such task instance"
        state, try_number, dag_run_id = row
        if str(getattr(state, "value", state)) != RUNNING:
            return Outcome.REFUSED, f"the task instance is {state}, not running"
        if try_number != keypress.try_number:
            return Outcome.REFUSED, f"the task instance is in try {try_number}, the URL names try {keypress.try_number}"
        placed = session.scalar(
            select(XComModel.key).where(
                XComModel.dag_run_id == dag_run_id,
                XComModel.task_id == ti.task_id,
                XComModel.map_index == ti.map_index,
                XComModel.key == placed_xcom_key(keypress.call_sid),
            )
        )
        if placed is None:
            return None, "not placed (yet)"
        inserted = insert_once(
            session,
            XComModel,
            {
                "dag_run_id": dag_run_id,
                "task_id": ti.task_id,
                "map_index": ti.map_index,
                "key": xcom_key(keypress.call_sid),
                "dag_id": ti.dag_id,
                "run_id": ti.run_id,
                "value": keypress.record(),  # JSON types only: stored as the REST API stores XComs
            },
        )
    return (Outcome.RECORDED, "") if inserted else (Outcome.ALREADY_RECORDED, "")
