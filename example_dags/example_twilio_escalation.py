"""Escalate an alert until a person acknowledges it: text first, then phone calls.

1. Text the on-call engineer: "Reply ACK".
2. Wait up to 60 seconds (``ACK_TIMEOUT``) for "ACK" from that number (``TwilioInboundSmsSensor``).
   If it comes, nobody is called. The wait is short so that a trial run reaches the calls within a
   minute; a real rotation gives people longer (10 to 15 minutes is common).
3. If it does not come in time, call the on-call engineer, then the backup, one at a time, until a
   human answers (answering machines do not count). If nobody does, the task fails naming every call
   and what happened on it.

A retried ``call_until_answered`` never rings someone this run already called: it follows those calls.
"""

from __future__ import annotations

import datetime

from airflow.providers.common.compat.sdk import DAG

from airflow_provider_twilio.operators.sms import TwilioSendSmsOperator
from airflow_provider_twilio.operators.voice import TwilioCallOperator
from airflow_provider_twilio.sensors.sms import TwilioInboundSmsSensor

ON_CALL = "+15551230001"
BACKUP = "+15551230002"
ACK_TIMEOUT = datetime.timedelta(seconds=60)

with DAG(
    dag_id="example_twilio_escalation",
    schedule=None,
    start_date=datetime.datetime(2025, 1, 1, tzinfo=datetime.timezone.utc),
    catchup=False,
    params={"alert": "Warehouse load failed"},
    tags=["example", "twilio"],
    doc_md=__doc__,
):
    text_on_call = TwilioSendSmsOperator(
        task_id="text_on_call",
        to=ON_CALL,
        body="ALERT: {{ params.alert }}. Reply ACK to take it.",
    )

    wait_for_ack = TwilioInboundSmsSensor(
        task_id="wait_for_ack",
        pattern=r"^\s*ACK\b",
        from_=ON_CALL,
        ignore_case=True,
        poke_interval=10,
        timeout=ACK_TIMEOUT.total_seconds(),
        soft_fail=True,  # no ACK in time: skipped, which starts the calls
    )

    call_until_answered = TwilioCallOperator(
        task_id="call_until_answered",
        to=[ON_CALL, BACKUP],
        say="Alert: {{ params.alert }}. Nobody acknowledged the text message. Please check it now.",
        voice="Polly.Joanna",
        language="en-US",
        loop=2,
        mode="until_acknowledged",
        timeout=25,
        time_limit=120,
        fail_on_error=True,
        retries=2,
        trigger_rule="all_skipped",  # only when the ACK did not come
    )

    text_on_call >> wait_for_ack >> call_until_answered
