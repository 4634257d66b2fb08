"""A one-task DAG whose deferrable inbound sensor is handed to a real ``airflow triggerer`` process."""

from __future__ import annotations

from datetime import datetime, timezone

from airflow.providers.common.compat.sdk import DAG

from airflow_provider_twilio.sensors.sms import TwilioInboundSmsSensor

DAG_ID = "real_triggerer_inbound"
TASK_ID = "wait"
PATTERN = r"^(?P<answer>YES|NO) (?P<code>\d{4})$"
ECHO_ERROR = "Sorry, '${body}' is not an answer. Reply YES or NO and the code."

with DAG(
    dag_id=DAG_ID,
    schedule=None,
    start_date=datetime(2026, 1, 1, tzinfo=timezone.utc),
    catchup=False,
    tags=["test"],
):
    TwilioInboundSmsSensor(
        task_id=TASK_ID,
        pattern=PATTERN,
        from_="+15551230971",
        ignore_case=True,
        echo_error=ECHO_ERROR,
        deferrable=True,
        poke_interval=0.5,
        timeout=120,
    )
