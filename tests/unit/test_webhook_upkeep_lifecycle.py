"""The receiver's upkeep thread runs only while an api-server serves: building the app starts nothing.

A probe that builds Airflow's app to answer one request (the connection form's Test button test, a CLI
command) must exit without a thread reading the metadata DB under it as the interpreter shuts down.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator

import pytest

from airflow_provider_twilio.webhooks import webhooks_supported

pytestmark = pytest.mark.skipif(
    not webhooks_supported(),
    reason="webhooks need Airflow 3.3+: FastAPI plugins on the api-server (none on 2.11) and the asset state store",
)


def upkeep_threads() -> list[threading.Thread]:
    return [thread for thread in threading.enumerate() if thread.name == "twilio-webhook-upkeep"]


@pytest.fixture
def no_upkeep() -> Iterator[None]:
    from airflow_provider_twilio.webhooks import upkeep

    upkeep.stop()
    assert not upkeep_threads()
    yield
    upkeep.stop()


def test_building_the_app_starts_no_upkeep(no_upkeep: None) -> None:
    from airflow_provider_twilio.webhooks.receiver import create_app

    create_app()
    assert not upkeep_threads()


def test_the_lifespan_starts_the_upkeep_and_ends_it(no_upkeep: None) -> None:
    from fastapi.testclient import TestClient

    from airflow_provider_twilio.webhooks.receiver import create_app

    with TestClient(create_app()):
        assert [thread.is_alive() for thread in upkeep_threads()] == [True]
    assert not upkeep_threads()
