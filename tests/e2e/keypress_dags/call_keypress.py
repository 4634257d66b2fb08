"""Calls two people until one acknowledges by pressing 1 (tests/e2e/test_keypress_real_airflow.py)."""

from __future__ import annotations

from datetime import datetime

from airflow.sdk import DAG

from airflow_provider_twilio.operators.voice import TwilioCallOperator

FIRST = "+15551230061"
SECOND = "+15551230062"

with DAG(dag_id="call_keypress", schedule="@once", start_date=datetime(2026, 1, 1), catchup=False, tags=["test"]):
    TwilioCallOperator(
        task_id="call",
        to=[FIRST, SECOND],
        say="The warehouse load failed.",
        require_keypress="1",
        mode="until_acknowledged",
        timeout=20,
        poll_interval=0.5,
        retries=0,
    )
