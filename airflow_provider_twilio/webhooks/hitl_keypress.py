"""A key pressed on a human-in-the-loop call: recorded like any keypress, then answered through Airflow.

``TwilioHITLCallNotifier`` places its calls from inside the HITL task's ``execute()``, before the task
is parked, and follows each call to its end, so a key arrives while that try of the task is running,
as for ``require_keypress``. The same checks hold (``keypresses.py``): the URL's MAC (made under the
choice label of ``voice/action_mac.py``, so an acknowledgement URL is no good here) covers the
connection, the task instance, its try and the keys that choose an option; the task instance runs in
that try; and it recorded placing this CallSid. Then the key is recorded once per CallSid as the
``twilio_keypress_<CallSid>`` XCom (the calling task reads it to stop calling the next person), and a
key that names an option answers the request as the Airflow user the called number maps to
(``answers.resolve.answer_by_key``: held until the task is parked, applied once). The called number is
the one the task recorded for the call, never a field of the request.

Every refusal gets the same spoken answer, whatever the reason.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from airflow_provider_twilio.voice.action_mac import CHOICE_LABEL, deployment_key
from airflow_provider_twilio.voice.choice import (
    MAX_KEYED_OPTIONS,
    NOT_RECORDED,
    NOT_RECORDED_TWIML,
    answer_twiml,
    spoken,
)
from airflow_provider_twilio.voice.keypress import accepted, placed_xcom_key
from airflow_provider_twilio.webhooks.keypresses import BadGather, Keypress, Outcome, parse, record_keypress

OPTION_KEYS = "123456789"


@dataclass(frozen=True)
class Choice(Keypress):
    """A keypress whose ``expected`` holds every key that chooses an option ("12" for two options)."""

    @property
    def matched(self) -> bool:
        return accepted(self.digits, self.expected)

    def mac_key(self) -> bytes | None:
        return deployment_key(CHOICE_LABEL)


def parse_choice(query: Mapping[str, str], form: Any) -> Choice:
    """The choice a verified request reports; ``BadGather`` names what is wrong with its shape."""
    keys = query.get("keys") or ""
    if not 1 <= len(keys) <= MAX_KEYED_OPTIONS or keys != OPTION_KEYS[: len(keys)]:
        raise BadGather("keys are not the keys of numbered options")
    keypress = parse({**query, "key": keys[0]}, form)
    return Choice(**{**keypress.__dict__, "expected": keys})


def answer_choice(conn_id: str, query: Mapping[str, str], form: Any) -> tuple[str, str]:
    """What to log and the TwiML to answer; ``BadGather`` for a request that names no task, keys or call."""
    choice = parse_choice(query, form)
    outcome, why = record_keypress(choice, conn_id)
    pressed = f"{choice.call_sid} pressed {choice.digits or 'nothing'} (options {choice.expected})"
    if outcome is Outcome.REFUSED:
        return f"{pressed}: nothing recorded, {why}", NOT_RECORDED_TWIML
    if not choice.matched:
        said = f"You pressed {choice.digits}" if choice.digits else "No key was pressed"
        return f"{pressed}: not an option", answer_twiml(
            f"{said}, which is not an option. Nothing was recorded. Goodbye."
        )
    request, phone = _request_of(conn_id, choice)
    if request is None or phone is None:
        return f"{pressed}: the request is not pending", NOT_RECORDED_TWIML
    from airflow_provider_twilio.answers.resolve import answer_by_key

    result = answer_by_key(request, from_number=phone, digit=choice.digits, call_sid=choice.call_sid)
    return f"{pressed}: {result.result.value}", answer_twiml(_spoken_outcome(result))


def _spoken_outcome(outcome: Any) -> str:
    from airflow_provider_twilio.answers.outcome import Result

    result = outcome.result
    subject = spoken(outcome.request.subject) if outcome.request is not None else ""
    if result in (Result.ANSWERED, Result.HELD):
        return f"Recorded: {', '.join(outcome.chosen)}" + (f", for {subject}" if subject else "") + ". Goodbye."
    if result is Result.ALREADY_ANSWERED:
        return f"Already answered by {outcome.answered_by or 'someone else'}. Nothing was recorded. Goodbye."
    if result is Result.DUPLICATE:
        return "Your key was already received. Goodbye."
    return NOT_RECORDED


def _request_of(conn_id: str, choice: Choice) -> tuple[Any, str | None]:
    """The pending call request of the task instance, and the number its task recorded calling."""
    from airflow_provider_twilio.answers.pending import pending_requests_for

    phone = _called_number(choice)
    if phone is None:
        return None, None
    ti = choice.ti
    for request in pending_requests_for(conn_id, phone):
        same = (request.dag_id, request.run_id, request.task_id, request.map_index)
        if same == (ti.dag_id, ti.run_id, ti.task_id, ti.map_index) and request.channel == "call":
            return request, phone
    return None, phone


def _called_number(choice: Choice) -> str | None:
    """The ``to`` the task recorded with the call (its ``twilio_call_<CallSid>`` XCom)."""
    from airflow.models.dagrun import DagRun
    from airflow.models.xcom import XComModel
    from airflow.utils.session import create_session
    from sqlalchemy import select

    ti = choice.ti
    with create_session() as session:
        row = session.scalar(
            select(XComModel)
            .join(DagRun, DagRun.id == XComModel.dag_run_id)
            .where(
                DagRun.dag_id == ti.dag_id,
                DagRun.run_id == ti.run_id,
                XComModel.task_id == ti.task_id,
                XComModel.map_index == ti.map_index,
                XComModel.key == placed_xcom_key(choice.call_sid),
            )
        )
        value = XComModel.deserialize_value(row) if row is not None else None
    to = value.get("to") if isinstance(value, Mapping) else None
    return to if isinstance(to, str) else None
