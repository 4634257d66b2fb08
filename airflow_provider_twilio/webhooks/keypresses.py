"""Recording a call's ``<Gather>`` keypress as an XCom of the task instance that placed the call.

Runs in the api-server. The signed action URL names the task instance and the expected key (see
``voice/keypress.py``). The XCom ``twilio_keypress_<CallSid>`` is written with Airflow's XCom model,
its value plain JSON as Airflow's REST API writes XComs, so the running task reads it through the
Task SDK and the UI shows it on the task's XCom tab. Each CallSid is recorded at most once: the
insert is one statement that does nothing when the row exists (the XCom table's primary key), so a
retried or concurrent copy of the request records nothing.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Any

from airflow_provider_twilio.voice.keypress import KEYS, TaskInstanceId, xcom_key

log = logging.getLogger(__name__)

MAX_DIGITS = 32
MAX_SID = 64


class BadGather(ValueError):
    """The signed URL or form does not name a task instance, a key and a call."""


@dataclass(frozen=True)
class Keypress:
    ti: TaskInstanceId
    expected: str
    call_sid: str
    digits: str

    @property
    def matched(self) -> bool:
        return self.digits == self.expected

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
    """The keypress a verified gather request reports; ``BadGather`` names what is missing."""
    missing = [name for name in ("dag_id", "run_id", "task_id", "key") if not query.get(name)]
    if missing:
        raise BadGather(f"query lacks {', '.join(missing)}")
    map_index = query.get("map_index") or "-1"
    if not re.fullmatch(r"-?[0-9]{1,9}", map_index):
        raise BadGather("map_index is not a whole number")
    expected = query["key"]
    if len(expected) != 1 or expected not in KEYS:
        raise BadGather("key is not one keypad key")
    call_sid = form.get("CallSid") or ""
    if not call_sid or len(call_sid) > MAX_SID or not call_sid.isalnum():
        raise BadGather("CallSid missing or malformed")
    digits = form.get("Digits") or ""
    if len(digits) > MAX_DIGITS or any(c not in KEYS for c in digits):
        raise BadGather("Digits are not keypad keys")
    ti = TaskInstanceId(query["dag_id"], query["run_id"], query["task_id"], int(map_index))
    return Keypress(ti=ti, expected=expected, call_sid=call_sid, digits=digits)


def record_keypress(keypress: Keypress) -> bool | None:
    """Write the keypress XCom unless this call already has one: True if written, False if it existed,
    None if the task instance does not exist (nothing written)."""
    from airflow.models.dagrun import DagRun
    from airflow.models.taskinstance import TaskInstance
    from airflow.models.xcom import XComModel
    from airflow.utils.session import create_session
    from sqlalchemy import and_, select

    from airflow_provider_twilio.webhooks.recording import insert_once

    ti = keypress.ti
    key = xcom_key(keypress.call_sid)
    with create_session() as session:
        dag_run_id = session.scalar(
            select(DagRun.id)
            .join(TaskInstance, and_(TaskInstance.dag_id == DagRun.dag_id, TaskInstance.run_id == DagRun.run_id))
            .where(
                TaskInstance.dag_id == ti.dag_id,
                TaskInstance.run_id == ti.run_id,
                TaskInstance.task_id == ti.task_id,
                TaskInstance.map_index == ti.map_index,
            )
        )
        if dag_run_id is None:
            log.warning("Keypress for %s: no such task instance %s; nothing recorded", keypress.call_sid, ti)
            return None
        return insert_once(
            session,
            XComModel,
            {
                "dag_run_id": dag_run_id,
                "task_id": ti.task_id,
                "map_index": ti.map_index,
                "key": key,
                "dag_id": ti.dag_id,
                "run_id": ti.run_id,
                "value": keypress.record(),  # JSON types only: stored as the REST API stores XComs
            },
        )
