"""Quiet hours under ``dag.test()``: recipients in four time zones, judged at a fixed moment.

At 02:00 UTC on 2025-01-15 it is 11:00 in Tokyo and 20:00 in Chicago (open), 02:00 in London (opens
08:00 UTC) and 21:00 in New York (opens 13:00 UTC); +1 555 numbers have no known time zone. The
recipients are interleaved, so every wave is spread across the list. The
windows' openings are long past, so each deferral ends at once and the next wave runs at the moment
it was due. Used by tests/integration/test_send_quiet_hours.py.
"""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from typing import Any

from airflow_provider_twilio.operators.sms import TwilioSendSmsOperator

try:
    from airflow.sdk import DAG
except ImportError:  # Airflow 2.11
    from airflow import DAG

FIXED_NOW = datetime(2025, 1, 15, 2, 0, tzinfo=timezone.utc)
PER_ZONE = 25  # over 20 recipients a wave, a retried try reconciles by scanning the log, not per recipient
TOKYO = [f"+8131234{i:04d}" for i in range(PER_ZONE)]
CHICAGO = [f"+1312555{i:04d}" for i in range(PER_ZONE)]
LONDON = [f"+44207946{i:04d}" for i in range(PER_ZONE)]
NEW_YORK = [f"+1212555{i:04d}" for i in range(PER_ZONE)]
NO_ZONE = "+15551230150"
RECIPIENTS = [number for group in zip(NEW_YORK, TOKYO, LONDON, CHICAGO, strict=True) for number in group] + [NO_ZONE]


class SendAtFixedTime(TwilioSendSmsOperator):
    """Judges quiet hours at ``FIXED_NOW``, so the waves do not depend on when the test runs."""

    def current_time(self) -> datetime:
        return FIXED_NOW


class FailsAfterFirstWave(SendAtFixedTime):
    """Try 1 dies when it resumes after its first deferral (a lost worker); try 2 goes on as usual."""

    def execute_after_quiet_hours(self, context: Any, event: Any = None) -> list[dict[str, Any]]:
        if context["ti"].try_number == 1:
            raise RuntimeError("worker lost after the first wave")
        return super().execute_after_quiet_hours(context, event)


def quiet_dag(dag_id: str, operator: type[TwilioSendSmsOperator], **kwargs: Any) -> DAG:
    with DAG(
        dag_id=dag_id,
        schedule=None,
        start_date=datetime(2025, 1, 1),
        catchup=False,
        tags=["test"],
    ) as dag:
        operator(
            task_id="send",
            to=RECIPIENTS,
            body=f"Your parcel arrives tomorrow ({dag_id})",
            quiet_hours=("21:00", "08:00"),
            **kwargs,
        )
    return dag


defer_dag = quiet_dag("send_quiet_hours_defer", SendAtFixedTime, retries=0)
skip_dag = quiet_dag("send_quiet_hours_skip", SendAtFixedTime, retries=0, quiet_hours_policy="skip")
retry_dag = quiet_dag(
    "send_quiet_hours_retry", FailsAfterFirstWave, retries=1, retry_delay=timedelta(seconds=0), fail_on_error=False
)
