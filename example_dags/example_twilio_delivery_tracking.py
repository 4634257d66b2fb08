"""Send a message, then wait until Twilio reports it delivered.

A 201 from Twilio only means "queued". TwilioMessageStatusSensor takes the send operator's results
and succeeds once every message is delivered, or fails naming each message that failed or was
undelivered with its Twilio error code (30003 unreachable, 30006 landline, 30007 filtered, ...).
"""

from __future__ import annotations

import datetime
from typing import Any

from airflow.providers.common.compat.sdk import DAG, task

from airflow_provider_twilio.operators.sms import TwilioSendSmsOperator
from airflow_provider_twilio.sensors.sms import TwilioMessageStatusSensor

with DAG(
    dag_id="example_twilio_delivery_tracking",
    schedule=None,
    start_date=datetime.datetime(2025, 1, 1, tzinfo=datetime.timezone.utc),
    catchup=False,
    tags=["example", "twilio"],
    doc_md=__doc__,
):
    send = TwilioSendSmsOperator(
        task_id="send",
        to=["+15551230201", "+15551230202"],
        body="Your order {{ run_id }} has shipped.",
    )

    wait_for_delivery = TwilioMessageStatusSensor(
        task_id="wait_for_delivery",
        message_sids=send.output,
        mode="reschedule",
        poke_interval=1,
        timeout=datetime.timedelta(hours=1).total_seconds(),
    )

    @task
    def report(statuses: dict[str, dict[str, Any]]) -> list[str]:
        """Where each message ended up, e.g. for an audit table."""
        lines = [f"{info['to']}: {info['status']} ({sid})" for sid, info in sorted(statuses.items())]
        print("\n".join(lines))
        return lines

    report(wait_for_delivery.output)
