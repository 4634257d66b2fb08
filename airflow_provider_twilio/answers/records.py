"""The XComs that keep a HITL request's phone side in Airflow's own ``xcom`` table, claimed exactly once.

An XCom's key is part of the table's primary key (DAG run, task, map index, key), so inserting one
that exists fails with an integrity error in whichever process comes second. ``answers/resolve.py``
runs each message in one transaction and retries it from the start on that error, and the retry
finds the claim. Keys (all on the HITL task instance):

- ``twilio_hitl_request_<channel>``: the request a notifier registered (``pending.py``);
- ``twilio_hitl_message_<sid>``: an inbound message or call keypress, with what became of it;
- ``twilio_hitl_help_<phone>``: the one help text a phone gets for a request;
- ``twilio_hitl_refusal``: the one refusal text a request causes;
- ``twilio_hitl_late_<phone>``: the one "Already answered" a phone gets for texting after the response;
- ``twilio_hitl_answer``: how the winning answer came (``via``: sms or call, the message, the user).

Airflow keeps a task's XComs while it is parked and resumed, and clears them when a new try starts,
together with the request they belong to.
"""

from __future__ import annotations

from typing import Any

REQUEST_PREFIX = "twilio_hitl_request_"
MESSAGE_PREFIX = "twilio_hitl_message_"
HELP_PREFIX = "twilio_hitl_help_"
LATE_PREFIX = "twilio_hitl_late_"
REFUSAL_KEY = "twilio_hitl_refusal"
ANSWER_KEY = "twilio_hitl_answer"
MAX_ID_CHARS = 64
"""Message and call SIDs are 34 characters; a longer one is cut, never stored whole."""

HELD, DONE = "held", "done"


def message_key(sid: str) -> str:
    return MESSAGE_PREFIX + sid[:MAX_ID_CHARS]


def help_key(phone: str) -> str:
    return HELP_PREFIX + phone[:MAX_ID_CHARS]


def late_key(phone: str) -> str:
    return LATE_PREFIX + phone[:MAX_ID_CHARS]


def read(session: Any, ti: Any, key: str) -> Any | None:
    """The value of ``key`` on task instance ``ti``, or None."""
    from airflow.models.xcom import XComModel
    from sqlalchemy import select

    row = session.scalar(
        select(XComModel).where(
            XComModel.dag_id == ti.dag_id,
            XComModel.run_id == ti.run_id,
            XComModel.task_id == ti.task_id,
            XComModel.map_index == ti.map_index,
            XComModel.key == key,
        )
    )
    return None if row is None else XComModel.deserialize_value(row)


def claim(session: Any, ti: Any, key: str, value: Any) -> bool:
    """Add ``key`` unless it is there; False if it is. A concurrent claim fails the transaction at flush."""
    if read(session, ti, key) is not None:
        return False
    from airflow.models.xcom import XComModel

    session.add(
        XComModel(
            dag_run_id=_dag_run_id(session, ti),
            task_id=ti.task_id,
            map_index=ti.map_index,
            key=key,
            dag_id=ti.dag_id,
            run_id=ti.run_id,
            value=XComModel.serialize_value(value),
        )
    )
    session.flush()
    return True


def replace(session: Any, ti: Any, key: str, value: Any) -> None:
    """Overwrite the value of a claimed key (the claim itself stays)."""
    from airflow.models.xcom import XComModel
    from sqlalchemy import update

    session.execute(
        update(XComModel)
        .where(
            XComModel.dag_id == ti.dag_id,
            XComModel.run_id == ti.run_id,
            XComModel.task_id == ti.task_id,
            XComModel.map_index == ti.map_index,
            XComModel.key == key,
        )
        .values(value=XComModel.serialize_value(value))
    )


def _dag_run_id(session: Any, ti: Any) -> int:
    from airflow.models.dagrun import DagRun
    from sqlalchemy import select

    return int(session.scalar(select(DagRun.id).where(DagRun.dag_id == ti.dag_id, DagRun.run_id == ti.run_id)))
