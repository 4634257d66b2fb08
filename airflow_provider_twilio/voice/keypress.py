"""Acknowledging a call by a keypress: the ``<Gather>`` a call runs, where its key goes, and what is answered.

The call's TwiML speaks the text inside ``<Gather numDigits="1">`` whose ``action`` is the provider's
webhook receiver on Airflow 3's api-server: ``{webhook_base_url}/twilio/{conn_id}/gather`` with the
calling task instance, its try, the expected key and a MAC over all of them in the query (see
``voice/action_mac.py``): only this Airflow deployment can write such a URL, whoever signs for Twilio.
Right after each call is placed, the task records its CallSid as an XCom (``twilio_call_<CallSid>``);
the receiver records a key only for such a call, while that try of the task runs, as an XCom of the
task instance (``twilio_keypress_<CallSid>``), which the running task reads back through the Task SDK.

Stdlib only: the operator imports this at execute time, the receiver per request.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlencode

from airflow_provider_twilio import twiml
from airflow_provider_twilio.voice.action_mac import ENV_VAR, LABEL, SETTING, ActionClaim, deployment_key, sign
from airflow_provider_twilio.webhook_paths import gather_url

KEYS = "0123456789*#"
"""The keys of a phone's keypad."""
XCOM_KEY_PREFIX = "twilio_keypress_"
PLACED_XCOM_KEY_PREFIX = "twilio_call_"
GATHER_TIMEOUT = 5
"""Seconds Twilio waits for the key after the text (Twilio's own default)."""
QUERY_FIELDS = ("dag_id", "run_id", "task_id", "map_index", "try", "key", "mac")
SPOKEN_KEYS = {"*": "star", "#": "pound"}

ACKNOWLEDGED = "Acknowledged. Thank you. Goodbye."
NO_KEY = "No key was pressed. This alert is not acknowledged. Goodbye."
UNRECORDED = "Your key could not be recorded. This alert is not acknowledged. Goodbye."


def xcom_key(call_sid: str) -> str:
    return XCOM_KEY_PREFIX + call_sid


def placed_xcom_key(call_sid: str) -> str:
    """The XCom that says this task instance placed the call (the receiver records keys for no other call)."""
    return PLACED_XCOM_KEY_PREFIX + call_sid


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


def claim(conn_id: str, ti: TaskInstanceId, try_number: int, key: str) -> ActionClaim:
    return ActionClaim(conn_id, ti.dag_id, ti.run_id, ti.task_id, ti.map_index, try_number, key)


def action_url(
    base_url: str,
    conn_id: str,
    ti: TaskInstanceId,
    key: str,
    *,
    try_number: int,
    mac_key: bytes,
    route: str = "gather",
    key_name: str = "key",
) -> str:
    """The receiver's URL for this try of the task instance and key(s), MAC'd, query percent-encoded.

    ``route`` and ``key_name`` are ``gather``/``key`` for an acknowledgement, ``choice``/``keys`` for a choice.
    """
    mac = sign(mac_key, claim(conn_id, ti, try_number, key))
    query = urlencode(
        {
            "dag_id": ti.dag_id,
            "run_id": ti.run_id,
            "task_id": ti.task_id,
            "map_index": str(ti.map_index),
            "try": str(try_number),
            key_name: key,
            "mac": mac,
        }
    )
    return gather_url(base_url, conn_id, query, route)


def call_twiml(say_verb: str, prompt_verb: str, action: str) -> str:
    """The text and the prompt inside a one-key ``<Gather>``; unanswered, both once more, then the call ends."""
    ask = twiml.gather(say_verb + prompt_verb, action=action, num_digits=1, timeout=GATHER_TIMEOUT)
    return twiml.response(ask, ask, twiml.say(NO_KEY), "<Hangup/>")


def prompt(key: str) -> str:
    return f"Press {spoken(key)} to acknowledge."


def answer_twiml(digits: str | None, expected: str, recorded: bool) -> str:
    """What the receiver answers after a keypress: a confirmation, or why it is not acknowledged; then hang up."""
    if not recorded:
        return UNRECORDED_TWIML
    if digits == expected:
        text = ACKNOWLEDGED
    else:
        pressed = f"You pressed {spoken(digits)}" if digits else "No key was pressed"
        text = f"{pressed}, not {spoken(expected)}. This alert is not acknowledged. Goodbye."
    return twiml.response(twiml.say(text), "<Hangup/>")


UNRECORDED_TWIML = twiml.response(twiml.say(UNRECORDED), "<Hangup/>")
"""The one answer to every refused keypress, whatever the reason: it tells nothing about what exists."""


def accepted(pressed: str | None, keys: str) -> bool:
    """Whether ``pressed`` is exactly one of ``keys`` (one key to acknowledge, or one per option to choose)."""
    return pressed is not None and len(pressed) == 1 and pressed in keys


def needed(keys: str) -> str:
    """The keys that count, in words: ``1``, or ``1 or 2``."""
    return " or ".join(keys)


@dataclass(frozen=True)
class KeypressCheck:
    """How the escalation decides a call was acknowledged when a key is required.

    ``key`` is the key that acknowledges, or, for a call that asks to choose, every key that chooses
    something (``"12"``): pressing any one of them acknowledges.
    """

    key: str
    read: Callable[[str], Any]
    """The recorded keypress (a dict) for a call SID, or None."""
    note_placed: Callable[[str, str], None] = lambda call_sid, to: None
    """Records that this task placed the call (SID, number), before its ``<Gather>`` can post a key."""

    def pressed(self, call_sid: str) -> str | None:
        """The key recorded for the call ("" when the person let the prompt time out), or None."""
        record = self.read(call_sid)
        if not isinstance(record, Mapping):
            return None
        digits = record.get("digits")
        return digits if isinstance(digits, str) else None

    def accepts(self, pressed: str | None) -> bool:
        return accepted(pressed, self.key)

    def acknowledged(self, call_sid: str) -> bool:
        return self.accepts(self.pressed(call_sid))


def xcom_reader(ti: Any) -> Callable[[str], Any]:
    """Reads a call's keypress from the running task instance's own XComs (Task SDK, no DB access).

    A call nobody pressed a key on has no such XCom: it is read as a list of matches (empty here), not
    pulled by key, so no lookup of a missing XCom is logged as an error.
    """
    own = TaskInstanceId.of(ti)

    def read(call_sid: str) -> Any:
        return _own_xcom(ti, own, xcom_key(call_sid))

    return read


def _own_xcom(ti: Any, own: TaskInstanceId, key: str) -> Any:
    get_all = _xcom_get_all()
    if get_all is None:  # no Task SDK (Airflow 2): a missing XCom is quietly None there
        return ti.xcom_pull(task_ids=own.task_id, key=key, map_indexes=own.map_index)
    values = get_all(key=key, dag_id=own.dag_id, task_id=own.task_id, run_id=own.run_id) or []
    return values[0] if values else None  # the key names one call, so only this task instance has it


def _xcom_get_all() -> Callable[..., Any] | None:
    try:
        from airflow.sdk.execution_time.xcom import XCom
    except ImportError:
        return None
    get_all = getattr(XCom, "get_all", None)
    return get_all if callable(get_all) else None


def placed_writer(ti: Any) -> Callable[[str, str], None]:
    """Records, as an XCom of the running task instance, each call it placed."""

    def note(call_sid: str, to: str) -> None:
        ti.xcom_push(key=placed_xcom_key(call_sid), value={"call_sid": call_sid, "to": to})

    return note


def task_keypress(base_url: str, conn_id: str, ti: Any, key: str) -> tuple[KeypressCheck, str]:
    """The gather action URL for this try of the running task instance, and how the task reads keys back."""
    why = "require_keypress: "
    return task_action(base_url, conn_id, ti, key, label=LABEL, route="gather", key_name="key", why=why)


def task_action(
    base_url: str, conn_id: str, ti: Any, keys: str, *, label: bytes, route: str, key_name: str, why: str = ""
) -> tuple[KeypressCheck, str]:
    """The signed action URL (``route``, MAC under ``label``) for this try of the running task instance, and how
    the task reads the key back: shared by acknowledging calls and calls that ask to choose.

    Refused, before anything is called, when the deployment has no shared secret to MAC the URL with.
    """
    from airflow_provider_twilio.exceptions import TwilioInputError

    mac_key = deployment_key(label)
    if mac_key is None:
        raise TwilioInputError(
            f"{why}Airflow's {SETTING} ({ENV_VAR}) is not set; the URL a call posts its key to is signed with a key "
            "derived from it, so the api-server can tell this task's calls from anyone else's. Set it to the same "
            "random value on the api-server and every worker (Airflow needs that for fetching task logs, too)"
        )
    try_number = int(getattr(ti, "try_number", None) or 1)
    own = TaskInstanceId.of(ti)
    action = action_url(
        base_url, conn_id, own, keys, try_number=try_number, mac_key=mac_key, route=route, key_name=key_name
    )
    return KeypressCheck(keys, xcom_reader(ti), placed_writer(ti)), action
