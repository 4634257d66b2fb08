"""A task that fails on purpose, so its TwilioSmsNotifier failure callback texts the on-call number.

Used by tests/integration/test_send_dag.py under ``dag.test()`` against the Twilio emulator.
"""

from __future__ import annotations

from datetime import datetime

from airflow_provider_twilio.notifications.sms import TwilioSmsNotifier
from airflow_provider_twilio.operators.sms import TwilioSendSmsOperator

try:
    from airflow.sdk import DAG
except ImportError:  # Airflow 2.11
    from airflow import DAG

ON_CALL = "+15551230098"

with DAG(
    dag_id="send_failure_alert",
    schedule=None,
    start_date=datetime(2026, 1, 1),
    catchup=False,
    tags=["test"],
) as dag:
    # +15005550001 is a magic number Twilio (and the emulator) reject with 21211.
    TwilioSendSmsOperator(
        task_id="send_to_bad_number",
        to=["+15005550001"],
        body="This cannot be delivered",
        retries=0,
        on_failure_callback=TwilioSmsNotifier(to=ON_CALL, body="ALERT: {{ ti.task_id }} in {{ dag.dag_id }} failed"),
    )
