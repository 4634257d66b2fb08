"""Nobody acknowledges: one person presses 2, the next presses nothing (tests/e2e/test_keypress_real_airflow.py).

Triggered by the test once the ``call_keypress`` checks are done, so its keypress is not among theirs.
"""

from __future__ import annotations

from datetime import datetime

from airflow.sdk import DAG

from airflow_provider_twilio.operators.voice import TwilioCallOperator

PRESSES_2 = "+15551230064"
SILENT = "+15551230065"

with DAG(
    dag_id="call_keypress_unacknowledged",
    schedule=None,
    start_date=datetime(2026, 1, 1),
    catchup=False,
    tags=["test"],
):
    TwilioCallOperator(
        task_id="call",
        to=[PRESSES_2, SILENT],
        say="The warehouse load failed.",
        require_keypress="1",
        timeout=20,
        poll_interval=0.5,
        retries=0,
    )
