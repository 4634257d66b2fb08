"""pytest plugin: the ``twilio_emulator`` fixture, registered through the ``pytest11`` entry point.

Nothing heavy is imported until a test asks for the fixture.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING

import pytest

if TYPE_CHECKING:
    from airflow_provider_twilio.emulator.server import TwilioEmulator

CONNECTION_ENV = "AIRFLOW_CONN_TWILIO_DEFAULT"


@pytest.fixture
def twilio_emulator(monkeypatch: pytest.MonkeyPatch) -> Iterator[TwilioEmulator]:
    """A running Twilio emulator that the ``twilio_default`` connection points at."""
    from airflow_provider_twilio.emulator.server import TwilioEmulator

    with TwilioEmulator() as emulator:
        monkeypatch.setenv(CONNECTION_ENV, emulator.connection_uri)
        yield emulator
