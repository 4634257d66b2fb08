"""A send with ``lookup="line_type"`` whose first try fails (one recipient Twilio refuses) and is retried.

Used by tests/integration/test_number_hygiene_dag.py under ``dag.test()`` against the Twilio emulator:
the retry reads the line types from the task's record instead of looking them up again.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from airflow_provider_twilio.operators.sms import TwilioSendSmsOperator

try:
    from airflow.sdk import DAG
except ImportError:  # Airflow 2.11
    from airflow import DAG

with DAG(
    dag_id="send_line_types_retry",
    schedule=None,
    start_date=datetime(2026, 1, 1),
    catchup=False,
    tags=["test"],
) as dag:
    TwilioSendSmsOperator(
        task_id="send",
        to="{{ params.recipients | tojson }}",
        body="Line types once per run",
        lookup="line_type",
        retries=1,
        retry_delay=timedelta(seconds=0),
        params={"recipients": []},
    )
