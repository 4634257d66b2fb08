"""Calls one person who does not pick up, so the test can press keys on a live call of a running task
(tests/e2e/test_keypress_real_airflow.py); the test cancels the call when done."""

from __future__ import annotations

from datetime import datetime

from airflow.sdk import DAG

from airflow_provider_twilio.operators.voice import TwilioCallOperator

HOLD = "+15551230063"

with DAG(dag_id="call_keypress_hold", schedule="@once", start_date=datetime(2026, 1, 1), catchup=False, tags=["test"]):
    TwilioCallOperator(
        task_id="call",
        to=[HOLD],
        say="The warehouse load failed.",
        require_keypress="1",
        timeout=300,
        poll_interval=0.5,
        retries=0,
    )
