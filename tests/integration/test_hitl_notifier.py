"""TwilioHITLNotifier inside a HITL task: registers who may answer, texts the request once, and a reply answers it."""

from __future__ import annotations

import itertools
from collections.abc import Iterator
from typing import Any

import pytest

from tests.support.hitl_db import ALICE, BOB, NUMBER, hitl_supported

pytestmark = [
    pytest.mark.every_line,
    pytest.mark.skipif(not hitl_supported(), reason="Airflow's human-in-the-loop operators need 3.1+"),
]

_runs = itertools.count()


@pytest.fixture
def run(airflow_db: Any, twilio_emulator: Any) -> Iterator[tuple[Any, str]]:
    from airflow.models.hitl import HITLDetail
    from airflow.models.taskinstance import TaskInstance
    from airflow.utils.session import create_session
    from sqlalchemy import delete, select

    from tests.support.hitl_db import create_run

    run_id = f"hitl_notifier_{next(_runs)}"
    yield create_run(run_id), run_id
    with create_session() as session:
        ids = select(TaskInstance.id).where(TaskInstance.run_id == run_id)
        session.execute(delete(HITLDetail).where(HITLDetail.ti_id.in_(ids)))


def sent(emulator: Any) -> list[dict[str, Any]]:
    return [m for m in emulator.messages() if m["direction"] != "inbound"]


def test_the_request_is_texted_once_per_try_and_a_reply_with_its_reference_answers(
    run: tuple[Any, str], twilio_emulator: Any
) -> None:
    from airflow_provider_twilio.answers.outcome import Result
    from airflow_provider_twilio.answers.pending import pending_requests_for
    from airflow_provider_twilio.answers.resolve import answer_by_text
    from airflow_provider_twilio.hitl.references import reference_for
    from airflow_provider_twilio.notifications.hitl import TwilioHITLNotifier
    from tests.support.hitl_db import hitl_row, set_state, write_request

    dag, run_id = run
    ti, context = write_request(dag, run_id, "approve")
    notifier = TwilioHITLNotifier(
        to=[ALICE, BOB], respondents={ALICE: "alice", BOB: "bob"}, base_url="https://airflow.test"
    )
    notifier(context)
    notifier(context)  # callbacks can fire twice: the second finds its texts sent

    reference = reference_for(str(ti.id))
    messages = sent(twilio_emulator)
    assert sorted(m["to"] for m in messages) == [ALICE, BOB]
    assert {m["from"] for m in messages} == {NUMBER}
    assert messages[0]["body"].splitlines() == [
        "Deploy 2.4.1 to production?",
        "1 Approve",
        "2 Reject",
        f"Reply with a number or an option. Ref #{reference}",
        f"https://airflow.test/dags/hitl_requests/runs/{run_id}/tasks/approve/required_actions?map_index=-1",
    ]
    (request,) = pending_requests_for("twilio_default", BOB)
    assert (request.respondents, request.sender, request.reference) == (
        {ALICE: "alice", BOB: "bob"},
        NUMBER,
        reference,
    )

    set_state(ti)
    outcome = answer_by_text(
        "twilio_default", from_number=BOB, to_number=NUMBER, body=f"#{reference} reject", message_sid="SM" + "b" * 32
    )
    assert outcome.result is Result.ANSWERED
    assert hitl_row(ti.id).responded_by == {"id": "bob", "name": "bob"}


def test_without_respondents_the_recipients_answer_as_themselves(run: tuple[Any, str], twilio_emulator: Any) -> None:
    from airflow_provider_twilio.answers.pending import pending_requests_for
    from airflow_provider_twilio.notifications.hitl import TwilioHITLNotifier
    from tests.support.hitl_db import write_request

    dag, run_id = run
    _, context = write_request(dag, run_id, "pick")
    TwilioHITLNotifier(to=ALICE, max_segments=2)(context)
    (request,) = pending_requests_for("twilio_default", ALICE)
    assert request.respondents == {ALICE: ALICE} and request.multiple
    assert "several separated by commas" in sent(twilio_emulator)[0]["body"]


def test_a_request_that_cannot_fit_max_segments_sends_nothing(run: tuple[Any, str], twilio_emulator: Any) -> None:
    from airflow_provider_twilio.exceptions import TwilioInputError
    from airflow_provider_twilio.notifications.hitl import TwilioHITLNotifier
    from tests.support.hitl_db import write_request

    dag, run_id = run
    _, context = write_request(dag, run_id, "approve")
    context["task"].subject = "Deploy? " * 30
    with pytest.raises(TwilioInputError, match="max_segments=1"):
        TwilioHITLNotifier(to=ALICE, max_segments=1)(context)
    assert sent(twilio_emulator) == []


def test_outside_a_hitl_task_it_says_where_it_belongs() -> None:
    from airflow_provider_twilio.notifications.hitl import TwilioHITLNotifier

    with pytest.raises(ValueError, match="human-in-the-loop operator"):
        TwilioHITLNotifier(to=ALICE).notify({"task": object()})


def test_a_respondent_who_replied_stop_makes_the_notifier_fail_after_texting_the_others(
    run: tuple[Any, str], twilio_emulator: Any
) -> None:
    from airflow_provider_twilio.exceptions import ErrorType, TwilioSendError
    from airflow_provider_twilio.notifications.hitl import TwilioHITLNotifier
    from tests.support.hitl_db import write_request

    dag, run_id = run
    _, context = write_request(dag, run_id, "approve")
    twilio_emulator.inject_inbound(from_=BOB, to=NUMBER, body="STOP")
    with pytest.raises(TwilioSendError) as info:
        TwilioHITLNotifier(to=[ALICE, BOB])(context)
    assert info.value.error_type is ErrorType.RECIPIENT_OPTED_OUT_ERROR and BOB in str(info.value)
    assert [m["to"] for m in sent(twilio_emulator) if m["direction"] == "outbound-api"] == [ALICE]
