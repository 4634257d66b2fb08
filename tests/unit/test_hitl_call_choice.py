"""A call that asks to choose an option by key: its TwiML, its URL's MAC, and what counts as a choice."""

from __future__ import annotations

from types import SimpleNamespace
from typing import Any
from urllib.parse import parse_qsl, urlsplit

import pytest

from airflow_provider_twilio import twiml
from airflow_provider_twilio.voice import choice
from airflow_provider_twilio.voice.action_mac import CHOICE_LABEL, derive_key
from airflow_provider_twilio.voice.escalation import outcome_text, unacknowledged_error
from airflow_provider_twilio.voice.keypress import KeypressCheck, TaskInstanceId, action_url
from airflow_provider_twilio.webhooks.hitl_keypress import Choice, parse_choice
from airflow_provider_twilio.webhooks.keypresses import BadGather, genuine_url, parse

SECRET = "a deployment secret nobody else has"
SID = "CA" + "0123456789abcdef" * 2
TI = TaskInstanceId("deploy", "manual__2026-01-01", "approve_deploy")


def test_the_prompt_numbers_the_options_in_order() -> None:
    assert choice.prompt(["Approve", "Reject"]) == "Press 1 for Approve, 2 for Reject."
    assert choice.option_keys(["a", "b", "c"]) == "123"


@pytest.mark.parametrize("options", [[], [str(n) for n in range(10)]])
def test_a_call_chooses_among_one_to_nine_options(options: list[str]) -> None:
    with pytest.raises(ValueError):
        choice.option_keys(options)


def test_the_twiml_asks_inside_one_gather_posting_to_the_action_and_escapes_the_request() -> None:
    action = "https://airflow.example.com/twilio/twilio_default/choice?keys=12&mac=x"
    document = choice.call_twiml("Deploy <2.4.1> & go?", ["Approve", "Reject & roll back"], action)
    verbs = twiml.parse(document)
    assert [v.name for v in verbs] == ["Gather", "Gather", "Say", "Hangup"]
    gather = verbs[0]
    assert gather.attrs["action"] == action and gather.attrs["numDigits"] == "1"
    assert [v.text for v in gather.nested] == ["Deploy <2.4.1> & go?", "Press 1 for Approve, 2 for Reject & roll back."]


def test_spoken_text_is_one_bounded_line() -> None:
    said = choice.spoken("line one\n\nline two " + "x" * 1000)
    assert "\n" not in said and len(said) == choice.MAX_SPOKEN_CHARS and said.endswith("...")


def query_of(url: str) -> dict[str, str]:
    return dict(parse_qsl(urlsplit(url).query))


def test_the_choice_url_is_genuine_for_its_own_route_only(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("AIRFLOW__API__SECRET_KEY", SECRET)
    ti = SimpleNamespace(dag_id=TI.dag_id, run_id=TI.run_id, task_id=TI.task_id, map_index=-1, try_number=2)
    check, url = choice.task_choice("https://airflow.example.com/", "twilio_default", ti, "12")
    assert url.startswith("https://airflow.example.com/twilio/twilio_default/choice?")
    assert check.key == "12"
    form = {"CallSid": SID, "Digits": "1"}
    query = query_of(url)
    assert query["try"] == "2" and query["keys"] == "12"
    assert genuine_url(parse_choice(query, form), "twilio_default")
    assert not genuine_url(parse_choice(query, form), "twilio_other")
    assert not genuine_url(parse_choice({**query, "keys": "123"}, form), "twilio_default")
    # An acknowledgement URL's MAC (keypress label) for the same task, try and key is no good here...
    acknowledgement = action_url("https://x", "twilio_default", TI, "1", try_number=2, mac_key=derive_key(SECRET))
    forged = {**query, "keys": "1", "mac": query_of(acknowledgement)["mac"]}
    assert not genuine_url(parse_choice(forged, form), "twilio_default")
    # ...nor is a choice URL's MAC good as an acknowledgement.
    as_keypress = parse({**query, "key": "1", "mac": query_of(choice.action_url(
        "https://x", "twilio_default", TI, "1", try_number=2, mac_key=derive_key(SECRET, CHOICE_LABEL)
    ))["mac"]}, form)  # fmt: skip
    assert not genuine_url(as_keypress, "twilio_default")


@pytest.mark.parametrize("keys", ["", "13", "21", "0", "1234567890", "1#"])
def test_keys_other_than_the_numbered_options_are_a_bad_request(keys: str) -> None:
    query = {"dag_id": "d", "run_id": "r", "task_id": "t", "try": "1", "keys": keys, "mac": "m"}
    with pytest.raises(BadGather):
        parse_choice(query, {"CallSid": SID, "Digits": "1"})


@pytest.mark.parametrize(("digits", "chosen"), [("1", True), ("2", True), ("3", False), ("", False), ("12", False)])
def test_one_option_key_is_a_choice(digits: str, chosen: bool) -> None:
    query = {"dag_id": "d", "run_id": "r", "task_id": "t", "try": "1", "keys": "12", "mac": "m"}
    parsed = parse_choice(query, {"CallSid": SID, "Digits": digits})
    assert isinstance(parsed, Choice) and parsed.matched is chosen
    check = KeypressCheck("12", lambda sid: {"digits": digits})
    assert check.acknowledged(SID) is chosen


def result(**changes: Any) -> dict[str, Any]:
    base = {"to": "+15551230001", "sid": SID, "status": "completed", "answered_by": "human", "duration": 4,
            "acknowledged": False, "error_code": None, "error_type": None}  # fmt: skip
    return {**base, **changes}


def test_the_outcome_names_every_key_that_would_have_counted() -> None:
    wrong = outcome_text(result(), "12", "7")
    assert wrong == "completed, answered by human, pressed 7 (needed 1 or 2): not acknowledged"
    assert outcome_text(result(acknowledged=True), "12", "2") == "completed, answered by human, pressed 2: acknowledged"
    assert outcome_text(result(), "1", "2") == "completed, answered by human, pressed 2 (needed 1): not acknowledged"
    assert "none acknowledged by pressing 1 or 2" in str(unacknowledged_error([result()], "12", {SID: None}))
