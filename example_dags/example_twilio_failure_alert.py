"""Text the on-call engineer when a task fails, with TwilioSmsNotifier as ``on_failure_callback``.

The notifier's fields are templated with the callback's context, so the text can name the DAG, the
task, the run and the try. Here a data-quality check fails on purpose (the row count is below the
``min_rows`` param) to show the alert.
"""

from __future__ import annotations

import datetime

from airflow.providers.common.compat.sdk import DAG, AirflowFailException, task

from airflow_provider_twilio.notifications.sms import TwilioSmsNotifier

ON_CALL = "+15551230301"

alert_on_call = TwilioSmsNotifier(
    to=ON_CALL,
    body="Airflow: {{ ti.task_id }} in {{ ti.dag_id }} failed (run {{ run_id }}, try {{ ti.try_number }}).",
)

with DAG(
    dag_id="example_twilio_failure_alert",
    schedule=None,
    start_date=datetime.datetime(2025, 1, 1, tzinfo=datetime.timezone.utc),
    catchup=False,
    params={"min_rows": 1000},
    default_args={"retries": 0, "on_failure_callback": alert_on_call},
    tags=["example", "twilio"],
    doc_md=__doc__,
):

    @task
    def count_rows() -> int:
        """Stands in for a query against today's partition."""
        return 12

    @task
    def check_row_count(rows: int, params: dict | None = None) -> None:
        min_rows = int((params or {}).get("min_rows", 0))
        if rows < min_rows:
            raise AirflowFailException(f"Only {rows} rows loaded; expected at least {min_rows}")

    check_row_count(count_rows())
