"""TwilioHITLCallNotifier refuses, before registering or calling anyone, what could never be answered by key."""

from __future__ import annotations

import json
from types import SimpleNamespace
from typing import Any

import pytest

from airflow_provider_twilio.exceptions import TwilioInputError
from airflow_provider_twilio.notifications.hitl_call import TwilioHITLCallNotifier

ALICE, BOB = "+15551230001", "+15551230002"
UNREACHABLE = "http://127.0.0.1:9"  # nothing listens: any request would fail, and none must be made


def webhooks_line() -> bool:
    from airflow_provider_twilio.capabilities import webhooks_supported

    return webhooks_supported()


@pytest.fixture
def registered(monkeypatch: pytest.MonkeyPatch) -> list[Any]:
    """The requests the notifier registered (none may be, when it refuses)."""
    calls: list[Any] = []
    from airflow_provider_twilio.answers import pending

    monkeypatch.setattr(pending, "register_request", lambda *args, **kwargs: calls.append(kwargs))
    return calls


def connection(monkeypatch: pytest.MonkeyPatch, **extra: str) -> None:
    value = {"conn_type": "twilio", "login": "AC" + "0" * 32, "password": "a" * 32,
             "extra": {"base_url": UNREACHABLE, "default_from": "+15005550006", **extra}}  # fmt: skip
    monkeypatch.setenv("AIRFLOW_CONN_TWILIO_DEFAULT", json.dumps(value))


def context(options: list[str]) -> dict[str, Any]:
    ti = SimpleNamespace(id="0", dag_id="d", run_id="r", task_id="approve", map_index=-1, try_number=1)
    return {"ti": ti, "task": SimpleNamespace(subject="Deploy?", options=options)}


def refusal(notifier: TwilioHITLCallNotifier, options: list[str]) -> str:
    with pytest.raises(TwilioInputError) as raised:
        notifier.call(context(options))
    return str(raised.value)


@pytest.fixture
def ready(monkeypatch: pytest.MonkeyPatch) -> None:
    if not webhooks_line():
        pytest.skip("a key reaches Airflow through the webhook receiver, an api-server plugin of Airflow 3.3+")
    connection(monkeypatch, webhook_base_url="https://airflow.example.com")
    monkeypatch.setenv("AIRFLOW__API__SECRET_KEY", "a deployment secret")


def test_more_than_nine_options_are_refused(ready: None, registered: list[Any]) -> None:
    message = refusal(TwilioHITLCallNotifier(to=[ALICE]), [f"option {n}" for n in range(10)])
    assert "at most 9" in message and registered == []


def test_a_number_called_must_be_a_respondent(ready: None, registered: list[Any]) -> None:
    message = refusal(TwilioHITLCallNotifier(to=[ALICE, BOB], respondents={ALICE: "alice"}), ["Approve", "Reject"])
    assert BOB in message and "respondents" in message and registered == []


def test_without_a_webhook_base_url_or_a_deployment_secret_nobody_is_called(
    ready: None, registered: list[Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("AIRFLOW__API__SECRET_KEY", "")
    assert "secret_key" in refusal(TwilioHITLCallNotifier(to=[ALICE]), ["Approve", "Reject"])
    connection(monkeypatch)
    assert "webhook_base_url" in refusal(TwilioHITLCallNotifier(to=[ALICE]), ["Approve", "Reject"])
    assert registered == []


def test_outside_a_hitl_task_it_says_where_it_belongs(registered: list[Any]) -> None:
    with pytest.raises(TwilioInputError, match="notifiers= of a HITL operator"):
        TwilioHITLCallNotifier(to=[ALICE]).call({"task": SimpleNamespace()})


def test_before_airflow_3_3_it_is_refused_naming_the_version(
    registered: list[Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    if webhooks_line():
        pytest.skip("Airflow 3.3+ has the webhook receiver that takes the key")
    connection(monkeypatch, webhook_base_url="https://airflow.example.com")
    assert "Airflow 3.3 or later" in refusal(TwilioHITLCallNotifier(to=[ALICE]), ["Approve", "Reject"])
    assert registered == []
