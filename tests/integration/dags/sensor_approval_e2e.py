"""Ask for approval by SMS, wait for the answer in the triggerer, branch on it.

The pattern is templated, so the reply must carry the code this run sent; the emulator's auto reply
plays the approver.
"""

from __future__ import annotations

from datetime import datetime, timezone
from typing import Any

from airflow.providers.common.compat.sdk import DAG, task

from airflow_provider_twilio.operators.sms import TwilioSendSmsOperator
from airflow_provider_twilio.sensors.sms import TwilioInboundSmsSensor

APPROVER = "+15551230001"

with DAG(
    dag_id="sensor_approval_e2e",
    schedule=None,
    start_date=datetime(2026, 1, 1, tzinfo=timezone.utc),
    catchup=False,
    params={"code": "4821", "version": "v1.2.3"},
    tags=["test"],
):
    ask = TwilioSendSmsOperator(
        task_id="ask",
        to=APPROVER,
        body="Reply YES {{ params.code }} to deploy {{ params.version }}, or NO {{ params.code }}.",
    )
    wait = TwilioInboundSmsSensor(
        task_id="wait",
        pattern=r"^(?P<answer>YES|NO) {{ params.code }}$",
        from_="{{ ti.xcom_pull(task_ids='ask') }}",  # the send results, rendered to a string
        ignore_case=True,
        echo="Got it: ${answer} for {{ params.version }}.",
        deferrable=True,
        poke_interval=0.5,
        timeout=60,
    )

    @task.branch
    def decide(**context: Any) -> str:
        groups = context["ti"].xcom_pull(task_ids="wait", key="match_groups")
        return "deploy" if groups["answer"].upper() == "YES" else "halt"

    @task
    def deploy(**context: Any) -> str:
        return context["params"]["version"]

    @task
    def halt() -> str:
        return "halted"

    ask >> wait >> decide() >> [deploy(), halt()]
