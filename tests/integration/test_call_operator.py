"""TwilioCallOperator with the real SDK over HTTP against the emulator's simulated people.

``execute`` runs with a small stand-in for the task context, as in test_send_operator.py.
"""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from typing import Any

import pytest

from airflow_provider_twilio.exceptions import TwilioCallFailedError, TwilioInputError
from airflow_provider_twilio.operators.voice import TwilioCallOperator
from tests.support.emulator import sdk_client
from tests.support.task_context import context

PRIMARY, BACKUP, THIRD = "+15551230001", "+15551230002", "+15551230003"


@pytest.fixture
def emulator(twilio_emulator: Any) -> Any:
    twilio_emulator.configure(status_delay=0.02)
    return twilio_emulator


def operator(**kwargs: Any) -> TwilioCallOperator:
    kwargs.setdefault("task_id", "call")
    kwargs.setdefault("say", "The nightly load failed. Please check the warehouse.")
    kwargs.setdefault("poll_interval", 0.1)
    return TwilioCallOperator(**kwargs)


def called(emulator: Any) -> list[str]:
    return [call["to"] for call in reversed(emulator.calls())]


def test_calls_one_at_a_time_until_a_human_answers(emulator: Any) -> None:
    emulator.add_call_behaviour(PRIMARY, answer="machine", after=0.05)
    emulator.add_call_behaviour(BACKUP, answer="human", after=0.05)
    results = operator(to=[PRIMARY, BACKUP, THIRD]).execute(context())
    assert called(emulator) == [PRIMARY, BACKUP]  # the third is never rung
    assert [(r["to"], r["status"], r["answered_by"], r["acknowledged"]) for r in results] == [
        (PRIMARY, "completed", "machine_start", False),
        (BACKUP, "completed", "human", True),
    ]
    assert set(results[0]) == {
        "to",
        "sid",
        "status",
        "answered_by",
        "duration",
        "acknowledged",
        "error_code",
        "error_type",
    }
    assert results[1]["duration"] >= 1 and results[1]["sid"].startswith("CA")


def test_nobody_acknowledges_fails_naming_every_call(emulator: Any) -> None:
    emulator.add_call_behaviour(PRIMARY, answer="busy", after=0.05)
    emulator.add_call_behaviour(BACKUP, answer="no-answer")
    ctx = context()
    with pytest.raises(TwilioCallFailedError) as info:
        operator(to=[PRIMARY, BACKUP, "+15005550002"], timeout=1).execute(ctx)
    message = str(info.value)
    assert f"{PRIMARY}: busy" in message and f"{BACKUP}: no-answer" in message
    assert "+15005550002: failed, error 21214" in message and "[not placed]" in message
    pushed = ctx["ti"].xcom["return_value"]
    assert [r["status"] for r in pushed] == ["busy", "no-answer", "failed"]
    assert not any(r["acknowledged"] for r in pushed)


def test_without_fail_on_error_the_results_carry_the_outcome(emulator: Any) -> None:
    emulator.add_call_behaviour(PRIMARY, answer="fail", after=0.05)
    results = operator(to=PRIMARY, fail_on_error=False).execute(context())
    assert [(r["status"], r["acknowledged"]) for r in results] == [("failed", False)]


def test_mode_all_calls_everyone_at_once(emulator: Any) -> None:
    emulator.add_call_behaviour(PRIMARY, answer="human", after=0.3)
    emulator.add_call_behaviour(BACKUP, answer="machine", after=0.05)
    results = operator(to=[PRIMARY, BACKUP], mode="all").execute(context())
    assert sorted(called(emulator)) == [PRIMARY, BACKUP]
    assert [r["acknowledged"] for r in results] == [True, False]


def test_malformed_twiml_is_refused_before_any_call(emulator: Any) -> None:
    with pytest.raises(TwilioInputError, match=r"twiml: .*12100"):
        operator(say=None, twiml="<Response><Say>oops</Response>", to=PRIMARY).execute(context())
    with pytest.raises(TwilioInputError, match=r"voice: 'robot'"):
        operator(to=PRIMARY, voice="robot").execute(context())
    with pytest.raises(TwilioInputError, match=r"to\[1\]"):
        operator(to=[PRIMARY, "555"]).execute(context())
    assert emulator.calls() == []


def test_require_keypress_without_a_webhook_receiver_is_refused(emulator: Any) -> None:
    from airflow_provider_twilio.webhooks import webhooks_supported

    if webhooks_supported():  # the connection has no webhook_base_url
        with pytest.raises(TwilioInputError, match="webhook_base_url"):
            operator(to=PRIMARY, require_keypress="1").execute(context())
    else:  # no api-server plugin to hear the key: refused when the DAG is parsed
        with pytest.raises(TwilioInputError, match=r"Airflow 3's api-server \(Airflow 3\.3 or later\)"):
            operator(to=PRIMARY, require_keypress="1")
    assert emulator.calls() == []


def test_a_retry_follows_the_earlier_calls_and_rings_nobody_twice(emulator: Any) -> None:
    emulator.add_call_behaviour(PRIMARY, answer="no-answer")
    emulator.add_call_behaviour(BACKUP, answer="human", after=0.05)
    run_start = datetime.now(timezone.utc) - timedelta(seconds=5)
    # The first try rang the primary (still ringing), then its worker died.
    client = sdk_client(emulator)
    client.calls.create(to=PRIMARY, from_="+15005550006", twiml="<Response><Say>x</Say></Response>", timeout=1)
    results = operator(to=[PRIMARY, BACKUP], timeout=1).execute(context(try_number=2, run_start=run_start))
    assert called(emulator) == [PRIMARY, BACKUP]  # the primary was not rung again
    assert [(r["to"], r["status"]) for r in results] == [(PRIMARY, "no-answer"), (BACKUP, "completed")]


def test_a_call_placed_before_the_run_started_does_not_count(emulator: Any) -> None:
    emulator.add_call_behaviour(PRIMARY, answer="human", after=0.05)
    sdk_client(emulator).calls.create(to=PRIMARY, from_="+15005550006", twiml="<Response><Say>x</Say></Response>")
    later = datetime.now(timezone.utc) + timedelta(seconds=3)
    operator(to=[PRIMARY]).execute(context(try_number=2, run_start=later))
    assert called(emulator) == [PRIMARY, PRIMARY]  # yesterday's alert is not this run's
