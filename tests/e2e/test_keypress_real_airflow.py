"""Acknowledging a call by a keypress, through a real ``airflow api-server`` running the provider's plugin.

A scheduler (LocalExecutor), a dag-processor and the api-server run the ``call_keypress`` DAG: its
TwilioCallOperator(require_keypress="1") calls two people played by the emulator. The first answers
and presses 2, the second presses 1; the emulator posts each ``<Gather>`` key, signed like Twilio, to
the action URL on the api-server, whose receiver records it as an XCom of the calling task instance,
which the running task reads back through the Task SDK. Then the receiver is driven directly, on a
live call of ``call_keypress_hold``'s running task: a delivered-twice keypress is recorded once, forged
ones are refused and record nothing. A keypress signed with the connection's own token is refused
alike, with one answer, unless it is for a call the named task placed and still waits on.
``call_keypress_unacknowledged`` fails and says which key each person pressed; neither it nor
``sms_fails_before_sending`` (a send that fails before sending) logs a missing XCom as an error.
"""

from __future__ import annotations

import json
import secrets
import subprocess
import sys
import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

import pytest

from airflow_provider_twilio.emulator import TwilioEmulator
from airflow_provider_twilio.webhooks import webhooks_supported

pytestmark = pytest.mark.skipif(
    not webhooks_supported(),
    reason="keypresses reach Airflow through the webhook receiver, an api-server plugin of Airflow 3.3+ "
    "(Airflow 2.11 has no api-server plugins)",
)

DAGS = Path(__file__).resolve().parent / "keypress_dags"
DAG_FILE = DAGS / "call_keypress.py"
DAG_ID, TASK_ID = "call_keypress", "call"
HOLD_DAG, UNACKNOWLEDGED_DAG, SMS_DAG = "call_keypress_hold", "call_keypress_unacknowledged", "sms_fails_before_sending"
FIRST, SECOND = "+15551230061", "+15551230062"
HOLD, PRESSES_2, SILENT = "+15551230063", "+15551230064", "+15551230065"
NUMBER = "+15005550006"
SECRET_KEY = secrets.token_urlsafe(32)
"""The deployment's ``[api] secret_key``, the same for the api-server and the workers."""


@pytest.fixture(scope="module")
def emulator() -> Iterator[TwilioEmulator]:
    with TwilioEmulator() as emu:
        emu.configure(status_delay=0.05)
        emu.add_call_behaviour(FIRST, answer="human", digits="2", after=0.2)
        emu.add_call_behaviour(SECOND, answer="human", digits="1", after=0.2)
        emu.add_call_behaviour(HOLD, answer="no-answer")  # rings until the test cancels the call
        emu.add_call_behaviour(PRESSES_2, answer="human", digits="2", after=0.2)
        emu.add_call_behaviour(SILENT, answer="human", after=0.2)
        yield emu


@pytest.fixture(scope="module")
def stack(airflow_db: Path, emulator: TwilioEmulator, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Any]:
    from tests.support.airflow_processes import airflow_stack

    dag_files = [DAG_FILE, *(DAGS / f"{dag_id}.py" for dag_id in (HOLD_DAG, UNACKNOWLEDGED_DAG, SMS_DAG))]
    with airflow_stack(tmp_path_factory.mktemp("keypress-stack"), airflow_db, dag_files) as airflow:
        extras = {
            "base_url": emulator.base_url,
            "default_from": NUMBER,
            "webhook_base_url": f"http://127.0.0.1:{airflow.api_port}",
        }
        connection = {"conn_type": "twilio", "login": emulator.account_sid, "password": emulator.auth_token}
        airflow.env["AIRFLOW_CONN_TWILIO_DEFAULT"] = json.dumps({**connection, "extra": extras})
        airflow.env["AIRFLOW__API__SECRET_KEY"] = SECRET_KEY
        for name in ("api-server", "dag-processor", "scheduler"):
            airflow.start(name)
        yield airflow


@pytest.fixture(scope="module")
def unacknowledged(stack: Any) -> str:
    """Runs ``call_keypress_unacknowledged`` once, when first asked (after the ``call_keypress`` checks)."""
    stack.wait_for(
        lambda: stack.query("SELECT 1 FROM serialized_dag WHERE dag_id = ?", UNACKNOWLEDGED_DAG),
        f"{UNACKNOWLEDGED_DAG} to be parsed",
    )
    subprocess.run(
        [sys.executable, "-m", "airflow", "dags", "trigger", UNACKNOWLEDGED_DAG],
        env=stack.env,
        check=True,
        capture_output=True,
        timeout=300,
    )
    wait_until_ended(stack, UNACKNOWLEDGED_DAG)
    return run_id(stack, UNACKNOWLEDGED_DAG)


def xcoms(stack: Any, key_prefix: str = "", dag_id: str = DAG_ID) -> dict[str, Any]:
    rows = stack.query(
        "SELECT key, value FROM xcom WHERE dag_id = ? AND task_id = ? AND key LIKE ?", dag_id, TASK_ID, key_prefix + "%"
    )
    values = {}
    for key, raw in rows:
        value = json.loads(raw)
        values[key] = json.loads(value) if isinstance(value, str) else value  # XComModel stores serialized JSON
    return values


def run_id(stack: Any, dag_id: str = DAG_ID) -> str:
    ((found,),) = stack.query("SELECT run_id FROM dag_run WHERE dag_id = ?", dag_id)
    return str(found)


def gather_url(base: str, conn_id: str, ti: Any, key: str, *, try_number: int = 1, secret: str = SECRET_KEY) -> str:
    """The action URL a task writes: its task instance, try and key, with the MAC the deployment's secret makes."""
    from airflow_provider_twilio.voice.action_mac import ActionClaim, derive_key, sign

    claim = ActionClaim(conn_id, ti.dag_id, ti.run_id, ti.task_id, ti.map_index, try_number, key)
    query = {
        "dag_id": ti.dag_id, "run_id": ti.run_id, "task_id": ti.task_id, "map_index": str(ti.map_index),
        "try": str(try_number), "key": key, "mac": sign(derive_key(secret), claim),
    }  # fmt: skip
    return f"{base}/twilio/{conn_id}/gather?{urlencode(query)}"


def post(url: str, form: dict[str, str], signature: str | None) -> tuple[int, str]:
    status, _, body = post_for_answer(url, form, signature)
    return status, body


def post_for_answer(url: str, form: dict[str, str], signature: str | None) -> tuple[int, dict[str, str], str]:
    """Status, headers (but the date) and body of the receiver's answer."""
    headers = {"Content-Type": "application/x-www-form-urlencoded"}
    if signature is not None:
        headers["X-Twilio-Signature"] = signature
    request = urllib.request.Request(url, data=urlencode(form).encode(), headers=headers, method="POST")
    try:
        with urllib.request.urlopen(request, timeout=30) as response:
            answer = {k.lower(): v for k, v in response.headers.items() if k.lower() != "date"}
            return int(response.status), answer, response.read().decode()
    except urllib.error.HTTPError as err:
        return int(err.code), {}, ""


def placed_calls(stack: Any, dag_id: str) -> list[str]:
    """The CallSids the task recorded placing (its ``twilio_call_<CallSid>`` XComs)."""
    return sorted(key.removeprefix("twilio_call_") for key in xcoms(stack, "twilio_call_", dag_id))


def wait_until_ended(stack: Any, dag_id: str) -> None:
    stack.wait_for(lambda: set(stack.run_states(dag_id).values()) & {"success", "failed"}, f"{dag_id} to end")


def hold_call(stack: Any, emulator: TwilioEmulator) -> str:
    """The live call of ``call_keypress_hold``'s running task."""
    (sid,) = stack.wait_for(
        lambda: [call["sid"] for call in emulator.calls() if call["to"] == HOLD], "call_keypress_hold to call"
    )
    return str(sid)


def test_the_second_person_presses_1_and_acknowledges(stack: Any, emulator: TwilioEmulator) -> None:
    stack.wait_for(lambda: set(stack.run_states(DAG_ID).values()) & {"success", "failed"}, "the DAG run to end")
    assert set(stack.run_states(DAG_ID).values()) == {"success"}, stack.report()

    results = xcoms(stack, "return_value")["return_value"]
    assert [(r["to"], r["status"], r["answered_by"], r["acknowledged"]) for r in results] == [
        (FIRST, "completed", "human", False),  # answered by a human, but pressed 2
        (SECOND, "completed", "human", True),
    ]
    assert set(results[0]) == {"to", "sid", "status", "answered_by", "duration", "acknowledged", "error_code",
                               "error_type"}  # fmt: skip
    first, second = results[0]["sid"], results[1]["sid"]
    presses = xcoms(stack, "twilio_keypress_")
    assert set(presses) == {f"twilio_keypress_{first}", f"twilio_keypress_{second}"}
    assert {k: (v["call_sid"], v["digits"], v["expected"], v["matched"]) for k, v in presses.items()} == {
        f"twilio_keypress_{first}": (first, "2", "1", False),
        f"twilio_keypress_{second}": (second, "1", "1", True),
    }
    # Each <Gather> key went to the receiver on the api-server, signed, and was answered with TwiML.
    voice = [d for d in emulator.webhook_log() if d["kind"] == "voice"]
    assert [(d["sid"], d["status"]) for d in voice] == [(first, 200), (second, 200)]
    assert all(d["url"].startswith(f"http://127.0.0.1:{stack.api_port}/twilio/twilio_default/gather?") for d in voice)


def test_a_keypress_delivered_twice_is_recorded_once_and_forgeries_record_nothing(
    stack: Any, emulator: TwilioEmulator
) -> None:
    from concurrent.futures import ThreadPoolExecutor

    from twilio.request_validator import RequestValidator

    from airflow_provider_twilio.voice.keypress import TaskInstanceId

    base = f"http://127.0.0.1:{stack.api_port}"
    sid = hold_call(stack, emulator)  # a live call, placed by the running task, whose person has not answered yet
    # The task recorded placing it, as soon as Twilio accepted it.
    stack.wait_for(lambda: placed_calls(stack, HOLD_DAG) == [sid], "call_keypress_hold to record its call")
    ti = TaskInstanceId(HOLD_DAG, run_id(stack, HOLD_DAG), TASK_ID)
    url = gather_url(base, "twilio_default", ti, "1")
    signer = RequestValidator(emulator.auth_token)
    form = {"CallSid": sid, "AccountSid": emulator.account_sid, "Digits": "1", "From": NUMBER, "To": HOLD}
    key = f"twilio_keypress_{sid}"

    # Refused, nothing recorded: unsigned, forged, signed for another task or key, unknown connection.
    assert post(url, form, None)[0] == 403
    assert post(url, form, RequestValidator("f" * 32).compute_signature(url, form))[0] == 403
    other_task = gather_url(base, "twilio_default", TaskInstanceId(HOLD_DAG, ti.run_id, "other"), "1")
    assert post(url, form, signer.compute_signature(other_task, form))[0] == 403
    other_key = gather_url(base, "twilio_default", ti, "2")
    assert post(url, {**form, "Digits": "2"}, signer.compute_signature(other_key, {**form, "Digits": "2"}))[0] == 403
    unknown = gather_url(base, "no_such_connection", ti, "1")
    assert post(unknown, form, signer.compute_signature(unknown, form))[0] == 403
    big = {**form, "Digits": "1" * 70_000}
    assert post(url, big, signer.compute_signature(url, big))[0] == 413
    assert key not in xcoms(stack, "twilio_keypress_", HOLD_DAG)

    # Signed: recorded, answered with a confirmation; Twilio's retry (another key, even) changes nothing.
    status, answer = post(url, form, signer.compute_signature(url, form))
    assert status == 200 and "Acknowledged" in answer and answer.endswith("<Hangup/></Response>")
    first = xcoms(stack, "twilio_keypress_", HOLD_DAG)[key]
    assert (first["digits"], first["matched"]) == ("1", True)
    again = {**form, "Digits": "3"}
    assert post(url, again, signer.compute_signature(url, again))[0] == 200
    with ThreadPoolExecutor(4) as pool:  # copies racing each other: the primary key lets none through
        statuses = list(pool.map(lambda _: post(url, form, signer.compute_signature(url, form))[0], range(4)))
    assert statuses == [200] * 4
    assert xcoms(stack, "twilio_keypress_", HOLD_DAG)[key] == first
    rows = stack.query("SELECT COUNT(*) FROM xcom WHERE key = ?", key)
    assert rows == [(1,)]


def test_a_signed_keypress_is_refused_unless_for_a_call_the_named_task_placed_and_waits_on(
    stack: Any, emulator: TwilioEmulator, unacknowledged: str
) -> None:
    """What someone holding the connection's auth token can no longer do: every refusal looks the same."""
    from twilio.request_validator import RequestValidator
    from twilio.rest import Client

    from airflow_provider_twilio.voice.keypress import TaskInstanceId

    base = f"http://127.0.0.1:{stack.api_port}"
    sid = hold_call(stack, emulator)
    hold = TaskInstanceId(HOLD_DAG, run_id(stack, HOLD_DAG), TASK_ID)
    signer = RequestValidator(emulator.auth_token)
    wait_until_ended(stack, DAG_ID)
    done = TaskInstanceId(DAG_ID, run_id(stack), TASK_ID)  # succeeded
    failed = TaskInstanceId(UNACKNOWLEDGED_DAG, unacknowledged, TASK_ID)
    first = xcoms(stack, "return_value")["return_value"][0]["sid"]  # pressed 2: its keypress is recorded
    silent = {r["to"]: r["sid"] for r in xcoms(stack, "return_value", UNACKNOWLEDGED_DAG)["return_value"]}[SILENT]
    before = stack.query("SELECT dag_id, key, value FROM xcom WHERE key LIKE 'twilio_keypress_%' ORDER BY 1, 2")

    def attempt(url: str, call_sid: str) -> tuple[int, dict[str, str], str]:
        form = {"CallSid": call_sid, "AccountSid": emulator.account_sid, "Digits": "1"}
        return post_for_answer(url, form, signer.compute_signature(url, form))  # Twilio-signed, every one

    genuine = gather_url(base, "twilio_default", hold, "1")
    mac = genuine.rpartition("&mac=")[2]
    victim = gather_url(base, "twilio_default", failed, "1").rpartition("&mac=")[0] + f"&mac={mac}"
    answers = {
        "another task's MAC": attempt(victim, silent),
        "a MAC made with the auth token": attempt(
            gather_url(base, "twilio_default", failed, "1", secret=emulator.auth_token), silent
        ),
        "no MAC": attempt(genuine.rpartition("&mac=")[0], sid),
        "a made-up CallSid on a genuine URL": attempt(genuine, "CA" + "d" * 32),
        "another try of the running task": attempt(gather_url(base, "twilio_default", hold, "1", try_number=2), sid),
        "a failed task instance": attempt(gather_url(base, "twilio_default", failed, "1"), silent),
        "a succeeded task instance": attempt(gather_url(base, "twilio_default", done, "1"), first),
        "no such task instance": attempt(
            gather_url(base, "twilio_default", TaskInstanceId(DAG_ID, done.run_id, "no_such_task"), "1"), first
        ),
        "no such DAG": attempt(gather_url(base, "twilio_default", TaskInstanceId("no_such_dag", "r", "t"), "1"), sid),
    }
    # One answer for all, byte for byte: status, headers and TwiML say nothing about what exists.
    assert len({(status, tuple(sorted(headers.items())), body) for status, headers, body in answers.values()}) == 1, (
        answers
    )
    status, _, body = answers["no such task instance"]
    assert status == 200 and "could not be recorded" in body and body.endswith("<Hangup/></Response>")
    # Nothing written: no keypress row appeared or changed, in any DAG.
    after = stack.query("SELECT dag_id, key, value FROM xcom WHERE key LIKE 'twilio_keypress_%' ORDER BY 1, 2")
    assert [row for row in after if row[1] != f"twilio_keypress_{sid}"] == [
        row for row in before if row[1] != f"twilio_keypress_{sid}"
    ]
    assert stack.query("SELECT COUNT(*) FROM xcom WHERE key = ?", f"twilio_keypress_{'CA' + 'd' * 32}") == [(0,)]

    # Done with the live call: the person never answers, the keypress recorded above acknowledges it.
    client = Client(emulator.account_sid, emulator.auth_token)
    client.api.base_url = emulator.base_url
    client.calls(sid).update(status="canceled")
    wait_until_ended(stack, HOLD_DAG)
    assert set(stack.run_states(HOLD_DAG).values()) == {"success"}, stack.report()
    (result,) = xcoms(stack, "return_value", HOLD_DAG)["return_value"]
    assert (result["sid"], result["status"], result["acknowledged"]) == (sid, "canceled", True)


def test_a_keypress_for_no_task_instance_or_without_one_records_nothing(stack: Any, emulator: TwilioEmulator) -> None:
    from twilio.request_validator import RequestValidator

    from airflow_provider_twilio.voice.keypress import TaskInstanceId

    stack.wait_for(lambda: set(stack.run_states(DAG_ID).values()) & {"success", "failed"}, "the DAG run to end")
    base = f"http://127.0.0.1:{stack.api_port}"
    signer = RequestValidator(emulator.auth_token)
    sid = "CA" + "e" * 32
    form = {"CallSid": sid, "AccountSid": emulator.account_sid, "Digits": "1"}
    # Signed, for a task instance that does not exist: told so, nothing recorded.
    missing = gather_url(base, "twilio_default", TaskInstanceId(DAG_ID, run_id(stack), "no_such_task"), "1")
    status, answer = post(missing, form, signer.compute_signature(missing, form))
    assert status == 200 and "could not be recorded" in answer and answer.endswith("<Hangup/></Response>")
    # Signed, but naming no task instance: 400.
    bare = f"{base}/twilio/twilio_default/gather?key=1"
    assert post(bare, form, signer.compute_signature(bare, form))[0] == 400
    assert stack.query("SELECT COUNT(*) FROM xcom WHERE key = ?", f"twilio_keypress_{sid}") == [(0,)]


def test_a_failed_chain_says_which_key_each_person_pressed_and_no_normal_outcome_logs_an_error(
    stack: Any, emulator: TwilioEmulator, unacknowledged: str
) -> None:
    for dag_id in (UNACKNOWLEDGED_DAG, SMS_DAG):
        wait_until_ended(stack, dag_id)
        assert set(stack.run_states(dag_id).values()) == {"failed"}, stack.report()

    results = xcoms(stack, "return_value", UNACKNOWLEDGED_DAG)["return_value"]
    assert [(r["to"], r["status"], r["answered_by"], r["acknowledged"]) for r in results] == [
        (PRESSES_2, "completed", "human", False),
        (SILENT, "completed", "human", False),
    ]
    pressed = xcoms(stack, "twilio_keypress_", UNACKNOWLEDGED_DAG)
    assert {v["call_sid"]: v["digits"] for v in pressed.values()} == {results[0]["sid"]: "2"}
    (task_log,) = [
        path.read_text() for path in (stack.home / "logs").rglob("*.log") if f"dag_id={UNACKNOWLEDGED_DAG}" in str(path)
    ]
    assert f"Call to {PRESSES_2}: completed, answered by human, pressed 2 (needed 1): not acknowledged" in task_log
    assert f"Call to {SILENT}: completed, answered by human, no key pressed (needed 1): not acknowledged" in task_log
    assert f"{PRESSES_2}: completed, answered by human, pressed 2 (needed 1): not acknowledged [" in task_log

    # A call nobody pressed a key on, and a send that failed before sending (no console link), are
    # normal outcomes: neither the executor nor any task logs a missing XCom as an error.
    logs = [*stack.logs["scheduler"], *(stack.home / "logs").rglob("*.log")]
    assert [str(path) for path in logs if "XCom not found" in path.read_text(errors="replace")] == []
