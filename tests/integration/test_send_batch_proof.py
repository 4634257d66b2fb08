"""The whole of responsible sending in one batch, under ``dag.test()`` on the real metadata DB against the
emulator: 1,000 recipients, 5% opted out, 10% landlines, four time zones -> exactly the right people
texted, each once, and everyone else reported by reason (tests/integration/dags/send_batch_proof.py)."""

from __future__ import annotations

import logging
from collections import Counter
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

import pytest

from airflow_provider_twilio.exceptions import ErrorType
from tests.support.dag_files import DAGS
from tests.support.emulator import DEFAULT_FROM

pytestmark = pytest.mark.usefixtures("dags_folder")

SENT, OPTED, LANDLINE, QUIET = "sent", "opted out", "skipped LINE_TYPE", "skipped QUIET_HOURS"


def dag_file_task(dag_id: str = "send_batch_proof_defer") -> Any:
    from airflow.models import DagBag

    bag = DagBag(dag_folder=str(DAGS / "send_batch_proof.py"))
    assert not bag.import_errors, bag.import_errors
    return bag.get_dag(dag_id).get_task("send")


@dataclass(frozen=True)
class Batch:
    """The DAG's recipients by what they are, and the 5% this test makes reply STOP (from every zone)."""

    all: list[str]
    chicago: list[str]
    new_york: list[str]
    tokyo: list[str]
    london: list[str]
    landlines: list[str]
    opted_out: list[str]

    def outcome(self, to: str, policy: str) -> str:
        """What should become of ``to``. At the DAG's fixed moment (22:30 UTC) Chicago, New York and the
        landlines' +1 500 zones are open; Tokyo and London are not. Quiet hours are judged first, then the
        line type (looked up only for those about to be texted); Twilio refuses the opted out."""
        if policy == "skip" and to in self.tokyo + self.london:
            return QUIET
        if to in self.landlines:
            return LANDLINE
        if to in self.opted_out:
            return OPTED
        return SENT

    def waves(self) -> list[set[str]]:
        """Who is texted in which wave: Tokyo opens at 23:00 UTC, London at 08:00 UTC the next day."""
        return [set(self.chicago + self.new_york + self.landlines), set(self.tokyo), set(self.london)]


@cache
def the_batch() -> Batch:
    everyone = list(dag_file_task().to)
    zones = [[to for to in everyone if to.startswith(prefix)] for prefix in ("+1312", "+1212", "+813", "+4420")]
    landlines = [to for to in everyone if to.startswith("+150055511")]  # the emulator's landline magic numbers
    opted_out = [to for zone in zones for to in zone[::18]][:50]
    return Batch(everyone, *zones, landlines=landlines, opted_out=opted_out)


def run(dag_id: str) -> Any:
    return dag_file_task(dag_id).dag.test()


def opt_out(emu: Any) -> None:
    for phone in the_batch().opted_out:
        emu.inject_inbound(from_=phone, to=DEFAULT_FROM, body="STOP")
    emu.clear_request_log()


def texted(emu: Any, dag_id: str) -> list[str]:
    """Recipients texted by ``dag_id``, oldest first (the emulator lists newest first)."""
    body = f"Your appointment is tomorrow ({dag_id})"
    return [m["to"] for m in reversed(emu.messages()) if m["body"] == body and m["direction"] == "outbound-api"]


def looked_up(emu: Any) -> Counter[str]:
    return Counter(e["path"].rsplit("/", 1)[1] for e in emu.request_log() if e["path"].startswith("/v2/PhoneNumbers/"))


def creates(emu: Any) -> dict[int, int]:
    return dict(Counter(e["status"] for e in emu.request_log() if e["method"] == "POST"))


def assert_results(results: list[dict[str, Any]], policy: str) -> None:
    """One result per recipient, in recipient order, each saying why it was or was not sent."""
    batch = the_batch()
    assert [r["to"] for r in results] == batch.all
    for result in results:
        outcome = batch.outcome(result["to"], policy)
        got = (result["status"], result["error_type"])
        if outcome == SENT:
            assert result["sid"] and result["error_type"] is None, result
        elif outcome == OPTED:
            assert got == ("opted_out", ErrorType.RECIPIENT_OPTED_OUT_ERROR.value) and result["sid"] is None, result
        elif outcome == LANDLINE:
            assert got == ("skipped", "LINE_TYPE") and result["sid"] is None, result
        else:
            assert got == ("skipped", "QUIET_HOURS") and result["sid"] is None, result


def summary_line(policy: str) -> str:
    batch = the_batch()
    counts = Counter(batch.outcome(to, policy) for to in batch.all)
    parts = ", ".join(f"{counts[o]} {o}" for o in (SENT, OPTED, LANDLINE, QUIET) if counts[o])
    return f"Outcome for {len(batch.all)} recipient(s): {parts}"


def test_the_batch_is_as_described(airflow_db: Path) -> None:
    batch = the_batch()
    assert len(batch.all) == len(set(batch.all)) == 1000
    zones = [batch.chicago, batch.new_york, batch.tokyo, batch.london]
    assert [len(zone) for zone in zones] == [225] * 4 and len(batch.landlines) == 100
    assert len(batch.opted_out) == 50 and all(any(to in zone for to in batch.opted_out) for zone in zones)


def test_defer_texts_every_textable_recipient_once_across_the_waves(
    airflow_db: Path, twilio_emulator: Any, caplog: pytest.LogCaptureFixture, capsys: pytest.CaptureFixture[str]
) -> None:
    emu, batch = twilio_emulator, the_batch()
    opt_out(emu)
    with caplog.at_level(logging.INFO):
        dag_run = run("send_batch_proof_defer")

    ti = dag_run.get_task_instance("send")
    assert str(getattr(ti.state, "value", ti.state)) == "success"
    should_text = {to for to in batch.all if batch.outcome(to, "defer") == SENT}
    order = texted(emu, "send_batch_proof_defer")
    assert Counter(order) == Counter(should_text) and len(order) == 850  # each exactly once, nobody else
    sizes = [len(wave & should_text) for wave in batch.waves()]
    assert [set(order[: sizes[0]]), set(order[sizes[0] : sizes[0] + sizes[1]]), set(order[sizes[0] + sizes[1] :])] == [
        wave & should_text for wave in batch.waves()
    ]  # in the order the windows open
    assert looked_up(emu) == Counter(batch.all)  # everyone once, in their own wave
    assert creates(emu) == {201: 850, 400: 50}  # the opted out tried once each (21610), landlines never

    assert_results(ti.xcom_pull(task_ids="send"), "defer")
    logged = caplog.text + capsys.readouterr().out
    assert summary_line("defer") == "Outcome for 1000 recipient(s): 850 sent, 50 opted out, 100 skipped LINE_TYPE"
    assert summary_line("defer") in logged


def test_skip_texts_the_open_recipients_once_and_reports_the_rest_by_reason(
    airflow_db: Path, twilio_emulator: Any, caplog: pytest.LogCaptureFixture, capsys: pytest.CaptureFixture[str]
) -> None:
    emu, batch = twilio_emulator, the_batch()
    opt_out(emu)
    with caplog.at_level(logging.INFO):
        dag_run = run("send_batch_proof_skip")

    ti = dag_run.get_task_instance("send")
    assert str(getattr(ti.state, "value", ti.state)) == "success"
    should_text = {to for to in batch.all if batch.outcome(to, "skip") == SENT}
    order = texted(emu, "send_batch_proof_skip")
    assert Counter(order) == Counter(should_text) and len(order) == 424
    assert looked_up(emu) == Counter(batch.waves()[0])  # the quiet ones are never looked up
    assert creates(emu) == {201: 424, 400: 26}

    assert_results(ti.xcom_pull(task_ids="send"), "skip")
    logged = caplog.text + capsys.readouterr().out
    assert summary_line("skip") == (
        "Outcome for 1000 recipient(s): 424 sent, 26 opted out, 100 skipped LINE_TYPE, 450 skipped QUIET_HOURS"
    )
    assert summary_line("skip") in logged


def test_without_quiet_hours_the_outcome_line_counts_the_landlines_too(
    airflow_db: Path, twilio_emulator: Any, caplog: pytest.LogCaptureFixture, capsys: pytest.CaptureFixture[str]
) -> None:
    from tests.support.task_context import context, operator

    batch = the_batch()
    opt_out(twilio_emulator)
    to = [*batch.chicago[:36], *batch.landlines[:4]]  # the 1st and the 19th opted out
    with caplog.at_level(logging.INFO):
        results = operator(to=to, lookup="line_type").execute(context())

    assert [r["error_type"] for r in results].count("LINE_TYPE") == 4
    logged = caplog.text + capsys.readouterr().out
    assert "Outcome for 40 recipient(s): 34 sent, 2 opted out, 4 skipped LINE_TYPE" in logged


def test_the_notifier_outcome_line_counts_the_recipients_in_their_quiet_hours(
    airflow_db: Path, twilio_emulator: Any, caplog: pytest.LogCaptureFixture, capsys: pytest.CaptureFixture[str]
) -> None:
    from datetime import datetime

    from airflow_provider_twilio.notifications.sms import TwilioSmsNotifier

    batch, fixed_now = the_batch(), dag_file_task().current_time()

    class NotifierAtFixedTime(TwilioSmsNotifier):
        def current_time(self) -> datetime:
            return fixed_now

    to = [batch.chicago[1], batch.tokyo[1], batch.new_york[1], batch.london[1]]
    with caplog.at_level(logging.INFO):
        NotifierAtFixedTime(to=to, body="Load failed", quiet_hours=("21:00", "08:00")).send()

    logged = caplog.text + capsys.readouterr().out
    assert "Outcome for 4 recipient(s): 2 sent, 2 skipped QUIET_HOURS" in logged
