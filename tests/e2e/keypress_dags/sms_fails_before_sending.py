"""A send task that fails before sending anything: its console link has nothing to show
(tests/e2e/test_keypress_real_airflow.py)."""

from __future__ import annotations

from datetime import datetime

from airflow.sdk import DAG

from airflow_provider_twilio.operators.sms import TwilioSendSmsOperator

with DAG(
    dag_id="sms_fails_before_sending",
    schedule="@once",
    start_date=datetime(2026, 1, 1),
    catchup=False,
    tags=["test"],
):
    TwilioSendSmsOperator(task_id="send", to="not a phone number", body="Hello", retries=0)
