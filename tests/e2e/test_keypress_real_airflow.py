"""Acknowledging a call by a keypress, through a real ``airflow api-server`` running the provider's plugin.

A scheduler (LocalExecutor), a dag-processor and the api-server run the ``call_keypress`` DAG: its
TwilioCallOperator(require_keypress="1") calls two people played by the emulator. The first answers
and presses 2, the second presses 1; the emulator posts each ``<Gather>`` key, signed like Twilio, to
the action URL on the api-server, whose receiver records it as an XCom of the calling task instance,
which the running task reads back through the Task SDK. Then the receiver is driven directly: a
delivered-twice keypress is recorded once, forged ones are refused and record nothing.
"""

from __future__ import annotations

import json
import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

import pytest

from airflow_provider_twilio.emulator import TwilioEmulator
from airflow_provider_twilio.webhooks import webhooks_supported

pytestmark = [
    pytest.mark.integration,
    pytest.mark.skipif(
        not webhooks_supported(),
        reason="keypresses reach Airflow through the webhook receiver, an api-server plugin of Airflow 3.3+ "
        "(Airflow 2.11 has no api-server plugins)",
    ),
]

DAG_FILE = Path(__file__).resolve().parent / "keypress_dags" / "call_keypress.py"
DAG_ID, TASK_ID = "call_keypress", "call"
FIRST, SECOND = "+15551230061", "+15551230062"
NUMBER = "+15005550006"


@pytest.fixture(scope="module")
def emulator() -> Iterator[TwilioEmulator]:
    with TwilioEmulator() as emu:
        emu.configure(status_delay=0.05)
        emu.add_call_behaviour(FIRST, answer="human", digits="2", after=0.2)
        emu.add_call_behaviour(SECOND, answer="human", digits="1", after=0.2)
        yield emu


@pytest.fixture(scope="module")
def stack(airflow_db: Path, emulator: TwilioEmulator, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Any]:
    from tests.integration.airflow_processes import airflow_stack

    with airflow_stack(tmp_path_factory.mktemp("keypress-stack"), airflow_db, [DAG_FILE]) as airflow:
        extras = {
            "base_url": emulator.base_url,
            "default_from": NUMBER,
            "webhook_base_url": f"http://127.0.0.1:{airflow.api_port}",
        }
        connection = {"conn_type": "twilio", "login": emulator.account_sid, "password": emulator.auth_token}
        airflow.env["AIRFLOW_CONN_TWILIO_DEFAULT"] = json.dumps({**connection, "extra": extras})
        for name in ("api-server", "dag-processor", "scheduler"):
            airflow.start(name)
        yield airflow


def xcoms(stack: Any, key_prefix: str = "") -> dict[str, Any]:
    rows = stack.query(
        "SELECT key, value FROM xcom WHERE dag_id = ? AND task_id = ? AND key LIKE ?", DAG_ID, TASK_ID, key_prefix + "%"
    )
    values = {}
    for key, raw in rows:
        value = json.loads(raw)
        values[key] = json.loads(value) if isinstance(value, str) else value  # XComModel stores serialized JSON
    return values


def run_id(stack: Any) -> str:
    ((found,),) = stack.query("SELECT run_id FROM dag_run WHERE dag_id = ?", DAG_ID)
    return str(found)


def post(url: str, form: dict[str, str], signature: str | None) -> tuple[int, str]:
    headers = {"Content-Type": "application/x-www-form-urlencoded"}
    if signature is not None:
        headers["X-Twilio-Signature"] = signature
    request = urllib.request.Request(url, data=urlencode(form).encode(), headers=headers, method="POST")
    try:
        with urllib.request.urlopen(request, timeout=30) as response:
            return int(response.status), response.read().decode()
    except urllib.error.HTTPError as err:
        return int(err.code), ""


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

    from airflow_provider_twilio.voice.keypress import TaskInstanceId, action_url

    stack.wait_for(lambda: set(stack.run_states(DAG_ID).values()) & {"success", "failed"}, "the DAG run to end")
    base = f"http://127.0.0.1:{stack.api_port}"
    ti = TaskInstanceId(DAG_ID, run_id(stack), TASK_ID)
    url = action_url(base, "twilio_default", ti, "1")
    signer = RequestValidator(emulator.auth_token)
    sid = "CA" + "d" * 32
    form = {"CallSid": sid, "AccountSid": emulator.account_sid, "Digits": "1", "From": NUMBER, "To": FIRST}
    key = f"twilio_keypress_{sid}"

    # Refused, nothing recorded: unsigned, forged, signed for another task or key, unknown connection.
    assert post(url, form, None)[0] == 403
    assert post(url, form, RequestValidator("f" * 32).compute_signature(url, form))[0] == 403
    other_task = action_url(base, "twilio_default", TaskInstanceId(DAG_ID, ti.run_id, "other"), "1")
    assert post(url, form, signer.compute_signature(other_task, form))[0] == 403
    other_key = action_url(base, "twilio_default", ti, "2")
    assert post(url, {**form, "Digits": "2"}, signer.compute_signature(other_key, {**form, "Digits": "2"}))[0] == 403
    unknown = action_url(base, "no_such_connection", ti, "1")
    assert post(unknown, form, signer.compute_signature(unknown, form))[0] == 403
    big = {**form, "Digits": "1" * 70_000}
    assert post(url, big, signer.compute_signature(url, big))[0] == 413
    assert key not in xcoms(stack, "twilio_keypress_")

    # Signed: recorded, answered with a confirmation; Twilio's retry (another key, even) changes nothing.
    status, answer = post(url, form, signer.compute_signature(url, form))
    assert status == 200 and "Acknowledged" in answer and answer.endswith("<Hangup/></Response>")
    first = xcoms(stack, "twilio_keypress_")[key]
    assert (first["digits"], first["matched"]) == ("1", True)
    again = {**form, "Digits": "3"}
    assert post(url, again, signer.compute_signature(url, again))[0] == 200
    with ThreadPoolExecutor(4) as pool:  # copies racing each other: the primary key lets none through
        statuses = list(pool.map(lambda _: post(url, form, signer.compute_signature(url, form))[0], range(4)))
    assert statuses == [200] * 4
    assert xcoms(stack, "twilio_keypress_")[key] == first
    rows = stack.query("SELECT COUNT(*) FROM xcom WHERE key = ?", key)
    assert rows == [(1,)]


def test_a_keypress_for_no_task_instance_or_without_one_records_nothing(stack: Any, emulator: TwilioEmulator) -> None:
    from twilio.request_validator import RequestValidator

    from airflow_provider_twilio.voice.keypress import TaskInstanceId, action_url

    stack.wait_for(lambda: set(stack.run_states(DAG_ID).values()) & {"success", "failed"}, "the DAG run to end")
    base = f"http://127.0.0.1:{stack.api_port}"
    signer = RequestValidator(emulator.auth_token)
    sid = "CA" + "e" * 32
    form = {"CallSid": sid, "AccountSid": emulator.account_sid, "Digits": "1"}
    # Signed, for a task instance that does not exist: told so, nothing recorded.
    missing = action_url(base, "twilio_default", TaskInstanceId(DAG_ID, run_id(stack), "no_such_task"), "1")
    status, answer = post(missing, form, signer.compute_signature(missing, form))
    assert status == 200 and "could not be recorded" in answer and answer.endswith("<Hangup/></Response>")
    # Signed, but naming no task instance: 400.
    bare = f"{base}/twilio/twilio_default/gather?key=1"
    assert post(bare, form, signer.compute_signature(bare, form))[0] == 400
    assert stack.query("SELECT COUNT(*) FROM xcom WHERE key = ?", f"twilio_keypress_{sid}") == [(0,)]
