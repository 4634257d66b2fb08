"""The example DAGs (and the README's minimal DAG) import cleanly and run end to end against the emulator.

Each runs twice: as ``dag.test()`` runs it by default, with a logical date, and as a manual Airflow 3
run is created from the UI, CLI or REST API, with no logical date (``logical_date=None``, ``run_after``
now, run type manual) on the same metadata DB. Templates such as ``{{ ds }}`` are undefined only in
the second kind, which plain ``dag.test()`` never creates. Airflow 2.11 runs always have a logical
date, so the manual variant is skipped there.

The emulator's auto-replies stand in for the people who would answer the texts; the assertions look at
what the emulator received and at what the tasks pushed to XCom.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from datetime import datetime, timezone
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest

if TYPE_CHECKING:
    from airflow_provider_twilio.emulator.server import TwilioEmulator

EXAMPLE_DAGS = Path(__file__).resolve().parents[2] / "example_dags"
EXAMPLE_IDS = {
    "example_twilio_send_sms",
    "example_twilio_sms_approval",
    "example_twilio_delivery_tracking",
    "example_twilio_failure_alert",
    "example_twilio_escalation",
    "example_twilio_log_export",
}
DEFAULT_FROM = "+15005550006"
SID = re.compile(r"^SM[0-9a-f]{32}$")


@pytest.fixture(scope="module")
def dagbag(airflow_db: Path) -> Any:
    from airflow.models import DagBag

    return DagBag(dag_folder=str(EXAMPLE_DAGS))


@pytest.fixture(autouse=True)
def dags_folder(monkeypatch: pytest.MonkeyPatch) -> Path:
    """Point the DAGs folder at example_dags: Airflow 3's ``dag.test()`` parses the whole folder first,
    and the repository root holds virtual environments it must not walk."""
    from airflow import settings

    monkeypatch.setenv("AIRFLOW__CORE__DAGS_FOLDER", str(EXAMPLE_DAGS))
    monkeypatch.setattr(settings, "DAGS_FOLDER", str(EXAMPLE_DAGS))
    return EXAMPLE_DAGS


def airflow_major() -> int:
    from airflow import __version__

    return int(__version__.split(".")[0])


@pytest.fixture(params=["dated", "manual"])
def trigger(request: pytest.FixtureRequest) -> str:
    """How the run is created: with a logical date (``dag.test()``'s default) or as a manual Airflow 3 run."""
    if request.param == "manual" and airflow_major() < 3:
        pytest.skip("Airflow 2.11 gives every run a logical date; runs without one exist from Airflow 3 on")
    return str(request.param)


def run_dag(dagbag: Any, dag_id: str, trigger: str = "dated") -> Any:
    dag = dagbag.get_dag(dag_id)
    assert dag is not None, f"{dag_id} not found; import errors: {dagbag.import_errors}"
    if trigger == "dated":
        return dag.test()
    # What the UI, `airflow dags trigger` and POST /dagRuns create unless told a logical date.
    dag_run = dag.test(logical_date=None)
    assert dag_run.logical_date is None and dag_run.run_type == "manual"
    return dag_run


def task_states(dag_run: Any) -> dict[str, str]:
    return {ti.task_id: str(getattr(ti.state, "value", ti.state)) for ti in dag_run.get_task_instances()}


def xcom(dag_run: Any, task_id: str, key: str = "return_value") -> Any:
    ti = dag_run.get_task_instance(task_id)
    assert ti is not None, f"no task instance {task_id}"
    return ti.xcom_pull(task_ids=task_id, key=key)


def outbound(emulator: TwilioEmulator) -> list[dict[str, Any]]:
    """Messages the DAG sent, oldest first."""
    return [m for m in reversed(emulator.messages()) if m["direction"] != "inbound"]


@pytest.mark.every_line
def test_examples_import_without_errors(dagbag: Any) -> None:
    assert dagbag.import_errors == {}
    assert set(dagbag.dag_ids) >= EXAMPLE_IDS
    for dag_id in EXAMPLE_IDS:
        dag = dagbag.get_dag(dag_id)
        assert "example" in dag.tags
        assert dag.doc_md, f"{dag_id} has no documentation"


PARSE_PROBE = """
import importlib.util, json, sys
heavy = ("twilio", "requests", "aiohttp", "phonenumbers")
def loaded():
    return {m.split(".")[0] for m in sys.modules if m.split(".")[0] in heavy}
import airflow
baseline = loaded()
for path in sys.argv[1:]:
    spec = importlib.util.spec_from_file_location("parsed_" + str(abs(hash(path))), path)
    spec.loader.exec_module(importlib.util.module_from_spec(spec))
print("PROBE " + json.dumps(sorted(loaded() - baseline)))
"""


def test_parsing_the_examples_loads_no_heavy_library() -> None:
    """Example DAGs are parsed over and over; parsing must not load the SDK or the HTTP stacks."""
    files = sorted(str(p) for p in EXAMPLE_DAGS.glob("example_*.py"))
    proc = subprocess.run(
        [sys.executable, "-c", PARSE_PROBE, *files], capture_output=True, text=True, env=os.environ.copy(), check=False
    )
    probe = [line for line in proc.stdout.splitlines() if line.startswith("PROBE ")]
    assert probe, f"parsing failed (exit {proc.returncode}):\n{proc.stderr[-3000:]}"
    assert json.loads(probe[0].removeprefix("PROBE ")) == []


@pytest.mark.every_line
def test_send_sms_example(dagbag: Any, airflow_db: Path, twilio_emulator: TwilioEmulator, trigger: str) -> None:
    dag_run = run_dag(dagbag, "example_twilio_send_sms", trigger)

    assert set(task_states(dag_run).values()) == {"success"}
    sent = {m["to"]: m for m in outbound(twilio_emulator)}
    assert set(sent) == {
        "+15551230101",
        "+15551230102",
        "+15551230103",
        "+15551230104",
        "whatsapp:+15551230105",
    }
    run_day = (dag_run.logical_date or dag_run.run_after).strftime("%Y-%m-%d")
    for number in ("+15551230101", "+15551230102", "+15551230103"):
        body = sent[number]["body"]
        assert body.startswith(f"Nightly load {run_day} finished: 1204 rows.")
        assert sent[number]["from"] == DEFAULT_FROM
    assert sent["+15551230104"]["body"] == f"Today's load chart ({run_day})"
    assert int(sent["+15551230104"]["num_media"]) == 1
    assert sent["whatsapp:+15551230105"]["from"] == "whatsapp:+15005550006"

    results = xcom(dag_run, "notify_on_call")
    assert [r["to"] for r in results] == ["+15551230101", "+15551230102", "+15551230103"]
    for result in results:
        assert SID.match(result["sid"]) and result["sid"] == sent[result["to"]]["sid"]
        assert result["error_code"] is None
    summary = xcom(dag_run, "summarize")
    assert set(summary) == set(sent)
    assert all(line.split()[1] == sent[to]["sid"] for to, line in summary.items())


# A YES with another code (an old or mistyped one) must not deploy.
@pytest.mark.parametrize(
    ("reply", "branch", "trigger"),
    [pytest.param("YES 4821", "deploy", "dated", marks=pytest.mark.every_line), ("NO 4821", "hold", "dated"),
     ("YES 1234", "hold", "dated"),
     ("YES 4821", "deploy", "manual")],
    indirect=["trigger"],
)  # fmt: skip
def test_approval_example(
    dagbag: Any, airflow_db: Path, twilio_emulator: TwilioEmulator, reply: str, branch: str, trigger: str
) -> None:
    approver = "+15551230001"
    twilio_emulator.add_auto_reply(to=approver, body=reply, delay=0.5, times=1)

    dag_run = run_dag(dagbag, "example_twilio_sms_approval", trigger)

    states = task_states(dag_run)
    other = "hold" if branch == "deploy" else "deploy"
    assert states["ask_approver"] == states["wait_for_reply"] == states["decide"] == states[branch] == "success"
    assert states[other] == "skipped"

    answer, code = reply.split()
    pushed = xcom(dag_run, "wait_for_reply")
    assert pushed["match_groups"] == {"answer": answer, "code": code}
    assert pushed["groups"] == [answer, code]
    assert pushed["message"]["from"] == approver and pushed["message"]["body"] == reply
    assert xcom(dag_run, "wait_for_reply", key="match_groups") == {"answer": answer, "code": code}

    conversation = [(m["from"], m["to"], m["body"]) for m in reversed(twilio_emulator.messages())]
    assert conversation == [
        (DEFAULT_FROM, approver, "Reply YES 4821 to deploy 2.4.1 (or NO 4821 to stop it)."),
        (approver, DEFAULT_FROM, reply),
        (DEFAULT_FROM, approver, f"Got it: {answer} for {code}."),
    ]
    if branch == "deploy":
        assert xcom(dag_run, "deploy") == "2.4.1"
    else:
        assert xcom(dag_run, "hold") == answer


@pytest.mark.every_line
def test_delivery_tracking_example(
    dagbag: Any, airflow_db: Path, twilio_emulator: TwilioEmulator, trigger: str
) -> None:
    twilio_emulator.configure(status_delay=0.05)

    dag_run = run_dag(dagbag, "example_twilio_delivery_tracking", trigger)

    assert set(task_states(dag_run).values()) == {"success"}
    sent = outbound(twilio_emulator)
    assert {m["to"] for m in sent} == {"+15551230201", "+15551230202"}
    statuses = xcom(dag_run, "wait_for_delivery")
    assert set(statuses) == {m["sid"] for m in sent}
    assert {info["status"] for info in statuses.values()} == {"delivered"}
    assert {info["to"] for info in statuses.values()} == {"+15551230201", "+15551230202"}
    assert len(xcom(dag_run, "report")) == 2


@pytest.mark.every_line
def test_failure_alert_example(dagbag: Any, airflow_db: Path, twilio_emulator: TwilioEmulator, trigger: str) -> None:
    dag_run = run_dag(dagbag, "example_twilio_failure_alert", trigger)

    states = task_states(dag_run)
    assert states == {"count_rows": "success", "check_row_count": "failed"}
    alerts = outbound(twilio_emulator)
    assert len(alerts) == 1, alerts
    alert = alerts[0]
    assert alert["to"] == "+15551230301" and alert["from"] == DEFAULT_FROM
    assert alert["body"].startswith("Airflow: check_row_count in example_twilio_failure_alert failed (run ")
    assert dag_run.run_id in alert["body"]


def test_readme_minimal_dag(
    airflow_db: Path, twilio_emulator: TwilioEmulator, trigger: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The README's minimal DAG, copied verbatim into a DAGs folder of its own, runs end to end."""
    from airflow import settings
    from airflow.models import DagBag

    from tests.support.readme import minimal_dag_source

    (tmp_path / "readme_minimal_dag.py").write_text(minimal_dag_source())
    monkeypatch.setenv("AIRFLOW__CORE__DAGS_FOLDER", str(tmp_path))
    monkeypatch.setattr(settings, "DAGS_FOLDER", str(tmp_path))
    approver = "+15551230001"
    # The reply is in the log by the deferred sensor's first poll: the README keeps the default 60 s
    # poke_interval, so a later reply would wait a minute. test_reply_gated_dag covers later replies.
    twilio_emulator.add_auto_reply(to=approver, body="YES 4821", delay=0, times=1)

    dag_run = run_dag(DagBag(dag_folder=str(tmp_path)), "release_approval", trigger)

    assert task_states(dag_run) == {"ask": "success", "wait": "success"}
    assert xcom(dag_run, "wait")["match_groups"] == {"answer": "YES", "code": "4821"}
    conversation = [(m["from"], m["to"], m["body"]) for m in reversed(twilio_emulator.messages())]
    assert conversation == [
        (DEFAULT_FROM, approver, "Reply YES 4821 to deploy release 2.4.1"),
        (approver, DEFAULT_FROM, "YES 4821"),
        (DEFAULT_FROM, approver, "Thanks, YES received."),
    ]


def test_approval_example_rides_out_throttling(dagbag: Any, airflow_db: Path, twilio_emulator: TwilioEmulator) -> None:
    """429s (never processed by Twilio) anywhere in the flow, including before the confirmation, are retried."""
    approver = "+15551230001"
    twilio_emulator.add_auto_reply(to=approver, body="YES 4821", delay=0.5, times=1)
    twilio_emulator.configure(throttle=0.3, seed=7)

    dag_run = run_dag(dagbag, "example_twilio_sms_approval")

    assert task_states(dag_run)["deploy"] == "success"
    confirmations = [m for m in outbound(twilio_emulator) if m["body"] == "Got it: YES for 4821."]
    assert len(confirmations) == 1
    throttled = [r for r in twilio_emulator.request_log() if r["status"] == 429]
    assert throttled, "the emulator should have throttled some requests"


ON_CALL, BACKUP = "+15551230001", "+15551230002"


def fast_escalation(dagbag: Any) -> Any:
    """The example with its waits shortened: ACK within 3 s, calls checked every 0.2 s."""
    dag = dagbag.get_dag("example_twilio_escalation")
    sensor = dag.get_task("wait_for_ack")
    sensor.poke_interval, sensor.timeout = 0.5, 3
    dag.get_task("call_until_answered").poll_interval = 0.2
    return dag


def test_escalation_example_states_its_short_wait_for_the_ack(airflow_db: Path) -> None:
    """A trial run reaches the calls within about a minute, and the DAG's doc says how long it waits."""
    from airflow.models import DagBag

    dag = DagBag(dag_folder=str(EXAMPLE_DAGS / "example_twilio_escalation.py")).get_dag("example_twilio_escalation")
    timeout = dag.get_task("wait_for_ack").timeout
    stated = re.search(r"Wait up to (\d+) seconds", dag.doc_md)
    assert stated, "the escalation example's doc does not state how long it waits for the ACK"
    assert float(stated.group(1)) == timeout
    assert timeout <= 120


@pytest.mark.parametrize(
    ("ack", "on_call", "backup", "called", "acknowledged_by"),
    [
        (True, "human", "human", [], None),  # the text is acknowledged: nobody is called
        (False, "human", "human", [ON_CALL], ON_CALL),  # the on-call engineer picks up
        (False, "machine", "human", [ON_CALL, BACKUP], BACKUP),  # voicemail, then the backup picks up
        (False, "no-answer", "human", [ON_CALL, BACKUP], BACKUP),
    ],
)
def test_escalation_example_is_acknowledged_at_each_step(
    dagbag: Any,
    airflow_db: Path,
    twilio_emulator: TwilioEmulator,
    ack: bool,
    on_call: str,
    backup: str,
    called: list[str],
    acknowledged_by: str | None,
) -> None:
    twilio_emulator.configure(status_delay=0.02)
    if ack:
        twilio_emulator.add_auto_reply(to=ON_CALL, body="ack", delay=0.3, times=1)
    twilio_emulator.add_call_behaviour(ON_CALL, answer=on_call, after=0.1)
    twilio_emulator.add_call_behaviour(BACKUP, answer=backup, after=0.1)

    dag_run = fast_escalation(dagbag).test()

    states = task_states(dag_run)
    assert states["text_on_call"] == "success"
    assert states["wait_for_ack"] == ("success" if ack else "skipped")
    assert states["call_until_answered"] == ("skipped" if ack else "success")
    assert [call["to"] for call in reversed(twilio_emulator.calls())] == called
    if acknowledged_by:
        results = xcom(dag_run, "call_until_answered")
        assert [r["to"] for r in results] == called
        assert [r["to"] for r in results if r["acknowledged"]] == [acknowledged_by]
        assert results[-1]["answered_by"] == "human"


def test_escalation_example_fails_when_nobody_acknowledges(
    dagbag: Any, airflow_db: Path, twilio_emulator: TwilioEmulator
) -> None:
    twilio_emulator.configure(status_delay=0.02)
    twilio_emulator.add_call_behaviour(ON_CALL, answer="busy", after=0.1)
    twilio_emulator.add_call_behaviour(BACKUP, answer="machine", after=0.1)
    dag = fast_escalation(dagbag)
    dag.get_task("call_until_answered").retries = 0

    dag_run = dag.test()

    assert task_states(dag_run)["call_until_answered"] == "failed"
    calls = list(reversed(twilio_emulator.calls()))
    assert [(c["to"], c["status"], c["answered_by"]) for c in calls] == [
        (ON_CALL, "busy", None),
        (BACKUP, "completed", "machine_start"),
    ]


def test_log_export_example_writes_each_resource_for_its_day(
    airflow_db: Path, twilio_emulator: TwilioEmulator, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    pq = pytest.importorskip("pyarrow.parquet", reason="pyarrow (the export extra) is in the airflow-3 and 2 envs")
    from airflow.models import DagBag

    day = datetime(2026, 11, 20, tzinfo=timezone.utc).timestamp()
    twilio_emulator.seed_messages(
        [{"to": "+15551230301", "from": DEFAULT_FROM, "date_created": day + i * 60} for i in range(50)]
    )
    twilio_emulator.seed_calls([{"to": "+15551230302", "from": DEFAULT_FROM, "start_time": day + 3600}])
    twilio_emulator.seed_recordings([{"start_time": day + 3600, "duration": 4}])
    monkeypatch.setenv("TWILIO_LAKE", f"file://{tmp_path}")
    dag = DagBag(dag_folder=str(EXAMPLE_DAGS / "example_twilio_log_export.py")).get_dag("example_twilio_log_export")
    date = datetime(2026, 11, 21, tzinfo=timezone.utc)  # the run for Nov 20, a daily data interval
    dag_run = dag.test(**({"logical_date": date} if airflow_major() >= 3 else {"execution_date": date}))

    assert set(task_states(dag_run).values()) == {"success"}
    part = "date=2026-11-20/part-20261120T000000Z_20261121T000000Z.parquet"
    rows = {r: pq.read_table(tmp_path / r / part).num_rows for r in ("messages", "calls", "recordings")}
    assert rows == {"messages": 50, "calls": 1, "recordings": 1}
    assert len(list((tmp_path / "recordings" / "date=2026-11-20" / "audio").glob("RE*.wav"))) == 1
