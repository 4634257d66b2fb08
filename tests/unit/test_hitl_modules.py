"""The HITL modules import on every Airflow line (2.11 and 3.0 have no HITL), and when an answer may resume a task."""

from __future__ import annotations

import importlib
from datetime import datetime, timedelta, timezone
from types import SimpleNamespace

import pytest

MODULES = (
    "airflow_provider_twilio.hitl.texts",
    "airflow_provider_twilio.hitl.replies",
    "airflow_provider_twilio.answers.pending",
    "airflow_provider_twilio.answers.resolve",
    "airflow_provider_twilio.answers.held",
    "airflow_provider_twilio.answers.respond",
    "airflow_provider_twilio.notifications.hitl",
    "airflow_provider_twilio.webhooks.hitl",
)


@pytest.mark.every_line
@pytest.mark.parametrize("module", MODULES)
def test_the_module_imports_on_this_airflow(module: str) -> None:
    importlib.import_module(module)


@pytest.mark.every_line
def test_the_notifier_says_where_it_belongs_outside_a_hitl_task() -> None:
    from airflow_provider_twilio.notifications.hitl import TwilioHITLNotifier

    with pytest.raises(ValueError, match="human-in-the-loop operator"):
        TwilioHITLNotifier(to="+15551230001").notify({"task": object()})
    with pytest.raises(ValueError, match="max_segments"):
        TwilioHITLNotifier(to="+15551230001", max_segments=0)


def test_an_answer_resumes_only_a_task_parked_long_enough_for_the_scheduler_to_have_seen_it() -> None:
    from airflow_provider_twilio.answers.parking import SETTLE_SECONDS, is_parked, resumes_itself

    if resumes_itself():
        pytest.skip("nothing is held before 3.3: the HITL trigger resumes the task on 3.1/3.2; 2.11, 3.0 have no HITL")
    now = datetime(2026, 1, 1, tzinfo=timezone.utc)

    def ti(state: str, seconds_ago: float | None) -> SimpleNamespace:
        changed = None if seconds_ago is None else now - timedelta(seconds=seconds_ago)
        return SimpleNamespace(state=state, updated_at=changed)

    assert not is_parked(ti("running", 60), now)
    assert not is_parked(ti("awaiting_input", 1), now)
    assert not is_parked(ti("awaiting_input", None), now)
    assert is_parked(ti("awaiting_input", SETTLE_SECONDS), now)
    assert not is_parked(ti("success", 60), now)
