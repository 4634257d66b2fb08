"""Fault injection through the SDK: throttling, concurrency limits, failures before and after commit."""

from __future__ import annotations

import threading
import time
from typing import Any

import pytest

from airflow_provider_twilio.emulator import TwilioEmulator
from tests.support.emulator import DEFAULT_FROM, RECIPIENT, sdk_client, wait_for


def outcome(send: Any) -> str:
    """ "ok", "dropped", or the HTTP status and Twilio code of the failure."""
    import requests
    from twilio.base.exceptions import TwilioRestException

    try:
        send()
    except TwilioRestException as err:
        return f"{err.status}/{err.code}"
    except requests.exceptions.Timeout:
        return "timeout"
    except requests.exceptions.ConnectionError:
        return "dropped"
    return "ok"


def create(client: Any, index: int = 0) -> Any:
    return lambda: client.messages.create(to=RECIPIENT, from_=DEFAULT_FROM, body=f"message {index}")


def test_throttle_answers_429_20429_and_creates_nothing(fresh: TwilioEmulator) -> None:
    fresh.configure(throttle=1.0)
    client = sdk_client(fresh)
    assert outcome(create(client)) == "429/20429"
    assert outcome(lambda: client.api.v2010.accounts(fresh.account_sid).fetch()) == "429/20429"
    fresh.configure(throttle=0)
    assert fresh.messages() == []
    assert outcome(create(client)) == "ok"


def test_fail_before_commit_creates_nothing(fresh: TwilioEmulator) -> None:
    fresh.configure(fail_before_commit=1.0)
    client = sdk_client(fresh)
    assert outcome(create(client)) == "500/20500"
    assert fresh.messages() == []
    # Reads commit nothing, so they are not failed "before commit".
    assert outcome(lambda: client.messages.list()) == "ok"


def test_fail_after_commit_stores_the_message_anyway(fresh: TwilioEmulator) -> None:
    fresh.configure(fail_after_commit=1.0, seed=3)
    client = sdk_client(fresh)
    outcomes = [outcome(create(client, i)) for i in range(16)]
    assert set(outcomes) == {"500/20500", "dropped"}
    assert len(fresh.messages()) == 16
    statuses = [entry["status"] for entry in fresh.request_log()]
    assert statuses.count(500) == outcomes.count("500/20500")
    # The emulator keeps serving after dropping connections.
    fresh.configure(fail_after_commit=0)
    assert outcome(create(client)) == "ok"


def test_late_commit_stores_the_message_after_the_delay_and_never_answers(fresh: TwilioEmulator) -> None:
    """The client times out with nothing stored; the message appears ``late_commit_delay`` seconds later."""
    from email.utils import parsedate_to_datetime

    fresh.configure(late_commit=1.0, late_commit_delay=1.0)
    client = sdk_client(fresh)
    client.http_client.timeout = 0.2
    before = time.time()
    assert outcome(create(client)) == "timeout"
    assert fresh.messages() == []
    (message,) = wait_for(fresh.messages, timeout=10)
    created = parsedate_to_datetime(message["date_created"]).timestamp()
    assert created > int(before)  # stored a second or more after the request arrived
    assert message["status"] in ("queued", "sending", "sent", "delivered")
    assert [entry.get("dropped") for entry in fresh.request_log()] == [True]


def test_late_commit_drops_a_patient_client_after_storing(fresh: TwilioEmulator) -> None:
    fresh.configure(late_commit=1.0, late_commit_delay=0.3)
    client = sdk_client(fresh)
    client.http_client.timeout = 10
    assert outcome(create(client)) == "dropped"
    assert len(fresh.messages()) == 1


def test_reset_cancels_pending_late_commits(fresh: TwilioEmulator) -> None:
    fresh.configure(late_commit=1.0, late_commit_delay=0.5)
    client = sdk_client(fresh)
    client.http_client.timeout = 0.1
    assert outcome(create(client)) == "timeout"
    fresh.reset()
    time.sleep(1.0)
    assert fresh.messages() == []


def _run(emu: TwilioEmulator, seed: int) -> list[str]:
    emu.reset()
    emu.configure(
        fail_before_commit=0.3, fail_after_commit=0.2, throttle=0.2, late_commit=0.2, late_commit_delay=0, seed=seed
    )
    client = sdk_client(emu)
    results = [outcome(create(client, i)) for i in range(30)]
    results.append(f"stored={len(emu.messages())}")
    return results


def test_faults_are_reproducible_by_seed(fresh: TwilioEmulator) -> None:
    first = _run(fresh, seed=7)
    assert first == _run(fresh, seed=7)
    assert first != _run(fresh, seed=8)
    assert {"ok", "429/20429", "500/20500", "dropped"} <= set(first)


def test_max_concurrent_requests(fresh: TwilioEmulator) -> None:
    fresh.configure(max_concurrent_requests=1, latency=0.5)
    barrier = threading.Barrier(4)
    results: list[str] = []

    def worker(index: int) -> None:
        client = sdk_client(fresh)
        barrier.wait()
        results.append(outcome(create(client, index)))

    threads = [threading.Thread(target=worker, args=(i,)) for i in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)
    assert "429/20429" in results
    assert "ok" in results
    assert len(fresh.messages()) == results.count("ok")
    fresh.configure(max_concurrent_requests=None, latency=0)
    assert outcome(create(sdk_client(fresh))) == "ok"


def test_latency_does_not_block_the_server(fresh: TwilioEmulator) -> None:
    """While a slow API request waits, the control endpoints still answer."""
    import urllib.request

    fresh.configure(latency=2.0)
    finished: list[str] = []

    def slow() -> None:
        outcome(create(sdk_client(fresh)))
        finished.append("api")

    thread = threading.Thread(target=slow)
    thread.start()
    try:
        while not fresh.state.faults._in_flight:
            threading.Event().wait(0.01)
        with urllib.request.urlopen(f"{fresh.base_url}/_emulator/messages", timeout=10) as response:
            assert response.status == 200
        finished.append("control")
    finally:
        thread.join(30)
    assert finished == ["control", "api"]


@pytest.mark.parametrize(
    "settings",
    [
        {"throttle": 1.5},
        {"fail_before_commit": -0.1},
        {"latency": -1},
        {"max_concurrent_requests": 0},
        {"status_delay": -1},
        {"late_commit": 1.5},
        {"late_commit_delay": -1},
        {"late_commit_delay": float("nan")},
        {"late_commit_delay": 1e308},
    ],
)
def test_configure_rejects_bad_values(fresh: TwilioEmulator, settings: dict[str, Any]) -> None:
    with pytest.raises(ValueError):
        fresh.configure(**settings)


def test_reset_clears_faults(fresh: TwilioEmulator) -> None:
    fresh.configure(throttle=1.0, latency=0.2)
    fresh.reset()
    assert outcome(create(sdk_client(fresh))) == "ok"
