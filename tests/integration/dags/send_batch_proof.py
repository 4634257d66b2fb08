"""A batch of 1,000 with every reason not to text someone: opt-outs, landlines and four time zones.

Judged at 22:30 UTC on 2025-01-15 under quiet hours 21:00-08:00: 16:30 in Chicago and 17:30 in New
York (open), 07:30 in Tokyo (opens 23:00 UTC) and 22:30 in London (opens 08:00 UTC next day). The
landlines are the emulator's magic numbers ``+150055511NN``; ``+1 500`` may be anywhere in North
America, and every one of those zones is open from 22:00 to 00:30 UTC, so they are looked up in the
first wave. The windows' openings are long past, so each deferral ends at once. Used by
tests/integration/test_send_batch_proof.py, which makes 5% of the phones reply STOP first.
"""

from __future__ import annotations

from datetime import datetime, timezone

from airflow_provider_twilio.emulator.simulation.line_types import magic_number
from airflow_provider_twilio.operators.sms import TwilioSendSmsOperator

try:
    from airflow.sdk import DAG
except ImportError:  # Airflow 2.11
    from airflow import DAG

FIXED_NOW = datetime(2025, 1, 15, 22, 30, tzinfo=timezone.utc)
PER_ZONE = 225
CHICAGO = [f"+1312555{i:04d}" for i in range(PER_ZONE)]
NEW_YORK = [f"+1212555{i:04d}" for i in range(PER_ZONE)]
TOKYO = [f"+8131234{i:04d}" for i in range(PER_ZONE)]
LONDON = [f"+44207946{i:04d}" for i in range(PER_ZONE)]
LANDLINES = [magic_number("landline", i) for i in range(100)]  # 10%
ZONED = [number for group in zip(NEW_YORK, TOKYO, LONDON, CHICAGO, strict=True) for number in group]
# Nine zoned numbers, then a landline: every reason is spread across the whole list.
RECIPIENTS = [number for i, landline in enumerate(LANDLINES) for number in (*ZONED[9 * i : 9 * i + 9], landline)]


class SendAtFixedTime(TwilioSendSmsOperator):
    """Judges quiet hours at ``FIXED_NOW``, so the waves do not depend on when the test runs."""

    def current_time(self) -> datetime:
        return FIXED_NOW


def proof_dag(dag_id: str, policy: str) -> DAG:
    with DAG(dag_id=dag_id, schedule=None, start_date=datetime(2025, 1, 1), catchup=False, tags=["test"]) as dag:
        SendAtFixedTime(
            task_id="send",
            to=RECIPIENTS,
            body=f"Your appointment is tomorrow ({dag_id})",
            quiet_hours=("21:00", "08:00"),
            quiet_hours_policy=policy,
            lookup="line_type",
            max_concurrency=20,
            retries=0,
        )
    return dag


defer_dag = proof_dag("send_batch_proof_defer", "defer")
skip_dag = proof_dag("send_batch_proof_skip", "skip")
