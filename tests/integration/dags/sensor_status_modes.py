"""Delivery tracking DAGs for the integration tests, one per sensor mode.

``delivered`` waits on two ordinary numbers, given as the send task's XCom rendered to a string;
``undelivered`` waits on the emulator's unreachable number (30003) given as the XComArg itself.
"""

from __future__ import annotations

from datetime import datetime, timezone

from airflow.providers.common.compat.sdk import DAG

from airflow_provider_twilio.operators.sms import TwilioSendSmsOperator
from airflow_provider_twilio.sensors.sms import TwilioMessageStatusSensor

DELIVERABLE = ["+15551230101", "+15551230102"]
UNREACHABLE = "+15005550010"


def delivery_dag(mode: str) -> DAG:
    waiting = {
        "mode": "reschedule" if mode == "reschedule" else "poke",
        "deferrable": mode == "deferrable",
        "poke_interval": 0.2,
        "timeout": 60,
    }
    with DAG(
        dag_id=f"sensor_status_{mode}",
        schedule=None,
        start_date=datetime(2026, 1, 1, tzinfo=timezone.utc),
        catchup=False,
        tags=["test"],
    ) as dag:
        send_ok = TwilioSendSmsOperator(task_id="send_ok", to=DELIVERABLE, body="Your order shipped")
        send_bad = TwilioSendSmsOperator(task_id="send_bad", to=[UNREACHABLE, "+15551230103"], body="Hello")
        send_ok >> TwilioMessageStatusSensor(
            task_id="delivered", message_sids="{{ ti.xcom_pull(task_ids='send_ok') }}", **waiting
        )
        TwilioMessageStatusSensor(task_id="undelivered", message_sids=send_bad.output, **waiting)
    return dag


poke_dag = delivery_dag("poke")
reschedule_dag = delivery_dag("reschedule")
deferrable_dag = delivery_dag("deferrable")
