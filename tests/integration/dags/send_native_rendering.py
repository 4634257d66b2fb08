"""A DAG with ``render_template_as_native_obj=True``: "{{ params.rows }}" renders as an int, and a short
code from a param as an int too. The operator sends them as the text they stand for.

Native rendering would also turn a bare "+15551230097" into an int (the '+' lost), so ``to`` is given as
a JSON list, which renders to a list of strings.

Used by tests/integration/test_send_dag.py under ``dag.test()`` against the Twilio emulator.
"""

from __future__ import annotations

from datetime import datetime

from airflow_provider_twilio.operators.sms import TwilioSendSmsOperator

try:
    from airflow.sdk import DAG
except ImportError:  # Airflow 2.11
    from airflow import DAG

with DAG(
    dag_id="send_native_rendering",
    schedule=None,
    start_date=datetime(2026, 1, 1),
    catchup=False,
    render_template_as_native_obj=True,
    params={"rows": 1204, "short_code": "89898"},
    tags=["test"],
) as dag:
    TwilioSendSmsOperator(
        task_id="send_row_count",
        to='["+15551230097"]',
        from_="{{ params.short_code }}",
        body="{{ params.rows }}",
        retries=0,
    )
