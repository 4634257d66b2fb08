"""A call that asks its listener to choose one of numbered options by a key: "press 1 for Approve, 2 for Reject".

The call's TwiML speaks the question and the options inside ``<Gather numDigits="1">`` whose ``action``
is the webhook receiver's choice route, ``{webhook_base_url}/twilio/{conn_id}/choice``, with the calling
task instance, its try, the keys that choose something and a MAC over all of them (``voice/action_mac.py``,
under a label of its own: a keypress-acknowledgement URL's MAC is never good here, nor the reverse).
As with ``voice/keypress.py``, the task records each call it placed as an XCom before a key can
arrive, and the receiver records a key only for such a call while that try of the task runs.

Option ``n`` is key ``n``: at most nine options can be chosen on a call. Stdlib only.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from airflow_provider_twilio import twiml
from airflow_provider_twilio.voice.action_mac import CHOICE_LABEL
from airflow_provider_twilio.voice.keypress import GATHER_TIMEOUT, KeypressCheck, TaskInstanceId, task_action
from airflow_provider_twilio.voice.keypress import action_url as keypress_action_url

MAX_KEYED_OPTIONS = 9
"""Keys 1 to 9, one per option."""
MAX_SPOKEN_CHARS = 300
"""The subject and each option are cut to this many characters when spoken."""

NO_CHOICE = "No key was pressed. Nothing was recorded. Goodbye."
NOT_RECORDED = "Your answer could not be recorded. Goodbye."
NOT_RECORDED_TWIML = twiml.response(twiml.say(NOT_RECORDED), "<Hangup/>")
"""The one answer to every refused choice, whatever the reason: it tells nothing about what exists."""


def option_keys(options: Sequence[str]) -> str:
    """The key for each option, in order (``"12"`` for two); ValueError past nine options."""
    if not options:
        raise ValueError("a choice needs at least one option")
    if len(options) > MAX_KEYED_OPTIONS:
        raise ValueError(f"{len(options)} options; a key can choose among at most {MAX_KEYED_OPTIONS}")
    return "".join(str(n) for n in range(1, len(options) + 1))


def spoken(text: str) -> str:
    """Text as said on the phone: one line, bounded."""
    flat = " ".join(str(text).split())
    return flat if len(flat) <= MAX_SPOKEN_CHARS else flat[: MAX_SPOKEN_CHARS - 3] + "..."


def prompt(options: Sequence[str]) -> str:
    """ "Press 1 for Approve, 2 for Reject." """
    choices = ", ".join(
        f"{key} for {spoken(option)}" for key, option in zip(option_keys(options), options, strict=True)
    )
    return f"Press {choices}."


def action_url(base_url: str, conn_id: str, ti: TaskInstanceId, keys: str, *, try_number: int, mac_key: bytes) -> str:
    """The receiver's choice URL for this try of the task instance and these keys, MAC'd, query percent-encoded."""
    return keypress_action_url(
        base_url, conn_id, ti, keys, try_number=try_number, mac_key=mac_key, route="choice", key_name="keys"
    )


def call_twiml(question: str, options: Sequence[str], action: str, *, voice: str | None = None) -> str:
    """The question and the options inside a one-key ``<Gather>``; unanswered, both once more, then the call ends."""
    ask = twiml.gather(
        twiml.say(spoken(question), voice=voice) + twiml.say(prompt(options), voice=voice),
        action=action,
        num_digits=1,
        timeout=GATHER_TIMEOUT,
    )
    return twiml.response(ask, ask, twiml.say(NO_CHOICE, voice=voice), "<Hangup/>")


def answer_twiml(text: str) -> str:
    """What the receiver says after a key (what was recorded, or why not); then it hangs up."""
    return twiml.response(twiml.say(spoken(text)), "<Hangup/>")


def task_choice(base_url: str, conn_id: str, ti: Any, keys: str) -> tuple[KeypressCheck, str]:
    """The choice URL for this try of the running task instance, and how the task reads the keys back."""
    return task_action(base_url, conn_id, ti, keys, label=CHOICE_LABEL, route="choice", key_name="keys")
