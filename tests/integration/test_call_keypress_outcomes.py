"""What an escalation with ``require_keypress`` records and says, with the real SDK against the emulator.

The task instance's XComs are a small in-memory stand-in (the receiver and the Task SDK are covered by
tests/e2e/test_keypress_real_airflow.py): each call must be recorded as placed as soon as it exists,
and the log and the failure must say which key each person pressed.
"""

from __future__ import annotations

import logging
from typing import Any

import pytest

from airflow_provider_twilio.voice.escalation import Escalation, unacknowledged_error
from airflow_provider_twilio.voice.keypress import KeypressCheck
from airflow_provider_twilio.voice.request import validate_call
from tests.support.emulator import sdk_client

PRESSES_2, SILENT, PRESSES_1 = "+15551230071", "+15551230072", "+15551230073"
ACTION = "https://airflow.example.com/twilio/twilio_default/gather?dag_id=d&run_id=r&task_id=t&key=1"


class TaskXComs:
    """The keypresses a receiver recorded for the task, and the calls the task recorded placing."""

    def __init__(self, presses: dict[str, str]) -> None:
        self.presses_by_number = presses
        self.placed: dict[str, str] = {}

    def note_placed(self, call_sid: str, to: str) -> None:
        self.placed[call_sid] = to

    def read(self, call_sid: str) -> Any:
        to = self.placed.get(call_sid)
        if to not in self.presses_by_number:
            return None
        return {"call_sid": call_sid, "digits": self.presses_by_number[to], "expected": "1"}


def escalate(emulator: Any, to: list[str], xcoms: TaskXComs, mode: str = "until_acknowledged") -> Any:
    request = validate_call(
        to=to,
        from_=None,
        default_from="+15005550006",
        say="The load failed.",
        require_keypress="1",
        gather_action=ACTION,
    )
    keypress = KeypressCheck("1", xcoms.read, xcoms.note_placed)
    log = logging.getLogger("tests.call_keypress")
    escalation = Escalation(sdk_client(emulator), request, poll_interval=0.05, log=log, keypress=keypress)
    return escalation.all_at_once({}) if mode == "all" else escalation.until_acknowledged({})


@pytest.fixture
def emulator(twilio_emulator: Any) -> Any:
    twilio_emulator.configure(status_delay=0.02)
    for number in (PRESSES_2, SILENT, PRESSES_1):
        twilio_emulator.add_call_behaviour(number, answer="human", after=0.05, talk=0.3)
    return twilio_emulator


def test_a_failed_chain_says_which_key_each_person_pressed(emulator: Any, caplog: pytest.LogCaptureFixture) -> None:
    xcoms = TaskXComs({PRESSES_2: "2", SILENT: ""})
    with caplog.at_level(logging.INFO, logger="tests.call_keypress"):
        results = escalate(emulator, [PRESSES_2, SILENT], xcoms)
    assert [(r["to"], r["status"], r["answered_by"], r["acknowledged"]) for r in results] == [
        (PRESSES_2, "completed", "human", False),
        (SILENT, "completed", "human", False),
    ]
    assert sorted(xcoms.placed.values()) == [PRESSES_2, SILENT]  # each call recorded as this task's own
    assert set(xcoms.placed) == {r["sid"] for r in results}
    lines = [r.getMessage() for r in caplog.records]
    assert f"Call to {PRESSES_2}: completed, answered by human, pressed 2 (needed 1): not acknowledged" in lines
    assert f"Call to {SILENT}: completed, answered by human, no key pressed (needed 1): not acknowledged" in lines
    assert not any("answered by human: acknowledged" in line for line in lines)

    pressed = {sid: xcoms.read(sid)["digits"] for sid in xcoms.placed}
    message = str(unacknowledged_error(results, "1", pressed))
    assert "none acknowledged by pressing 1" in message
    first = f"{PRESSES_2}: completed, answered by human, pressed 2 (needed 1): not acknowledged [{results[0]['sid']}]"
    assert first in message
    assert f"{SILENT}: completed, answered by human, no key pressed (needed 1): not acknowledged" in message


def test_the_right_key_acknowledges_and_the_log_says_so(emulator: Any, caplog: pytest.LogCaptureFixture) -> None:
    xcoms = TaskXComs({PRESSES_2: "2", PRESSES_1: "1"})
    with caplog.at_level(logging.INFO, logger="tests.call_keypress"):
        results = escalate(emulator, [PRESSES_2, PRESSES_1], xcoms, mode="all")
    assert [(r["to"], r["acknowledged"]) for r in results] == [(PRESSES_2, False), (PRESSES_1, True)]
    lines = [r.getMessage() for r in caplog.records]
    assert f"Call to {PRESSES_1}: completed, answered by human, pressed 1: acknowledged" in lines
    assert f"Call to {PRESSES_2}: completed, answered by human, pressed 2 (needed 1): not acknowledged" in lines
