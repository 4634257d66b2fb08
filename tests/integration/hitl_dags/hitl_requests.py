"""HITL requests whose task instances the resolver tests put in the metadata DB by hand (Airflow 3.1+)."""

from __future__ import annotations

from datetime import datetime

from airflow.providers.standard.operators.hitl import ApprovalOperator, HITLBranchOperator, HITLOperator
from airflow.sdk import DAG

with DAG("hitl_requests", start_date=datetime(2025, 1, 1), schedule=None, catchup=False):
    ApprovalOperator(task_id="approve", subject="Deploy 2.4.1 to production?")
    ApprovalOperator(
        task_id="approve_assigned",
        subject="Rotate the keys?",
        assigned_users=[{"id": "alice", "name": "Alice"}],
    )
    ApprovalOperator(task_id="approve_other", subject="Scale up?")
    HITLOperator(task_id="pick", subject="Which regions?", options=["EU", "US", "APAC"], multiple=True)
    HITLBranchOperator(task_id="branch", subject="Where to?", options=["eu", "us", "none"])
