"""TwilioInboundSmsSensor under ``dag.test()`` against the emulator, in poke, reschedule and deferrable mode.

One run per mode covers: a reply from before the run is ignored; a matching text from a number outside
``from_`` is ignored; a non-matching text from the approver gets exactly one error reply, however often
the sensor looks again; the answer's named and positional groups land in XCom; the confirmation arrives
once; and message text full of Jinja and ``${...}`` is never rendered.

The approver answers only after the sensor has polled several more times since its error reply,
counted in the emulator's request log rather than timed: one try of a rescheduled sensor under
``dag.test()`` takes about a second on Airflow 3.3 and up to ten on Airflow 3.1.
"""

from __future__ import annotations

import json
import threading
import time
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest

if TYPE_CHECKING:
    from airflow_provider_twilio.emulator.server import TwilioEmulator

DAGS = Path(__file__).resolve().parent / "dags"
US, ANN, BOB = "+15005550006", "+15551230001", "+15551230002"
HOSTILE = " {{ 7 * 7 }} ${answer} $code {% if true %}jinja{% endif %} {{ conf.get('core', 'fernet_key') }}"
WRONG = "yes please {{ 6 * 7 }} ${code}"
RIGHT = "YES 4821" + HOSTILE
POLLS_BEFORE_ANSWER = 3
ANSWER_TIMEOUT = 120.0


@pytest.fixture(scope="module")
def dagbag() -> Any:
    from airflow.models import DagBag

    return DagBag(dag_folder=str(DAGS / "sensor_inbound_modes.py"))


@pytest.fixture(autouse=True)
def dags_folder(monkeypatch: pytest.MonkeyPatch) -> None:
    from airflow import settings

    monkeypatch.setenv("AIRFLOW__CORE__DAGS_FOLDER", str(DAGS))
    monkeypatch.setattr(settings, "DAGS_FOLDER", str(DAGS))


def next_second() -> None:
    """Twilio dates have one-second resolution: start the run in a later second than the old reply."""
    time.sleep(1.05 - (time.time() % 1))


def states(dag_run: Any) -> dict[str, str]:
    return {ti.task_id: str(getattr(ti.state, "value", ti.state)) for ti in dag_run.get_task_instances()}


def sent_to(emulator: TwilioEmulator, number: str) -> list[str]:
    return [m["body"] for m in reversed(emulator.messages()) if m["direction"] != "inbound" and m["to"] == number]


@pytest.mark.parametrize("mode", ["poke", "reschedule", "deferrable"])
def test_reply_gated_dag(
    mode: str, twilio_emulator: TwilioEmulator, airflow_db: Path, dagbag: Any, tmp_path: Path
) -> None:
    emu = twilio_emulator
    emu.inject_inbound(from_=ANN, to=US, body="YES 1111 from before the run")
    next_second()
    approver = threading.Thread(target=answer_after_polls, args=(emu,), daemon=True)
    approver.start()
    out = tmp_path / "xcom.json"
    conf = {
        "emulator": emu.base_url,
        "from_": ANN,
        "out": str(out),
        "inject": [
            {"from": BOB, "to": US, "body": "YES 9999"},
            {"from": ANN, "to": US, "body": WRONG},
        ],
    }
    dag = dagbag.get_dag(f"sensor_inbound_{mode}")
    assert dag is not None, dagbag.import_errors
    dag_run = dag.test(run_conf=conf)
    approver.join(timeout=5)

    assert states(dag_run) == {"inject": "success", "wait": "success", "record": "success"}
    saved = json.loads(out.read_text())
    result = saved["return_value"]
    assert result["match_groups"] == {"answer": "YES", "code": "4821", "rest": HOSTILE}
    assert result["groups"] == ["YES", "4821", HOSTILE]
    assert result["message"]["from"] == ANN and result["message"]["to"] == US
    assert result["message"]["body"] == RIGHT
    assert saved["match_groups"] == result["match_groups"]
    assert sent_to(emu, ANN) == [
        f"Sorry, '{WRONG}' is not an answer. Reply YES or NO and the code.",
        f"Confirmed YES for 4821:{HOSTILE} (4821)",
    ]
    assert sent_to(emu, BOB) == []
    if mode == "reschedule":
        assert reschedules(dag_run, "wait") >= 2


def list_requests(emulator: TwilioEmulator) -> int:
    return sum(1 for r in emulator.request_log() if r["method"] == "GET" and r["path"].endswith("/Messages.json"))


def answer_after_polls(emulator: TwilioEmulator) -> None:
    """The approver, who answers correctly once the sensor has polled a few times since the error reply."""
    deadline = time.monotonic() + ANSWER_TIMEOUT
    polls = None
    while time.monotonic() < deadline:
        if polls is None and sent_to(emulator, ANN):
            polls = list_requests(emulator)
        if polls is not None and list_requests(emulator) >= polls + POLLS_BEFORE_ANSWER:
            emulator.inject_inbound(from_=ANN, to=US, body=RIGHT)
            return
        time.sleep(0.1)


def reschedules(dag_run: Any, task_id: str) -> int:
    from airflow.models.taskreschedule import TaskReschedule
    from airflow.utils.session import create_session

    ti = dag_run.get_task_instance(task_id)
    with create_session() as session:
        query = session.query(TaskReschedule)
        if hasattr(TaskReschedule, "ti_id"):  # Airflow 3
            query = query.filter(TaskReschedule.ti_id == ti.id)
        else:
            query = query.filter_by(dag_id=ti.dag_id, run_id=ti.run_id, task_id=ti.task_id)
        return int(query.count())
