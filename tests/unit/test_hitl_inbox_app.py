"""The inbox poller's app: its lifespan runs rounds in a worker thread until the api-server stops, or none at all."""

from __future__ import annotations

import threading
import time
from typing import Any

import pytest

from airflow_provider_twilio.answers import inbox


def hitl_line() -> bool:
    from importlib.util import find_spec

    return find_spec("airflow.models.hitl") is not None


pytestmark = pytest.mark.skipif(
    not hitl_line(), reason="the pull path answers human-in-the-loop requests, which exist on Airflow 3.1+"
)


@pytest.fixture
def rounds(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """Each round's thread name, instead of polling anything."""
    seen: list[str] = []

    def round_(self: Any) -> int:
        seen.append(threading.current_thread().name)
        return 0

    monkeypatch.setattr(inbox.InboxPoller, "round", round_)
    return seen


def wait_for(condition: Any) -> None:
    deadline = time.monotonic() + 30
    while not condition():
        assert time.monotonic() < deadline, "no round within 30 s"
        time.sleep(0.05)


def test_rounds_run_off_the_event_loop_while_the_app_lives_and_stop_with_it(
    rounds: list[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    from fastapi.testclient import TestClient

    monkeypatch.setenv("AIRFLOW__TWILIO__HITL_INBOX_POLL_INTERVAL", "0.1")
    with TestClient(inbox.create_app()) as client:
        wait_for(lambda: len(rounds) >= 2)
        loop_thread = client.portal.call(lambda: threading.current_thread().name)  # type: ignore[union-attr]
    stopped_at = len(rounds)
    time.sleep(0.3)
    assert len(rounds) <= stopped_at + 1  # a round already in its thread may finish; none starts after
    assert loop_thread not in rounds


def test_an_interval_of_0_turns_the_pull_path_off(rounds: list[str], monkeypatch: pytest.MonkeyPatch) -> None:
    from fastapi.testclient import TestClient

    monkeypatch.setenv("AIRFLOW__TWILIO__HITL_INBOX_POLL_INTERVAL", "0")
    assert inbox.configured_interval() == 0
    with TestClient(inbox.create_app()):
        time.sleep(0.3)
    assert rounds == []


def test_the_interval_defaults_to_10_seconds_and_a_bad_value_falls_back(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("AIRFLOW__TWILIO__HITL_INBOX_POLL_INTERVAL", raising=False)
    assert inbox.configured_interval() == inbox.DEFAULT_INTERVAL == 10.0
    monkeypatch.setenv("AIRFLOW__TWILIO__HITL_INBOX_POLL_INTERVAL", "often")
    assert inbox.configured_interval() == 10.0
