"""HITL requests answered by text through the webhook receiver; each DAG has its own people's phones."""

from __future__ import annotations

from datetime import datetime

from airflow.providers.standard.operators.hitl import ApprovalOperator, HITLBranchOperator
from airflow.sdk import DAG, task

from airflow_provider_twilio.notifications.hitl import TwilioHITLNotifier

START = datetime(2025, 1, 1)


@task
def deployed() -> str:
    return "deployed"


def approval(dag_id: str, respondents: dict[str, str], **kwargs: object) -> None:
    with DAG(dag_id, start_date=START, schedule=None, catchup=False, params={"version": "2.4.1"}):
        approve = ApprovalOperator(
            task_id="approve",
            subject="Deploy {{ params.version }} to production?",
            body="**Canary** error rate: 0.1%",
            notifiers=[TwilioHITLNotifier(to=list(respondents), respondents=respondents)],
            **kwargs,
        )
        approve >> deployed()


approval(
    "hitl_text_approve",
    {"+15551230101": "alice", "+15551230102": "bob"},
    assigned_users=[{"id": "alice", "name": "Alice"}, {"id": "bob", "name": "Bob"}],
)
approval("hitl_text_strangers", {"+15551230111": "dave"})
approval("hitl_text_ui_first", {"+15551230121": "erin"})
approval("hitl_text_concurrent", {"+15551230131": "frank"})
approval("hitl_text_fast", {"+15551230141": "gina"})

with DAG("hitl_text_branch", start_date=START, schedule=None, catchup=False):
    choose = HITLBranchOperator(
        task_id="choose",
        subject="Where should the release go?",
        options=["eu", "us", "apac"],
        notifiers=[TwilioHITLNotifier(to="+15551230151", respondents={"+15551230151": "carol"})],
    )

    @task
    def eu() -> str:
        return "eu"

    @task
    def us() -> str:
        return "us"

    @task
    def apac() -> str:
        return "apac"

    choose >> [eu(), us(), apac()]
