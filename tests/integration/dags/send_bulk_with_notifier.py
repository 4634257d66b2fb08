"""Sends one message to every recipient in the run's conf and texts an on-call number when done.

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

ON_CALL = "+15551230099"

with DAG(
    dag_id="send_bulk_with_notifier",
    schedule=None,
    start_date=datetime(2026, 1, 1),
    catchup=False,
    params={"recipients": [], "body": "Service notice"},
    render_template_as_native_obj=False,
    tags=["test"],
) as dag:
    TwilioSendSmsOperator(
        task_id="send",
        to="{{ params.recipients | tojson }}",
        body="{{ params.body }} ({{ dag.dag_id }})",
        max_concurrency=10,
        retries=0,
        on_success_callback=TwilioSmsNotifier(
            to=ON_CALL,
            body="{{ ti.task_id }} in {{ dag.dag_id }} finished: {{ ti.xcom_pull(task_ids=ti.task_id) | length }} sent",
        ),
    )
