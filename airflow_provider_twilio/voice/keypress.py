"""Acknowledging a call by a keypress: the ``<Gather>`` a call runs, where its key goes, and what is answered.

The call's TwiML speaks the text inside ``<Gather numDigits="1">`` whose ``action`` is the provider's
webhook receiver on Airflow 3's api-server: ``{webhook_base_url}/twilio/{conn_id}/gather`` with the
calling task instance and the expected key in the query. Twilio signs that full URL, so nobody can
record a keypress for another task or key. The receiver records the key as an XCom of that task
instance (``twilio_keypress_<CallSid>``), which the running task reads back through the Task SDK.

Stdlib only: the operator imports this at execute time, the receiver per request.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote, urlencode

from airflow_provider_twilio.voice import twiml

KEYS = "0123456789*#"
"""The keys of a phone's keypad."""
XCOM_KEY_PREFIX = "twilio_keypress_"
GATHER_TIMEOUT = 5
"""Seconds Twilio waits for the key after the text (Twilio's own default)."""
QUERY_FIELDS = ("dag_id", "run_id", "task_id", "map_index", "key")
SPOKEN_KEYS = {"*": "star", "#": "pound"}

ACKNOWLEDGED = "Acknowledged. Thank you. Goodbye."
NO_KEY = "No key was pressed. This alert is not acknowledged. Goodbye."
UNRECORDED = "Your key could not be recorded. This alert is not acknowledged. Goodbye."


def xcom_key(call_sid: str) -> str:
    return XCOM_KEY_PREFIX + call_sid


def spoken(key: str) -> str:
    return SPOKEN_KEYS.get(key, key)


@dataclass(frozen=True)
class TaskInstanceId:
    """Which task instance placed the call: where its keypresses are recorded."""

    dag_id: str
    run_id: str
    task_id: str
    map_index: int = -1

    @classmethod
    def of(cls, ti: Any) -> TaskInstanceId:
        map_index = getattr(ti, "map_index", None)
        return cls(ti.dag_id, ti.run_id, ti.task_id, -1 if map_index is None else int(map_index))


def action_url(base_url: str, conn_id: str, ti: TaskInstanceId, key: str) -> str:
    """The receiver's gather URL for this task instance and key, query percent-encoded."""
    from airflow_provider_twilio.webhooks.plugin import URL_PREFIX

    query = urlencode(
        {"dag_id": ti.dag_id, "run_id": ti.run_id, "task_id": ti.task_id, "map_index": str(ti.map_index), "key": key}
    )
    return f"{base_url.rstrip('/')}{URL_PREFIX}/{quote(conn_id, safe='')}/gather?{query}"


def call_twiml(say_verb: str, prompt_verb: str, action: str) -> str:
    """The text and the prompt inside a one-key ``<Gather>``; unanswered, both once more, then the call ends."""
    ask = twiml.gather(say_verb + prompt_verb, action=action, num_digits=1, timeout=GATHER_TIMEOUT)
    return twiml.response(ask, ask, twiml.say(NO_KEY), "<Hangup/>")


def prompt(key: str) -> str:
    return f"Press {spoken(key)} to acknowledge."


def answer_twiml(digits: str | None, expected: str, recorded: bool) -> str:
    """What the receiver answers after a keypress: a confirmation, or why it is not acknowledged; then hang up."""
    if not recorded:
        text = UNRECORDED
    elif digits == expected:
        text = ACKNOWLEDGED
    else:
        pressed = f"You pressed {spoken(digits)}" if digits else "No key was pressed"
        text = f"{pressed}, not {spoken(expected)}. This alert is not acknowledged. Goodbye."
    return twiml.response(twiml.say(text), "<Hangup/>")


@dataclass(frozen=True)
class KeypressCheck:
    """How the escalation decides a call was acknowledged when a key is required."""

    key: str
    read: Callable[[str], Any]
    """The recorded keypress (a dict) for a call SID, or None."""

    def acknowledged(self, call_sid: str) -> bool:
        record = self.read(call_sid)
        return isinstance(record, Mapping) and record.get("digits") == self.key


def xcom_reader(ti: Any) -> Callable[[str], Any]:
    """Reads a call's keypress from the running task instance's own XComs (Task SDK, no DB access)."""
    own = TaskInstanceId.of(ti)

    def read(call_sid: str) -> Any:
        return ti.xcom_pull(task_ids=own.task_id, key=xcom_key(call_sid), map_indexes=own.map_index)

    return read
