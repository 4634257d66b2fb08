"""Calls the on-call engineer, then the backup, until a human answers.

Used by tests/integration/test_call_dag.py: try 1 runs under ``dag.test()`` in a process that is
killed while the first call rings; try 2 must not ring the first person again.
"""

from __future__ import annotations

from datetime import datetime

from airflow_provider_twilio.operators.voice import TwilioCallOperator

try:
    from airflow.sdk import DAG
except ImportError:  # Airflow 2.11
    from airflow import DAG

ON_CALL = "+15551230051"
BACKUP = "+15551230052"

with DAG(
    dag_id="call_escalation",
    schedule=None,
    start_date=datetime(2026, 1, 1),
    catchup=False,
    tags=["test"],
) as dag:
    TwilioCallOperator(
        task_id="call",
        to=[ON_CALL, BACKUP],
        say="The warehouse load failed.",
        timeout=3,
        poll_interval=0.2,
        retries=0,
    )
