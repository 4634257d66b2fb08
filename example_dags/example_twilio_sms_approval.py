"""Ask a person to approve a deploy by SMS and act on the reply.

The approver gets "Reply YES <code> to deploy <version>". A deferrable TwilioInboundSmsSensor waits in
the triggerer (no worker slot held) for ``^(?P<answer>YES|NO) (?P<code>\\d{4})$`` from that number,
answers the sender with a confirmation, and pushes the match groups to XCom. A branch then deploys only
on YES with the code that was sent.
"""

from __future__ import annotations

import datetime
from typing import Any

from airflow.providers.common.compat.sdk import DAG, task

from airflow_provider_twilio.operators.sms import TwilioSendSmsOperator
from airflow_provider_twilio.sensors.sms import TwilioInboundSmsSensor

APPROVER = "+15551230001"
REPLY_PATTERN = r"^(?P<answer>YES|NO) (?P<code>\d{4})$"

with DAG(
    dag_id="example_twilio_sms_approval",
    schedule=None,
    start_date=datetime.datetime(2025, 1, 1, tzinfo=datetime.timezone.utc),
    catchup=False,
    params={"version": "2.4.1", "code": "4821"},
    tags=["example", "twilio"],
    doc_md=__doc__,
):
    ask_approver = TwilioSendSmsOperator(
        task_id="ask_approver",
        to=APPROVER,
        body="Reply YES {{ params.code }} to deploy {{ params.version }} (or NO {{ params.code }} to stop it).",
    )

    wait_for_reply = TwilioInboundSmsSensor(
        task_id="wait_for_reply",
        pattern=REPLY_PATTERN,
        from_=APPROVER,
        ignore_case=True,
        echo="Got it: ${answer} for ${code}.",
        echo_error="Sorry, please reply YES or NO followed by the 4-digit code.",
        deferrable=True,
        poke_interval=2,
        timeout=datetime.timedelta(hours=4).total_seconds(),
    )

    @task.branch
    def decide(reply: dict[str, Any], params: dict[str, Any] | None = None) -> str:
        """Deploy only on YES with the code this run sent; anything else holds the release."""
        groups = reply["match_groups"]
        expected_code = str((params or {}).get("code"))
        approved = groups["answer"].upper() == "YES" and groups["code"] == expected_code
        return "deploy" if approved else "hold"

    @task
    def deploy(params: dict[str, Any] | None = None) -> str:
        version = str((params or {}).get("version"))
        print(f"Deploying {version}")
        return version

    @task
    def hold(reply: dict[str, Any]) -> str:
        print(f"Not deploying: the approver answered {reply['message']['body']!r}")
        return reply["match_groups"]["answer"]

    ask_approver >> wait_for_reply
    decide(wait_for_reply.output) >> [deploy(), hold(wait_for_reply.output)]
