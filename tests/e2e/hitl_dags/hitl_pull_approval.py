"""An approval answered by text with no webhook: the api-server reads the reply (test_hitl_pull_and_call.py)."""

from __future__ import annotations

from datetime import datetime

from airflow.providers.standard.operators.hitl import ApprovalOperator
from airflow.sdk import DAG, task

from airflow_provider_twilio.notifications.hitl import TwilioHITLNotifier

ALICE, BOB = "+15551230081", "+15551230082"

with DAG(dag_id="hitl_pull_approval", schedule=None, start_date=datetime(2026, 1, 1), catchup=False, tags=["test"]):
    approve = ApprovalOperator(
        task_id="approve_deploy",
        subject="Deploy 2.4.1 to production?",
        body="Canary error rate: **0.1%**",
        notifiers=[TwilioHITLNotifier(to=[ALICE, BOB], respondents={ALICE: "alice", BOB: "bob"})],
        assigned_users=[{"id": "alice", "name": "Alice"}, {"id": "bob", "name": "Bob"}],
    )

    @task
    def deploy() -> str:
        return "deployed"

    approve >> deploy()
