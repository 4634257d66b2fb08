"""A HITL request answered by text, on the Twilio tab: the reply, the answer and the confirmation text.

The request is made as Airflow makes it (``tests/support/hitl_db.py``); alice's text is received by the
emulator and answered through the provider's resolver; the view reads the run's XComs and the
connection's log through Airflow's api-server app.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from tests.support.hitl_db import ALICE, NUMBER, hitl_supported

pytestmark = pytest.mark.skipif(not hitl_supported(), reason="Airflow's human-in-the-loop operators need 3.1+")


@pytest.fixture
def answered_run(airflow_db: Any, twilio_emulator: Any) -> Iterator[str]:
    from airflow.models.hitl import HITLDetail
    from airflow.models.taskinstance import TaskInstance
    from airflow.utils.session import create_session
    from sqlalchemy import delete, select

    from airflow_provider_twilio.answers.resolve import answer_by_text
    from tests.support.hitl_db import create_run, park

    run_id = "ui_hitl_answered"
    dag = create_run(run_id)
    park(dag, run_id, "approve", {ALICE: "alice"})
    text = twilio_emulator.inject_inbound(ALICE, NUMBER, "approve")
    answer_by_text("twilio_default", from_number=ALICE, to_number=NUMBER, body="approve", message_sid=text["sid"])
    yield run_id
    with create_session() as session:
        ids = select(TaskInstance.id).where(TaskInstance.run_id == run_id)
        session.execute(delete(HITLDetail).where(HITLDetail.ti_id.in_(ids)))


def test_the_reply_and_the_answer_by_sms_are_on_the_tab(answered_run: str) -> None:
    from fastapi.testclient import TestClient

    from tests.support.hitl_db import DAG_ID
    from tests.support.ui_api import api_server_app, bearer

    with TestClient(api_server_app()) as client:
        response = client.get(f"/twilio/ui/api/runs/{DAG_ID}/{answered_run}", headers=bearer("vera", "viewer"))
    assert response.status_code == 200, response.text
    events = response.json()["events"]
    (reply,) = [e for e in events if e["kind"] == "reply"]
    assert (reply["from"], reply["body"], reply["matched"]) == ("+1555•••0001", "approve", True)
    assert reply["match_groups"] == {"chosen": ["Approve"]}
    (answer,) = [e for e in events if e["kind"] == "hitl_answer"]
    assert (answer["task_id"], answer["via"], answer["chosen"]) == ("approve", "sms", ["Approve"])
    assert answer["user"] == "alice"
    (confirmation,) = [e for e in events if e["kind"] == "message"]
    assert confirmation["body"] == "Recorded: Approve for 'Deploy 2.4.1 to production?'"
    assert confirmation["to"] == "+1555•••0001"
