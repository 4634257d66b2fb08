"""Answering Airflow HITL requests by text and keypress, on a real metadata DB, replies through the emulator.

The requests are made as Airflow makes them (``tests/support/hitl_db.py``); the resolver writes the
response with Airflow's own models and resumes the task as Airflow's REST API does.
"""

from __future__ import annotations

import itertools
import threading
from collections.abc import Iterator
from typing import Any

import pytest

from tests.support.hitl_db import ALICE, BOB, CAROL, NUMBER, STRANGER, hitl_supported

pytestmark = [
    pytest.mark.every_line,
    pytest.mark.skipif(not hitl_supported(), reason="Airflow's human-in-the-loop operators need 3.1+"),
]

RESPONDENTS = {ALICE: "alice", BOB: "bob"}
_runs = itertools.count()
_sids = itertools.count()


def sid() -> str:
    return f"SM{next(_sids):032x}"


@pytest.fixture
def run(airflow_db: Any, twilio_emulator: Any) -> Iterator[tuple[Any, str]]:
    from airflow.models.hitl import HITLDetail
    from airflow.models.taskinstance import TaskInstance
    from airflow.utils.session import create_session
    from sqlalchemy import delete, select

    from tests.support.hitl_db import create_run

    run_id = f"hitl_answers_{next(_runs)}"
    dag = create_run(run_id)
    yield dag, run_id
    with create_session() as session:  # nothing of this test stays pending or answered for the next
        ids = select(TaskInstance.id).where(TaskInstance.run_id == run_id)
        session.execute(delete(HITLDetail).where(HITLDetail.ti_id.in_(ids)))


def resumed_state() -> str:
    """Scheduled on 3.3 (resumed with the answer); still deferred on 3.1/3.2, where Airflow's HITLTrigger resumes it."""
    from airflow_provider_twilio.answers.parking import resumes_itself

    return "deferred" if resumes_itself() else "scheduled"


def texts_to(emulator: Any, phone: str) -> list[str]:
    return [m["body"] for m in emulator.messages() if m["to"] == phone and m["direction"] != "inbound"]


def answer(body: str, phone: str = ALICE, message_sid: str | None = None) -> Any:
    from airflow_provider_twilio.answers.resolve import answer_by_text

    return answer_by_text(
        "twilio_default", from_number=phone, to_number=NUMBER, body=body, message_sid=message_sid or sid()
    )


def test_approve_by_text_records_alice_resumes_the_task_audits_sms_and_confirms_once(
    run: tuple[Any, str], twilio_emulator: Any
) -> None:
    from airflow_provider_twilio.answers.outcome import Result
    from airflow_provider_twilio.answers.pending import numbers_with_pending_requests, pending_requests_for
    from tests.support.hitl_db import audit_rows, hitl_row, park, ti_state

    dag, run_id = run
    ti = park(dag, run_id, "approve", RESPONDENTS)
    assert numbers_with_pending_requests()["twilio_default"] >= {ALICE, BOB}
    (request,) = pending_requests_for("twilio_default", ALICE)
    assert (request.subject, tuple(request.options), request.user_for(ALICE)) == (
        "Deploy 2.4.1 to production?",
        ("Approve", "Reject"),
        "alice",
    )

    message = sid()
    outcome = answer("approve", message_sid=message)
    again = answer("approve", message_sid=message)  # the same message delivered twice

    assert (outcome.result, outcome.chosen, again.result) == (Result.ANSWERED, ("Approve",), Result.DUPLICATE)
    row = hitl_row(ti.id)
    assert row.chosen_options == ["Approve"] and row.responded_by == {"id": "alice", "name": "alice"}
    assert ti_state(ti.id) == resumed_state()  # resumed as the REST API resumes it
    ((event, owner, extra),) = audit_rows(run_id)
    assert (event, owner) == ("update_hitl_detail", "alice") and '"via": "sms"' in extra
    assert texts_to(twilio_emulator, ALICE) == ["Recorded: Approve for 'Deploy 2.4.1 to production?'"]
    assert pending_requests_for("twilio_default", ALICE) == []


def test_an_answer_before_the_task_is_parked_is_held_then_applied_once(
    run: tuple[Any, str], twilio_emulator: Any
) -> None:
    from airflow_provider_twilio.answers.held import apply_held
    from airflow_provider_twilio.answers.outcome import Result
    from airflow_provider_twilio.answers.parking import resumes_itself
    from tests.support.hitl_db import hitl_row, park, ti_state

    if resumes_itself():
        pytest.skip("before Airflow 3.3 the HITL trigger resumes the deferred task, so an early answer is not held")
    dag, run_id = run
    ti = park(dag, run_id, "approve", RESPONDENTS, state="running")
    outcome = answer("1")
    assert outcome.result is Result.HELD
    assert apply_held() == []  # still running: nothing written, the task would be failed by the scheduler
    assert hitl_row(ti.id).responded_at is None and ti_state(ti.id) == "running"

    park_again(ti, parked_ago=1.0)  # parked a moment ago: the scheduler may not have seen the worker exit
    assert apply_held() == [] and hitl_row(ti.id).responded_at is None

    park_again(ti, parked_ago=60.0)
    (applied,) = apply_held()
    assert applied.result is Result.ANSWERED and applied.answered_by == "alice"
    assert apply_held() == []
    assert hitl_row(ti.id).chosen_options == ["Approve"] and ti_state(ti.id) == resumed_state()
    assert texts_to(twilio_emulator, ALICE) == ["Recorded: Approve for 'Deploy 2.4.1 to production?'"]


def park_again(ti: Any, *, parked_ago: float) -> None:
    from tests.support.hitl_db import set_state

    set_state(ti, parked_ago=parked_ago)


def test_a_stranger_and_an_invalid_reply_record_nothing_and_each_gets_one_text(
    run: tuple[Any, str], twilio_emulator: Any
) -> None:
    from airflow_provider_twilio.answers.outcome import Result
    from tests.support.hitl_db import hitl_row, park

    dag, run_id = run
    ti = park(dag, run_id, "approve", RESPONDENTS)
    results = [answer("approve", STRANGER).result, answer("approve", STRANGER).result]
    results += [answer("maybe {{ 7 * 7 }}").result, answer("yes").result]

    assert results == [Result.REFUSED, Result.REFUSED, Result.INVALID, Result.INVALID]
    assert hitl_row(ti.id).responded_at is None
    assert texts_to(twilio_emulator, STRANGER) == ["This number cannot answer this request; nothing was recorded."]
    assert texts_to(twilio_emulator, ALICE) == ["Not understood. Reply with one of: 1 Approve, 2 Reject."]
    assert answer("approve").result is Result.ANSWERED


def test_answered_in_the_ui_first_then_by_text_gets_already_answered(
    run: tuple[Any, str], twilio_emulator: Any
) -> None:
    from airflow_provider_twilio.answers.outcome import Result
    from tests.support.hitl_db import hitl_row, park

    dag, run_id = run
    ti = park(dag, run_id, "approve", RESPONDENTS)
    answer_in_ui(ti.id, "bob", "Reject")

    outcome = answer("approve")
    assert (outcome.result, outcome.answered_by) == (Result.ALREADY_ANSWERED, "bob")
    assert hitl_row(ti.id).chosen_options == ["Reject"]
    assert answer("approve again").result is Result.ALREADY_ANSWERED  # told once, not at every text
    assert texts_to(twilio_emulator, ALICE) == ["Already answered by bob (Airflow UI)"]
    assert answer("approve", BOB).result is Result.ALREADY_ANSWERED


def answer_in_ui(ti_id: Any, user: str, option: str) -> None:
    """What the REST API's update_hitl_detail writes."""
    from datetime import datetime, timezone

    from airflow.models.hitl import HITLDetail
    from airflow.utils.session import create_session

    with create_session() as session:
        row = session.get(HITLDetail, ti_id)
        row.responded_by = {"id": user, "name": user}
        row.responded_at = datetime.now(timezone.utc)
        row.chosen_options = [option]


def test_a_user_not_among_the_assigned_users_is_refused(run: tuple[Any, str], twilio_emulator: Any) -> None:
    from airflow_provider_twilio.answers.outcome import Result
    from tests.support.hitl_db import hitl_row, park

    dag, run_id = run
    ti = park(dag, run_id, "approve_assigned", RESPONDENTS)
    assert answer("approve", BOB).result is Result.REFUSED
    assert hitl_row(ti.id).responded_at is None
    assert answer("approve").result is Result.ANSWERED
    assert hitl_row(ti.id).responded_by == {"id": "alice", "name": "Alice"}


def test_several_pending_need_the_reference_and_multiple_takes_commas(
    run: tuple[Any, str], twilio_emulator: Any
) -> None:
    from airflow_provider_twilio.answers.outcome import Result
    from tests.support.hitl_db import hitl_row, park

    dag, run_id = run
    approve = park(dag, run_id, "approve", {CAROL: "carol"})
    pick = park(dag, run_id, "pick", {CAROL: "carol"})
    from airflow_provider_twilio.hitl.references import reference_for

    assert answer("approve", CAROL).result is Result.INVALID
    assert "several requests" in texts_to(twilio_emulator, CAROL)[0]
    assert answer(f"eu, 3 #{reference_for(str(pick.id))}", CAROL).result is Result.ANSWERED
    assert hitl_row(pick.id).chosen_options == ["EU", "APAC"]
    assert answer("approve", CAROL).result is Result.ANSWERED  # one pending now: no reference needed
    assert hitl_row(approve.id).chosen_options == ["Approve"]


def test_four_concurrent_deliveries_and_two_people_at_once_record_one_answer(
    run: tuple[Any, str], twilio_emulator: Any
) -> None:
    from airflow_provider_twilio.answers.outcome import Result
    from tests.support.hitl_db import audit_rows, hitl_row, park

    dag, run_id = run
    ti = park(dag, run_id, "approve", RESPONDENTS)
    message = sid()
    calls = [(ALICE, message)] * 4 + [(BOB, sid())]
    results: list[Any] = []
    start = threading.Barrier(len(calls))

    def deliver(phone: str, message_sid: str) -> None:
        start.wait()
        results.append(answer("approve" if phone == ALICE else "reject", phone, message_sid).result)

    threads = [threading.Thread(target=deliver, args=call) for call in calls]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert results.count(Result.ANSWERED) == 1
    assert results.count(Result.DUPLICATE) + results.count(Result.ANSWERED) + results.count(
        Result.ALREADY_ANSWERED
    ) == len(calls)
    assert len(audit_rows(run_id)) == 1
    winner = hitl_row(ti.id).responded_by["id"]
    assert len(texts_to(twilio_emulator, ALICE)) == 1 and len(texts_to(twilio_emulator, BOB)) == 1
    loser_phone = BOB if winner == "alice" else ALICE
    assert texts_to(twilio_emulator, loser_phone)[0].startswith(f"Already answered by {winner} (SMS)")


def test_a_keypress_answers_with_the_option_of_its_number(run: tuple[Any, str], twilio_emulator: Any) -> None:
    from airflow_provider_twilio.answers.outcome import Result
    from airflow_provider_twilio.answers.pending import pending_requests_for
    from airflow_provider_twilio.answers.resolve import answer_by_key
    from tests.support.hitl_db import hitl_row, park

    dag, run_id = run
    ti = park(dag, run_id, "branch", RESPONDENTS)
    (request,) = pending_requests_for("twilio_default", BOB)
    assert answer_by_key(request, from_number=BOB, digit="9", call_sid="CA" + "1" * 32).result is Result.INVALID
    assert answer_by_key(request, from_number=BOB, digit="2", call_sid="CA" + "2" * 32).result is Result.ANSWERED
    assert answer_by_key(request, from_number=BOB, digit="2", call_sid="CA" + "2" * 32).result is Result.DUPLICATE
    assert hitl_row(ti.id).chosen_options == ["us"]
    # Only the key that answered is confirmed by text, once; the invalid key and the repeat get none.
    assert texts_to(twilio_emulator, BOB) == ["Recorded: us for 'Where to?'"]


def test_the_applying_thread_runs_while_an_answer_is_held_and_then_ends(
    run: tuple[Any, str], twilio_emulator: Any
) -> None:
    from airflow_provider_twilio.answers import held
    from airflow_provider_twilio.answers.outcome import Result
    from airflow_provider_twilio.answers.parking import resumes_itself
    from tests.support.emulator import wait_for
    from tests.support.hitl_db import hitl_row, park

    if resumes_itself():
        pytest.skip("before Airflow 3.3 the HITL trigger resumes the deferred task, so an early answer is not held")
    dag, run_id = run
    ti = park(dag, run_id, "approve", RESPONDENTS, state="running")
    assert answer("approve").result is Result.HELD
    held.ensure_applying()
    assert wait_for(lambda: held._running is not None, 5.0)
    park_again(ti, parked_ago=60.0)

    assert wait_for(lambda: hitl_row(ti.id).responded_at is not None, 60.0)
    assert wait_for(lambda: held._running is None, 60.0)  # nothing held any more: the thread ended
    assert texts_to(twilio_emulator, ALICE) == ["Recorded: Approve for 'Deploy 2.4.1 to production?'"]


def test_a_text_with_no_request_open_is_decided_by_one_small_query(airflow_db: Any, twilio_emulator: Any) -> None:
    """Most texts reach a deployment with nothing to answer: no join over XComs and task instances for them."""
    from airflow.models.hitl import HITLDetail
    from airflow.utils.session import create_session
    from sqlalchemy import delete, event
    from sqlalchemy.engine import Engine

    from airflow_provider_twilio.answers.outcome import Result

    with create_session() as session:
        session.execute(delete(HITLDetail))
    statements: list[str] = []

    def seen(conn: Any, cursor: Any, statement: str, *args: Any) -> None:
        statements.append(statement)

    event.listen(Engine, "before_cursor_execute", seen)
    try:
        outcome = answer("yes")
    finally:
        event.remove(Engine, "before_cursor_execute", seen)
    assert outcome.result is Result.NOT_FOR_US
    assert len(statements) == 1 and "hitl_detail" in statements[0] and "xcom" not in statements[0], statements


def test_a_keyword_never_answers_and_earns_no_text(run: tuple[Any, str], twilio_emulator: Any) -> None:
    """STOP, START and HELP are a phone talking to Twilio: nothing recorded, no help or refusal text."""
    from airflow_provider_twilio.answers.outcome import Result
    from tests.support.hitl_db import hitl_row, park

    dag, run_id = run
    ti = park(dag, run_id, "approve", RESPONDENTS)
    results = [answer(body).result for body in ("STOP", "start", "Help.")] + [answer("STOP", STRANGER).result]

    assert results == [Result.INVALID] * 4
    assert hitl_row(ti.id).responded_at is None
    assert texts_to(twilio_emulator, ALICE) == [] and texts_to(twilio_emulator, STRANGER) == []
    assert answer("approve").result is Result.ANSWERED
