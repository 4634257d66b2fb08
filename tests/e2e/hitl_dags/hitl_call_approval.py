"""An approval asked on the phone: the first person presses 1 (tests/e2e/test_hitl_pull_and_call.py)."""

from __future__ import annotations

from datetime import datetime

from airflow.providers.standard.operators.hitl import ApprovalOperator
from airflow.sdk import DAG, task

from airflow_provider_twilio.notifications.hitl_call import TwilioHITLCallNotifier

FIRST, SECOND = "+15551230083", "+15551230084"

with DAG(dag_id="hitl_call_approval", schedule=None, start_date=datetime(2026, 1, 1), catchup=False, tags=["test"]):
    approve = ApprovalOperator(
        task_id="approve_deploy",
        subject="Deploy 2.4.1 to production?",
        notifiers=[
            TwilioHITLCallNotifier(
                to=[FIRST, SECOND],
                respondents={FIRST: "alice", SECOND: "bob"},
                timeout=20,
                poll_interval=0.5,
                conn_id="twilio_calls",
            )
        ],
        assigned_users=[{"id": "alice", "name": "Alice"}, {"id": "bob", "name": "Bob"}],
    )

    @task
    def deploy() -> str:
        return "deployed"

    approve >> deploy()
