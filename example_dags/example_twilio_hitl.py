"""Approve a deploy from your phone: Airflow's own ApprovalOperator, texted by TwilioHITLNotifier.

Airflow 3.1+ (human-in-the-loop operators). The notifier texts alice and bob the request: the subject,
the body as plain text, "1 Approve / 2 Reject", how to answer, a short reference and the Required
Actions link (when ``[api] base_url`` is set). A reply "approve" (or "1") from alice answers as the
Airflow user ``alice``, exactly as if she had clicked in the UI, and is confirmed by text; a reply
from anyone else records nothing. Whoever answers first, in the UI or by text, wins.

Replies reach Airflow through the provider's webhook receiver on Airflow 3.3+: point the number's
"A message comes in" webhook at ``https://<api-server>/twilio/twilio_default/sms`` (docs/webhooks.md).
Without a public URL, the api-server reads the replies from Twilio instead (Airflow 3.1+).

``example_twilio_hitl_call`` asks the same on the phone: ``TwilioHITLCallNotifier`` calls alice, then
bob, says the subject and "Press 1 for Approve, 2 for Reject", and the key answers (Airflow 3.3+, the
connection's ``webhook_base_url`` reachable by Twilio, ``[api] secret_key`` set alike everywhere).
See docs/hitl.md.
"""

from __future__ import annotations

import datetime

from airflow_provider_twilio.notifications.hitl import HITL_AVAILABLE, TwilioHITLCallNotifier, TwilioHITLNotifier

ON_CALL = {"+15551230001": "alice", "+15551230002": "bob"}
ASSIGNED = [{"id": "alice", "name": "Alice"}, {"id": "bob", "name": "Bob"}]
"""The Airflow users who may answer; each phone in ON_CALL answers as one of them."""
DAG_ARGS = {
    "schedule": None,
    "start_date": datetime.datetime(2025, 1, 1, tzinfo=datetime.timezone.utc),
    "catchup": False,
    "params": {"version": "2.4.1"},
    "tags": ["example", "twilio"],
    "doc_md": __doc__,
}

if HITL_AVAILABLE:  # Airflow 2.11 and 3.0 have no human-in-the-loop operators: nothing to define there
    from airflow.providers.standard.operators.hitl import ApprovalOperator
    from airflow.sdk import DAG, task

    with DAG(dag_id="example_twilio_hitl", **DAG_ARGS):

        @task
        def canary() -> str:
            return "0.1%"

        approve = ApprovalOperator(
            task_id="approve_deploy",
            subject="Deploy {{ params.version }} to production?",
            body="Canary error rate: **{{ ti.xcom_pull(task_ids='canary') }}**",
            notifiers=[TwilioHITLNotifier(to=list(ON_CALL), respondents=ON_CALL)],
            assigned_users=ASSIGNED,
            response_timeout=datetime.timedelta(hours=1),
        )

        @task
        def deploy() -> str:
            return "deployed"

        canary() >> approve >> deploy()

    with DAG(dag_id="example_twilio_hitl_call", **DAG_ARGS):
        approve_by_call = ApprovalOperator(
            task_id="approve_deploy",
            subject="Deploy {{ params.version }} to production?",
            notifiers=[TwilioHITLCallNotifier(to=list(ON_CALL), respondents=ON_CALL)],
            assigned_users=ASSIGNED,
            response_timeout=datetime.timedelta(hours=1),
        )

        @task
        def deploy_after_call() -> str:
            return "deployed"

        approve_by_call >> deploy_after_call()
