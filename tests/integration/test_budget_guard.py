"""The budget guard with the real SDK over HTTP against the emulator: stated, refused before any request,
and ``max_price`` passed to Twilio per message."""

from __future__ import annotations

import logging
import time
from typing import Any

import pytest

from airflow_provider_twilio.emulator.simulation.line_types import magic_number
from airflow_provider_twilio.sending.budget import BudgetExceededError
from tests.support.task_context import context, operator, outbound

LONG_BODY = "x" * 200  # two GSM-7 segments


def final_statuses(emulator: Any, count: int) -> dict[str, dict[str, Any]]:
    deadline = time.monotonic() + 10
    while True:
        found = {m["to"]: m for m in outbound(emulator) if m["status"] in ("delivered", "failed", "undelivered")}
        if len(found) == count or time.monotonic() > deadline:
            return found
        time.sleep(0.05)


def test_the_batch_is_stated_before_sending(
    twilio_emulator: Any, caplog: pytest.LogCaptureFixture, capsys: pytest.CaptureFixture[str]
) -> None:
    to = ["+15551230001", "+15551230002", "+447700900123"]
    with caplog.at_level(logging.INFO):
        operator(to=to, body=LONG_BODY, price_per_segment={"US": 0.0083, "44": 0.04}).execute(context())
    # Airflow 3's task logger writes to stdout, Airflow 2's goes through logging.
    logged = caplog.text + capsys.readouterr().out
    # 3 x 2 segments; 2 x 2 x 0.0083 + 1 x 2 x 0.04
    assert "Budget: 3 recipient(s) x 2 segment(s) = 6 segment(s), estimated cost 0.1132" in logged


def test_max_total_segments_refuses_before_any_request_naming_both_figures(twilio_emulator: Any) -> None:
    to = [f"+1555128{i:04d}" for i in range(50)]
    with pytest.raises(BudgetExceededError) as info:
        operator(to=to, body=LONG_BODY, max_total_segments=99, lookup="line_type").execute(context())
    assert "needs 100 segment(s)" in str(info.value) and "limit of 99" in str(info.value)
    # Not one request: no message, no lookup, no log read.
    assert twilio_emulator.request_log() == []


def test_max_cost_refuses_before_any_request_naming_both_figures(twilio_emulator: Any) -> None:
    to = ["+15551230001", "+447700900123"]
    with pytest.raises(BudgetExceededError) as info:
        operator(to=to, price_per_segment={"US": 0.01, "GB": 0.5}, max_cost=0.5).execute(context())
    assert "estimated cost is 0.5100" in str(info.value) and "limit of 0.5" in str(info.value)
    assert twilio_emulator.request_log() == []


def test_a_batch_within_its_limits_is_sent(twilio_emulator: Any) -> None:
    to = [f"+1555129{i:04d}" for i in range(10)]
    results = operator(to=to, max_total_segments=10, price_per_segment=0.01, max_cost=0.1).execute(context())
    assert all(r["sid"] for r in results)


def test_max_price_reaches_twilio_per_message(twilio_emulator: Any) -> None:
    # The emulator prices a segment at 0.0079; enforced, a message over its MaxPrice fails with 30010, as on
    # Twilio before MaxPrice became obsolete: so the message that fails is the one whose MaxPrice arrived.
    twilio_emulator.configure(enforce_max_price=True)
    results = operator(to=["+15551230001"], body=LONG_BODY, max_price=0.01).execute(context())
    cheap = operator(to=["+15551230002"], body=LONG_BODY, max_price=0.02).execute(context())
    assert results[0]["sid"] and cheap[0]["sid"]
    ended = final_statuses(twilio_emulator, 2)
    assert (ended["+15551230001"]["status"], ended["+15551230001"]["error_code"]) == ("failed", 30010)
    assert ended["+15551230002"]["status"] == "delivered"


def test_max_price_is_accepted_and_ignored_as_twilio_does_today(twilio_emulator: Any) -> None:
    results = operator(to=["+15551230003"], body=LONG_BODY, max_price=0.01).execute(context())
    assert results[0]["sid"] and final_statuses(twilio_emulator, 1)["+15551230003"]["status"] == "delivered"


def test_the_estimate_counts_recipients_before_lookups_hold_any_back(twilio_emulator: Any) -> None:
    to = [f"+1555130{i:04d}" for i in range(9)] + [magic_number("landline")]
    with pytest.raises(BudgetExceededError, match="needs 10 segment"):
        operator(to=to, lookup="line_type", max_total_segments=9).execute(context())
    assert twilio_emulator.request_log() == []
