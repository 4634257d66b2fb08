"""Send SMS, MMS and WhatsApp messages with TwilioSendSmsOperator.

- A templated SMS to a list of recipients that an upstream task returns (XCom).
- An MMS: a picture with a caption.
- A WhatsApp message from an approved Content template, its variables templated.

Each send returns one result per recipient (``to``, ``sid``, ``status``, ``num_segments`` and the error
fields), which the last task reads. The connection ``twilio_default`` supplies the default sender.

The texts name the run's day without ``{{ ds }}``: on Airflow 3 a run triggered by hand (UI, CLI or REST
API) has no logical date, and ``ds`` is then undefined. ``RUN_DAY`` falls back to ``run_after``, when
the run was triggered.
"""

from __future__ import annotations

import datetime
from typing import Any

from airflow.providers.common.compat.sdk import DAG, task

from airflow_provider_twilio.operators.sms import TwilioSendSmsOperator

# The logical date's day, or for a manual Airflow 3 run (which has none) the day it was triggered.
RUN_DAY = "{{ (dag_run.logical_date or dag_run.run_after) | ds }}"

with DAG(
    dag_id="example_twilio_send_sms",
    schedule=None,
    start_date=datetime.datetime(2025, 1, 1, tzinfo=datetime.timezone.utc),
    catchup=False,
    params={"rows": 1204, "report_url": "https://reports.example.com/nightly"},
    tags=["example", "twilio"],
    doc_md=__doc__,
):

    @task
    def on_call_numbers() -> list[str]:
        """Who to tell; in a real DAG this comes from a roster, a table or a Variable."""
        return ["+15551230101", "+15551230102", "+15551230103"]

    notify_on_call = TwilioSendSmsOperator(
        task_id="notify_on_call",
        to=on_call_numbers(),
        body="Nightly load " + RUN_DAY + " finished: {{ params.rows }} rows. Report: {{ params.report_url }}",
    )

    send_chart = TwilioSendSmsOperator(
        task_id="send_chart",
        to="+15551230104",
        body="Today's load chart (" + RUN_DAY + ")",
        media_url=["https://demo.twilio.com/owl.png"],
    )

    send_whatsapp = TwilioSendSmsOperator(
        task_id="send_whatsapp",
        to="whatsapp:+15551230105",
        from_="whatsapp:+15005550006",
        content_sid="HXb5b62575e6e4ff6129ad7c8efe1f983e",
        content_variables={"1": RUN_DAY, "2": "{{ params.rows }}"},
    )

    @task
    def summarize(*batches: list[dict[str, Any]]) -> dict[str, str]:
        """One line per message: the recipient and where its message stands."""
        return {result["to"]: f"{result['status']} {result['sid']}" for batch in batches for result in batch}

    summarize(notify_on_call.output, send_chart.output, send_whatsapp.output)
