"""TwilioLogExportOperator against the emulator, into a real S3 API server and ``file://``: every message
exactly once per interval, a killed try retried to the same files, late statuses re-exported, recordings."""

from __future__ import annotations

import io
import json
import os
import signal
import subprocess
import sys
import textwrap
import time
import wave
from collections.abc import Iterator
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import pytest

from airflow_provider_twilio.emulator import TwilioEmulator
from tests.support.dag_files import DAGS
from tests.support.emulator import DEFAULT_FROM
from tests.support.s3 import create_bucket, register_s3, s3_filesystem, s3_server

pa = pytest.importorskip(
    "pyarrow", reason="pyarrow (the export extra) is installed in the airflow-3 and airflow-2 envs"
)
pytest.importorskip("moto", reason="the S3 API server is installed in the airflow-3 and airflow-2 envs")
import pyarrow.parquet as pq  # noqa: E402

DAY = datetime(2026, 11, 20, tzinfo=timezone.utc)
SPAN = 3 * 86400


@pytest.fixture(scope="module")
def s3_endpoint() -> Iterator[str]:
    with s3_server() as endpoint:
        create_bucket(endpoint, "lake")
        yield endpoint


@pytest.fixture
def s3(s3_endpoint: str, monkeypatch: pytest.MonkeyPatch, request: pytest.FixtureRequest) -> tuple[str, Any]:
    """A fresh ``s3://lake/<test>/`` prefix Airflow's ObjectStoragePath reaches, and an s3fs to read it with."""
    register_s3(monkeypatch, s3_endpoint)
    return f"s3://lake/{request.node.name.replace('[', '-').rstrip(']')}/", s3_filesystem(s3_endpoint)


def seed_history(emu: TwilioEmulator, count: int, **fields: Any) -> list[str]:
    """``count`` messages sent evenly over three days from DAY; their SIDs."""
    step = SPAN / count
    records = [
        {
            "sid": f"SM{i:032x}",
            "to": f"+1415555{i % 10000:04d}",
            "from": DEFAULT_FROM,
            "date_created": DAY.timestamp() + i * step,
            "date_sent": DAY.timestamp() + i * step,
            "status": "sent",
            "num_segments": 1 + i % 3,
            **fields,
        }
        for i in range(count)
    ]
    emu.seed_messages(records)
    return [r["sid"] for r in records]


def context(start: datetime, end: datetime) -> dict[str, Any]:
    return {"data_interval_start": start, "data_interval_end": end, "params": {}}


def exporter(path: str, **kwargs: Any) -> Any:
    from airflow_provider_twilio.transfers.logs import TwilioLogExportOperator

    return TwilioLogExportOperator(task_id="export", path=path, **{"resource": "messages", **kwargs})


def read_rows(fs: Any, root: str, suffix: str = ".parquet") -> dict[str, list[dict[str, Any]]]:
    """Every visible export file under ``root`` (hidden temporary objects excluded), by path relative to it."""
    fs.invalidate_cache()  # s3fs remembers listings and ETags from the last read
    files = sorted(p for p in fs.find(root) if p.endswith(suffix) and not p.rsplit("/", 1)[-1].startswith("."))
    rows = {}
    for path in files:
        with fs.open(path, "rb") as stream:
            content = stream.read()
        if suffix == ".parquet":
            rows[path[len(root) :].lstrip("/")] = pq.read_table(io.BytesIO(content)).to_pylist()
        else:
            rows[path[len(root) :].lstrip("/")] = [json.loads(line) for line in content.decode().splitlines()]
    return rows


def local(root: Path) -> tuple[str, Any]:
    from fsspec.implementations.local import LocalFileSystem

    return f"file://{root}/", LocalFileSystem()


# 1. 25,000 messages across three days: three intervals, exactly 25,000 rows, SIDs unique


def test_three_daily_runs_export_25000_messages_exactly_once_to_s3(
    airflow_db: Path, twilio_emulator: TwilioEmulator, s3: tuple[str, Any], dags_folder: Path
) -> None:
    from airflow import __version__
    from airflow.models import DagBag

    path, fs = s3
    sids = seed_history(twilio_emulator, 25_000)
    dag = DagBag(dag_folder=str(DAGS / "log_export.py")).get_dag("log_export")
    for day in range(3):
        date = DAY + timedelta(days=day + 1)  # a daily data-interval timetable: the run covers the day before
        run_date = {"logical_date": date} if int(__version__.split(".")[0]) >= 3 else {"execution_date": date}
        dag_run = dag.test(run_conf={"path": path}, **run_date)
        assert str(getattr(dag_run.state, "value", dag_run.state)) == "success"

    files = read_rows(fs, path.removeprefix("s3://"))
    assert sorted(files) == [
        f"date=2026-11-{20 + d}/part-202611{20 + d}T000000Z_202611{21 + d}T000000Z.parquet" for d in range(3)
    ]
    exported = [row["sid"] for rows in files.values() for row in rows]
    assert len(exported) == 25_000 and set(exported) == set(sids)
    for name, rows in files.items():
        day = datetime.fromisoformat(name[5:15]).replace(tzinfo=timezone.utc)
        assert all(day <= row["date_sent"] < day + timedelta(days=1) for row in rows)
    row = files[sorted(files)[0]][0]
    assert row["status"] == "sent" and row["price_unit"] == "USD" and "body" not in row
    assert str(row["price"]) == f"-{0.0079 * row['num_segments']:.5f}"


def test_a_manual_run_without_a_logical_date_exports_its_since_until(
    airflow_db: Path, twilio_emulator: TwilioEmulator, tmp_path: Path, dags_folder: Path
) -> None:
    from airflow import __version__
    from airflow.models import DagBag

    if int(__version__.split(".")[0]) < 3:
        pytest.skip("Airflow 2.11 gives every run a logical date and interval; runs without one exist from 3.0 on")
    sids = seed_history(twilio_emulator, 900)
    dag = DagBag(dag_folder=str(DAGS / "log_export.py")).get_dag("log_export")
    conf = {"path": f"file://{tmp_path}/", "since": "2026-11-21T00:00:00Z", "until": "2026-11-23T00:00:00Z"}
    dag_run = dag.test(logical_date=None, run_conf=conf)  # as the UI, the CLI and the REST API trigger one

    assert dag_run.logical_date is None and str(getattr(dag_run.state, "value", dag_run.state)) == "success"
    _, fs = local(tmp_path)
    files = read_rows(fs, str(tmp_path))
    assert list(files) == ["date=2026-11-21/part-20261121T000000Z_20261123T000000Z.parquet"]
    assert sorted(row["sid"] for row in files[next(iter(files))]) == sorted(sids[300:])


def test_jsonl_to_file_with_bodies_and_the_same_rows_on_a_rerun(
    twilio_emulator: TwilioEmulator, tmp_path: Path
) -> None:
    path, fs = local(tmp_path)
    sids = seed_history(twilio_emulator, 3000, body="Your appointment is tomorrow")
    task = exporter(path, format="jsonl", include_body=True, status_lookback=timedelta(0))
    for day in range(3):
        task.execute(context(DAY + timedelta(days=day), DAY + timedelta(days=day + 1)))
    first = read_rows(fs, str(tmp_path), ".jsonl")
    task.execute(context(DAY + timedelta(days=1), DAY + timedelta(days=2)))  # a re-run of the second day
    again = read_rows(fs, str(tmp_path), ".jsonl")
    assert len(first) == 3 and sorted({r["sid"] for rows in again.values() for r in rows}) == sorted(sids)
    assert sum(len(rows) for rows in again.values()) == 3000
    strip = lambda files: {k: [{**r, "exported_at": None} for r in v] for k, v in files.items()}  # noqa: E731
    assert strip(again) == strip(first)
    row = next(iter(again.values()))[0]
    assert row["body"] == "Your appointment is tomorrow" and row["date_sent"].endswith("Z")


# 2. A task killed mid-export, then retried: the same files, the same rows

KILLED_EXPORT = """
import sys
from datetime import datetime, timedelta, timezone
sys.path.insert(0, {root!r})
from tests.support.s3 import register_s3
import pytest
if {endpoint!r}:
    register_s3(pytest.MonkeyPatch(), {endpoint!r})
from airflow_provider_twilio.transfers.logs import TwilioLogExportOperator
start = datetime.fromisoformat({start!r})
task = TwilioLogExportOperator(task_id="export", resource="messages", path={path!r}, status_lookback=timedelta(0),
                               page_size=500)
task.execute({{"data_interval_start": start, "data_interval_end": start + timedelta(days=1), "params": {{}}}})
"""


@pytest.mark.parametrize("store", ["s3", "file"])
def test_a_killed_export_retried_writes_the_same_files_and_rows(
    twilio_emulator: TwilioEmulator, s3_endpoint: str, monkeypatch: pytest.MonkeyPatch, tmp_path: Path, store: str
) -> None:
    if store == "s3":
        register_s3(monkeypatch, s3_endpoint)
        path, fs, root = f"s3://lake/killed-{os.getpid()}/", s3_filesystem(s3_endpoint), f"lake/killed-{os.getpid()}"
        reference_path, reference_root = f"s3://lake/clean-{os.getpid()}/", f"lake/clean-{os.getpid()}"
    else:
        path, fs = local(tmp_path / "killed")
        root = str(tmp_path / "killed")
        reference_path, reference_root = f"file://{tmp_path}/clean/", str(tmp_path / "clean")
    seed_history(twilio_emulator, 25_000)
    day = DAY + timedelta(days=1)
    twilio_emulator.configure(latency=0.3)  # slow pages: the kill lands mid-export
    script = KILLED_EXPORT.format(
        root=str(Path(__file__).resolve().parents[2]),
        endpoint=s3_endpoint if store == "s3" else "",
        start=day.isoformat(),
        path=path,
    )
    env = {**os.environ, "AIRFLOW_CONN_TWILIO_DEFAULT": twilio_emulator.connection_uri}
    child = subprocess.Popen([sys.executable, "-c", textwrap.dedent(script)], env=env, stderr=subprocess.PIPE)
    try:
        deadline = time.monotonic() + 120
        while pages_read(twilio_emulator) < 4:  # a few pages into the window, well before its 17th
            assert child.poll() is None, child.stderr.read().decode() if child.stderr else ""
            assert time.monotonic() < deadline, "the export never started reading"
            time.sleep(0.05)
        child.send_signal(signal.SIGKILL)
        child.wait(timeout=30)
    finally:
        if child.poll() is None:
            child.kill()
    assert child.returncode == -signal.SIGKILL
    assert read_rows(fs, root) == {}  # nothing half-written under a final name
    if store == "file":  # a local file is written as it goes: the killed try left its temporary file
        assert [p for p in fs.find(root) if ".tmp-" in p]
    twilio_emulator.configure(latency=0)

    task = exporter(path, status_lookback=timedelta(0))
    task.execute(context(day, day + timedelta(days=1)))  # the retry
    exporter(reference_path, status_lookback=timedelta(0)).execute(context(day, day + timedelta(days=1)))

    retried, clean = read_rows(fs, root), read_rows(fs, reference_root)
    assert list(retried) == list(clean) == ["date=2026-11-21/part-20261121T000000Z_20261122T000000Z.parquet"]
    strip = lambda files: [{**r, "exported_at": None} for v in files.values() for r in v]  # noqa: E731
    assert len(strip(clean)) == 8333  # i * 10.368 s within the second day: i = 8334 ... 16666
    assert strip(retried) == strip(clean)
    assert not [p for p in fs.find(root) if ".tmp-" in p]  # the retry removed the killed try's leftovers


def pages_read(emu: TwilioEmulator) -> int:
    return sum(1 for r in emu.request_log() if r["path"].endswith("/Messages.json") and r["status"] == 200)


# 3. Statuses changed after the first export: the lookback run carries the final status


@pytest.mark.parametrize("store", ["s3", "file"])
def test_the_lookback_run_carries_statuses_that_changed_after_the_first_export(
    twilio_emulator: TwilioEmulator, s3: tuple[str, Any], tmp_path: Path, store: str
) -> None:
    path, fs = s3 if store == "s3" else local(tmp_path)
    root = path.removeprefix("s3://") if store == "s3" else str(tmp_path)
    sids = seed_history(twilio_emulator, 300)
    first_day = sids[:100]
    exporter(path).execute(context(DAY, DAY + timedelta(days=1)))
    before = read_rows(fs, root)
    assert {row["status"] for rows in before.values() for row in rows} == {"sent"}

    for i, sid in enumerate(first_day):
        twilio_emulator.set_message_status(sid, "delivered" if i % 4 else "undelivered", None if i % 4 else 30003)
    exporter(path, status_lookback=timedelta(0)).execute(context(DAY + timedelta(days=1), DAY + timedelta(days=2)))
    stale = read_rows(fs, root)["date=2026-11-20/part-20261120T000000Z_20261121T000000Z.parquet"]
    assert {row["status"] for row in stale} == {"sent"}  # without a lookback, the first day keeps its old status

    exporter(path).execute(context(DAY + timedelta(days=2), DAY + timedelta(days=3)))  # default: 3 days back
    after = read_rows(fs, root)
    first = {row["sid"]: row for row in after["date=2026-11-20/part-20261120T000000Z_20261121T000000Z.parquet"]}
    assert sorted(first) == sorted(first_day)
    assert [first[sid]["status"] for sid in first_day] == [
        "undelivered" if i % 4 == 0 else "delivered" for i in range(100)
    ]
    assert first[first_day[0]]["error_code"] == 30003
    assert first[first_day[0]]["error_name"] == "UNREACHABLE_DESTINATION_ERROR"
    every = [row["sid"] for rows in after.values() for row in rows]
    assert sorted(every) == sorted(sids)  # still exactly once across the dataset


# 4. Recordings: the audio files and their metadata rows


@pytest.mark.parametrize("store", ["s3", "file"])
def test_recordings_export_their_audio_and_metadata(
    twilio_emulator: TwilioEmulator, s3: tuple[str, Any], tmp_path: Path, store: str
) -> None:
    path, fs = s3 if store == "s3" else local(tmp_path)
    root = path.removeprefix("s3://") if store == "s3" else str(tmp_path)
    call = "CA" + "5" * 32
    twilio_emulator.seed_recordings(
        [
            {"sid": f"RE{i:032x}", "call_sid": call, "start_time": DAY.timestamp() + i * 3600, "duration": 2 + i}
            for i in range(30)
        ]
    )
    results = exporter(path, resource="recordings", status_lookback=timedelta(0)).execute(
        context(DAY, DAY + timedelta(days=1))
    )
    assert [r["rows"] for r in results] == [24]  # one an hour, placed by DateCreated (when each ends)
    rows = read_rows(fs, root)["date=2026-11-20/part-20261120T000000Z_20261121T000000Z.parquet"]
    assert len(rows) == 24 and {r["call_sid"] for r in rows} == {call}
    for row in rows:
        with fs.open(f"{root.rstrip('/')}/{row['audio_path']}", "rb") as stream, wave.open(stream) as audio:
            assert audio.getnframes() / audio.getframerate() == row["duration"]
        assert row["audio_path"] == f"date=2026-11-20/audio/{row['sid']}.wav"
        assert row["price_unit"] == "USD" and row["status"] == "completed"
