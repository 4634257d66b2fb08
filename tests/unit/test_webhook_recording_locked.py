"""A batch of webhooks that SQLite refuses its write lock is tried again, not answered with a 500."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy.exc import OperationalError

from airflow_provider_twilio.webhooks import recording


def _job() -> Any:
    return recording._Job("classpath", lambda kwargs: None)


def test_a_locked_database_is_tried_again_from_scratch(monkeypatch: pytest.MonkeyPatch) -> None:
    calls: list[int] = []

    def write(jobs: list[Any]) -> None:
        calls.append(1)
        jobs[0].recorded += 1  # partly done, then the commit is refused: the retry starts from 0
        if len(calls) < 3:
            raise OperationalError("INSERT ...", {}, Exception("database is locked"))

    monkeypatch.setattr(recording, "_write", write)
    monkeypatch.setattr(recording.time, "sleep", lambda seconds: None)
    job = _job()
    recording._write_retrying_when_locked([job])
    assert len(calls) == 3
    assert job.recorded == 1 and job.error is None


def test_other_database_errors_and_a_lock_that_lasts_are_raised(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(recording.time, "sleep", lambda seconds: None)

    def broken(jobs: list[Any]) -> None:
        raise OperationalError("INSERT ...", {}, Exception("no such table: asset"))

    monkeypatch.setattr(recording, "_write", broken)
    with pytest.raises(OperationalError, match="no such table"):
        recording._write_retrying_when_locked([_job()])

    tries: list[int] = []

    def locked(jobs: list[Any]) -> None:
        tries.append(1)
        raise OperationalError("INSERT ...", {}, Exception("database is locked"))

    monkeypatch.setattr(recording, "_write", locked)
    with pytest.raises(OperationalError, match="database is locked"):
        recording._write_retrying_when_locked([_job()])
    assert len(tries) == recording.LOCKED_RETRIES


def test_a_lock_while_holding_fails_the_batch_so_it_is_tried_again() -> None:
    locked = OperationalError("INSERT ...", {}, Exception("database is locked"))
    assert recording._is_locked(locked)
    assert not recording._is_locked(OperationalError("SELECT", {}, Exception("disk I/O error")))
    assert not recording._is_locked(ValueError("database is locked"))
