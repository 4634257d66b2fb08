"""Line types are looked up once per DAG run: a retried try under ``dag.test()`` on the real metadata DB
reads them from Airflow's task state store (Airflow 3.3+) and texts nobody twice."""

from __future__ import annotations

from collections import Counter
from pathlib import Path
from typing import Any

import pytest

from airflow_provider_twilio.emulator.simulation.line_types import magic_number
from tests.support.dag_files import DAGS

pytestmark = pytest.mark.usefixtures("dags_folder")


def _has_task_state_store() -> bool:
    from importlib.util import find_spec

    return find_spec("airflow.models.task_state_store") is not None


def load_dag(name: str) -> Any:
    from airflow.models import DagBag

    dagbag = DagBag(dag_folder=str(DAGS / f"{name}.py"))
    assert not dagbag.import_errors, dagbag.import_errors
    return dagbag.get_dag(name)


@pytest.mark.skipif(not _has_task_state_store(), reason="the task state store, kept across tries, is Airflow 3.3+")
def test_a_retried_try_does_not_look_up_the_same_numbers_again(airflow_db: Path, twilio_emulator: Any) -> None:
    mobiles = [f"+1555131{i:04d}" for i in range(8)]
    landline = magic_number("landline", 3)
    refused = "+15005550001"  # Twilio refuses it (21211) on every try, so try 1 fails and try 2 runs
    recipients = [*mobiles, landline, refused]
    dag = load_dag("send_line_types_retry")

    dag_run = dag.test(run_conf={"recipients": recipients})
    ti = dag_run.get_task_instance("send")
    assert ti.try_number == 2 and str(getattr(ti.state, "value", ti.state)) == "failed"
    looked_up = [e["path"].rsplit("/", 1)[1] for e in twilio_emulator.request_log() if e["path"].startswith("/v2/")]
    assert Counter(looked_up) == Counter(recipients)
    texted = Counter(m["to"] for m in twilio_emulator.messages() if m["direction"] != "inbound")
    assert texted == Counter(mobiles)
