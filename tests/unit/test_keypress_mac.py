"""The keypress action URL's MAC: only this deployment's secret makes it, and it covers every field."""

from __future__ import annotations

import dataclasses
from types import SimpleNamespace
from typing import Any
from urllib.parse import parse_qsl, urlsplit

import pytest

from airflow_provider_twilio.exceptions import TwilioInputError
from airflow_provider_twilio.voice.action_mac import ActionClaim, deployment_secret, derive_key, sign, verify
from airflow_provider_twilio.voice.keypress import TaskInstanceId, task_keypress
from airflow_provider_twilio.webhooks.keypresses import BadGather, genuine_url, parse

SECRET = "a deployment secret nobody else has"
KEY = derive_key(SECRET)
CLAIM = ActionClaim("twilio_default", "alerts", "manual__2026-01-01", "call", -1, 1, "1")
SID = "CA" + "0123456789abcdef" * 2


def test_the_mac_of_the_claim_verifies() -> None:
    assert verify(KEY, CLAIM, sign(KEY, CLAIM))


@pytest.mark.parametrize(
    "changed",
    [
        {"conn_id": "twilio_other"},
        {"dag_id": "payroll"},
        {"run_id": "manual__2026-01-02"},
        {"task_id": "call_boss"},
        {"map_index": 0},
        {"try_number": 2},
        {"key": "2"},
    ],
)
def test_a_mac_is_good_for_its_own_claim_only(changed: dict[str, Any]) -> None:
    other = dataclasses.replace(CLAIM, **changed)
    assert not verify(KEY, other, sign(KEY, CLAIM))
    assert sign(KEY, other) != sign(KEY, CLAIM)


def test_fields_cannot_be_re_cut_at_their_boundaries() -> None:
    moved = dataclasses.replace(CLAIM, dag_id="alertsmanual__2026-01-01", run_id="")
    assert sign(KEY, moved) != sign(KEY, CLAIM)


@pytest.mark.parametrize("mac", ["", "x", "A" * 43, "é" * 43])
def test_a_tampered_or_made_up_mac_is_refused(mac: str) -> None:
    assert not verify(KEY, CLAIM, mac)


def test_another_secret_or_the_raw_secret_makes_no_valid_mac() -> None:
    good = sign(KEY, CLAIM)
    assert not verify(derive_key("the Twilio auth token"), CLAIM, good)
    assert not verify(SECRET.encode(), CLAIM, good)  # the key is derived, not the secret itself
    assert derive_key(SECRET) == KEY and derive_key(SECRET + "x") != KEY


def test_the_deployment_secret_is_api_secret_key_and_unset_counts_as_missing(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("AIRFLOW__API__SECRET_KEY", SECRET)
    assert deployment_secret() == SECRET
    monkeypatch.setenv("AIRFLOW__API__SECRET_KEY", "")
    assert deployment_secret() is None
    monkeypatch.setenv("AIRFLOW__API__SECRET_KEY", "{SECRET_KEY}")  # the Task SDK's unexpanded default
    assert deployment_secret() is None
    monkeypatch.delenv("AIRFLOW__API__SECRET_KEY")
    from airflow import configuration

    # Unset, Airflow's own config fills in a random value per process: no other process could check it.
    monkeypatch.setenv("AIRFLOW__API__SECRET_KEY", configuration.SECRET_KEY)
    assert deployment_secret() is None


def running_ti(try_number: int = 3) -> Any:
    return SimpleNamespace(
        dag_id="alerts", run_id="manual__2026-01-01", task_id="call", map_index=-1, try_number=try_number
    )


def test_require_keypress_is_refused_before_any_call_without_the_deployment_secret(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("AIRFLOW__API__SECRET_KEY", "")
    with pytest.raises(TwilioInputError, match=r"\[api\] secret_key \(AIRFLOW__API__SECRET_KEY\) is not set") as info:
        task_keypress("https://airflow.example.com", "twilio_default", running_ti(), "1")
    assert "require_keypress" in str(info.value)


def test_the_task_writes_a_url_for_its_own_try_that_the_receiver_accepts(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("AIRFLOW__API__SECRET_KEY", SECRET)
    check, action = task_keypress("https://airflow.example.com", "twilio_default", running_ti(try_number=3), "1")
    assert check.key == "1" and SECRET not in action
    query = dict(parse_qsl(urlsplit(action).query))
    assert query["try"] == "3"
    keypress = parse(query, {"CallSid": SID, "Digits": "1"})
    assert keypress.ti == TaskInstanceId("alerts", "manual__2026-01-01", "call") and keypress.try_number == 3
    assert genuine_url(keypress, "twilio_default")
    assert not genuine_url(keypress, "twilio_other")  # the connection named in the path is covered too
    assert not genuine_url(dataclasses.replace(keypress, try_number=2), "twilio_default")
    assert not genuine_url(dataclasses.replace(keypress, ti=TaskInstanceId("payroll", "r", "t")), "twilio_default")
    assert not genuine_url(dataclasses.replace(keypress, expected="2"), "twilio_default")
    monkeypatch.setenv("AIRFLOW__API__SECRET_KEY", "rotated")
    assert not genuine_url(keypress, "twilio_default")
    monkeypatch.setenv("AIRFLOW__API__SECRET_KEY", "")
    assert not genuine_url(keypress, "twilio_default")  # an api-server without the secret accepts nothing


QUERY = {"dag_id": "alerts", "run_id": "r", "task_id": "call", "key": "1", "try": "1", "mac": "m"}


@pytest.mark.parametrize(
    ("query", "form"),
    [
        ({**QUERY, "map_index": "--1"}, {"CallSid": SID}),
        ({**QUERY, "map_index": "²"}, {"CallSid": SID}),
        ({**QUERY, "map_index": "9" * 40}, {"CallSid": SID}),
        (QUERY, {"CallSid": "CA" + "d" * 31}),
        (QUERY, {"CallSid": "SM" + "d" * 32}),
        (QUERY, {"CallSid": SID, "Digits": "1²"}),
        ({**QUERY, "dag_id": "d" * 251}, {"CallSid": SID}),
    ],
)
def test_a_malformed_gather_is_a_bad_request_not_an_error(query: dict[str, str], form: dict[str, str]) -> None:
    with pytest.raises(BadGather):
        parse(query, form)


@pytest.mark.parametrize("try_text", ["", "²", "-", "1" * 40])
def test_a_gather_without_a_try_number_is_never_genuine(try_text: str) -> None:
    keypress = parse({**QUERY, "try": try_text}, {"CallSid": SID, "Digits": "1"})
    assert keypress.try_number is None and not genuine_url(keypress, "twilio_default")
