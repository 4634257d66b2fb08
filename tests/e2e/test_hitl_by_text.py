"""Airflow's own HITL requests answered by text through the webhook, in a real Airflow 3.3 deployment.

Real api-server (two workers, the provider's plugin), scheduler and dag-processor on SQLite; the
emulator plays Twilio: it receives the request texts the notifier sends and posts each person's
reply, signed, to the api-server's ``/twilio/twilio_default/sms``.
"""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from airflow_provider_twilio.emulator import TwilioEmulator
from airflow_provider_twilio.webhooks import webhooks_supported
from tests.support.hitl_stack import NUMBER, SMS_PATH, HitlStack, texts_to

pytestmark = pytest.mark.skipif(
    not webhooks_supported(),
    reason="answering by text through the webhook needs Airflow 3.3+ (the receiver runs on 3.3's api-server)",
)

ALICE, BOB = "+15551230101", "+15551230102"
DAVE, STRANGER = "+15551230111", "+15551239999"
ERIN, FRANK, GINA, CAROL = "+15551230121", "+15551230131", "+15551230141", "+15551230151"


@pytest.fixture(scope="module")
def emulator() -> Iterator[TwilioEmulator]:
    with TwilioEmulator() as emu:
        emu.configure(status_delay=0.05)
        yield emu


@pytest.fixture(scope="module")
def stack(airflow_db: Path, emulator: TwilioEmulator, tmp_path_factory: pytest.TempPathFactory) -> Iterator[HitlStack]:
    from tests.support.hitl_stack import hitl_stack

    yield from hitl_stack(tmp_path_factory.mktemp("hitl-text-stack"), airflow_db, emulator)


def request_texted(stack: HitlStack, emulator: TwilioEmulator, phone: str) -> str:
    return stack.wait_for(lambda: texts_to(emulator, phone)[:1], f"the request texted to {phone}")[0]


def parked(stack: HitlStack, dag_id: str, run_id: str, task_id: str) -> None:
    stack.wait_for(lambda: stack.ti_state(dag_id, run_id, task_id) == "awaiting_input", f"{dag_id} to wait for input")


def finished(stack: HitlStack, dag_id: str, run_id: str) -> str:
    return stack.wait_for(
        lambda: (state := stack.run_states(dag_id).get(run_id)) in ("success", "failed") and state,
        f"{dag_id} to finish",
    )


def replies_sent(emulator: TwilioEmulator, phone: str) -> int:
    return len([m for m in emulator.messages() if m["from"] == phone and m["direction"] == "inbound"])


def test_approve_by_text_runs_downstream_as_alice_and_confirms(stack: HitlStack, emulator: TwilioEmulator) -> None:
    dag_id = "hitl_text_approve"
    run_id = stack.trigger(dag_id)
    request = request_texted(stack, emulator, ALICE)
    assert request.startswith("Deploy 2.4.1 to production?\nCanary error rate: 0.1%\n1 Approve\n2 Reject\n")
    assert f"/dags/{dag_id}/runs/" in request and "/required_actions" in request
    parked(stack, dag_id, run_id, "approve")

    emulator.inject_inbound(from_=ALICE, to=NUMBER, body="approve")

    assert finished(stack, dag_id, run_id) == "success", stack.report()
    assert stack.ti_state(dag_id, run_id, "deployed") == "success"
    assert stack.hitl_response(dag_id, run_id, "approve") == ({"id": "alice", "name": "Alice"}, ["Approve"])
    stack.wait_for(lambda: len(texts_to(emulator, ALICE)) == 2, "the confirmation")
    assert texts_to(emulator, ALICE)[1] == "Recorded: Approve for 'Deploy 2.4.1 to production?'"
    ((owner, extra),) = stack.query(
        "SELECT owner, extra FROM log WHERE event = 'update_hitl_detail' AND run_id = ?", run_id
    )
    assert owner == "alice" and json.loads(extra)["via"] == "sms"
    assert texts_to(emulator, BOB) == [request]


def test_a_branch_answered_by_number_runs_that_branch(stack: HitlStack, emulator: TwilioEmulator) -> None:
    dag_id = "hitl_text_branch"
    run_id = stack.trigger(dag_id)
    assert "1 eu\n2 us\n3 apac" in request_texted(stack, emulator, CAROL)
    parked(stack, dag_id, run_id, "choose")

    emulator.inject_inbound(from_=CAROL, to=NUMBER, body="2")

    assert finished(stack, dag_id, run_id) == "success", stack.report()
    states = {task: stack.ti_state(dag_id, run_id, task) for task in ("eu", "us", "apac")}
    assert states == {"eu": "skipped", "us": "success", "apac": "skipped"}
    assert stack.hitl_response(dag_id, run_id, "choose") == ({"id": "carol", "name": "carol"}, ["us"])


def test_a_strangers_reply_and_invalid_replies_record_nothing_and_help_goes_once(
    stack: HitlStack, emulator: TwilioEmulator
) -> None:
    dag_id = "hitl_text_strangers"
    run_id = stack.trigger(dag_id)
    request_texted(stack, emulator, DAVE)
    parked(stack, dag_id, run_id, "approve")

    for phone, body in ((STRANGER, "approve"), (STRANGER, "approve"), (DAVE, "ok {{ 7 * 7 }}"), (DAVE, "sure")):
        emulator.inject_inbound(from_=phone, to=NUMBER, body=body)
    stack.wait_for(lambda: len([d for d in emulator.webhook_log() if d["status"] == 200]) >= 4, "four webhooks")
    time.sleep(3)  # a second help or refusal would be sent by now; give it the chance

    assert stack.hitl_response(dag_id, run_id, "approve") == (None, None)
    assert stack.ti_state(dag_id, run_id, "approve") == "awaiting_input"
    assert texts_to(emulator, STRANGER) == ["This number cannot answer this request; nothing was recorded."]
    assert texts_to(emulator, DAVE)[1:] == ["Not understood. Reply with one of: 1 Approve, 2 Reject."]

    emulator.inject_inbound(from_=DAVE, to=NUMBER, body="Approve")
    assert finished(stack, dag_id, run_id) == "success", stack.report()


def test_answered_in_the_ui_first_then_by_text_gets_already_answered(
    stack: HitlStack, emulator: TwilioEmulator
) -> None:
    dag_id = "hitl_text_ui_first"
    run_id = stack.trigger(dag_id)
    request_texted(stack, emulator, ERIN)
    parked(stack, dag_id, run_id, "approve")
    time.sleep(10)  # what the provider waits too: the scheduler has seen the worker exit (docs/hitl.md)

    status, body = stack.rest(
        "PATCH",
        f"/dags/{dag_id}/dagRuns/{run_id}/taskInstances/approve/-1/hitlDetails",
        {"chosen_options": ["Reject"], "params_input": {}},
    )
    assert status == 200, body
    emulator.inject_inbound(from_=ERIN, to=NUMBER, body="approve")

    stack.wait_for(lambda: len(texts_to(emulator, ERIN)) == 2, "the answer to the late text")
    assert texts_to(emulator, ERIN)[1] == "Already answered by Anonymous (Airflow UI)"
    assert finished(stack, dag_id, run_id) == "success", stack.report()
    assert stack.hitl_response(dag_id, run_id, "approve")[1] == ["Reject"]
    assert stack.ti_state(dag_id, run_id, "deployed") == "skipped"


def test_four_concurrent_copies_of_the_answering_webhook_record_one_answer(
    stack: HitlStack, emulator: TwilioEmulator
) -> None:
    from twilio.request_validator import RequestValidator

    from tests.support.webhook_stack import post

    dag_id = "hitl_text_concurrent"
    run_id = stack.trigger(dag_id)
    request_texted(stack, emulator, FRANK)
    parked(stack, dag_id, run_id, "approve")

    sid = "SM" + "f" * 32
    form = {"MessageSid": sid, "SmsSid": sid, "AccountSid": emulator.account_sid, "From": FRANK, "To": NUMBER,
            "Body": "approve", "NumMedia": "0"}  # fmt: skip
    url = stack.base_url + SMS_PATH
    signature = RequestValidator(emulator.auth_token).compute_signature(url, form)
    with ThreadPoolExecutor(4) as pool:
        statuses = list(pool.map(lambda _: post(url, form, signature), range(4)))

    assert statuses == [200] * 4
    assert finished(stack, dag_id, run_id) == "success", stack.report()
    time.sleep(3)  # a second confirmation would be sent by now
    assert texts_to(emulator, FRANK)[1:] == ["Recorded: Approve for 'Deploy 2.4.1 to production?'"]
    assert len(stack.query("SELECT 1 FROM log WHERE event = 'update_hitl_detail' AND run_id = ?", run_id)) == 1


def test_an_answer_texted_within_a_second_of_the_request_still_approves(
    stack: HitlStack, emulator: TwilioEmulator
) -> None:
    dag_id = "hitl_text_fast"
    emulator.add_auto_reply(GINA, "approve", delay=0.2, times=1)  # before the task is even parked
    run_id = stack.trigger(dag_id)
    stack.wait_for(lambda: replies_sent(emulator, GINA), "the fast reply")

    assert finished(stack, dag_id, run_id) == "success", stack.report()
    assert stack.ti_state(dag_id, run_id, "deployed") == "success"
    assert stack.hitl_response(dag_id, run_id, "approve") == ({"id": "gina", "name": "gina"}, ["Approve"])
    stack.wait_for(lambda: len(texts_to(emulator, GINA)) == 2, "the confirmation")
    assert texts_to(emulator, GINA)[1] == "Recorded: Approve for 'Deploy 2.4.1 to production?'"


def test_the_example_dag_is_approved_by_text(stack: HitlStack, emulator: TwilioEmulator) -> None:
    dag_id, alice = "example_twilio_hitl", "+15551230001"
    run_id = stack.trigger(dag_id)
    assert "Canary error rate: 0.1%" in request_texted(stack, emulator, alice)
    parked(stack, dag_id, run_id, "approve_deploy")

    emulator.inject_inbound(from_=alice, to=NUMBER, body="1")

    assert finished(stack, dag_id, run_id) == "success", stack.report()
    assert stack.ti_state(dag_id, run_id, "deploy") == "success"
    assert stack.hitl_response(dag_id, run_id, "approve_deploy") == ({"id": "alice", "name": "Alice"}, ["Approve"])
