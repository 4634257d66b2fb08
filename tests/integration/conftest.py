"""Fixtures for tests that talk to one emulator per test module, and for DAGs run with ``dag.test()``."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from airflow_provider_twilio.emulator import TwilioEmulator
from tests.support.dag_files import DAGS
from tests.support.emulator import Receiver


@pytest.fixture(scope="module")
def emu() -> Iterator[TwilioEmulator]:
    with TwilioEmulator() as emulator:
        yield emulator


@pytest.fixture
def fresh(emu: TwilioEmulator) -> TwilioEmulator:
    """The module's emulator with no messages, faults or auto-replies left from earlier tests."""
    emu.reset()
    return emu


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    """A local webhook receiver (see ``Receiver``), closed after the test."""
    receiver = Receiver()
    yield receiver
    receiver.close()


@pytest.fixture
def dags_folder(monkeypatch: pytest.MonkeyPatch) -> Path:
    """Airflow 3's ``dag.test()`` parses the DAGs folder; keep it to the test DAGs."""
    from airflow import settings

    monkeypatch.setenv("AIRFLOW__CORE__DAGS_FOLDER", str(DAGS))
    monkeypatch.setattr(settings, "DAGS_FOLDER", str(DAGS))
    return DAGS
