"""Fixtures for tests that talk to one emulator per test module."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from airflow_provider_twilio.emulator import TwilioEmulator
from tests.integration.emulator_support import Receiver


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
