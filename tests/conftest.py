"""Test-wide Airflow setup: a throwaway AIRFLOW_HOME with a real SQLite metadata DB.

Environment variables are set at import time, before anything imports Airflow.
"""

from __future__ import annotations

import atexit
import os
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.support.airflow_processes import LOADED_MACHINE_TIMEOUTS

REPO_ROOT = Path(__file__).resolve().parent.parent
AIRFLOW_HOME = Path(tempfile.mkdtemp(prefix="airflow-twilio-tests-"))
atexit.register(shutil.rmtree, AIRFLOW_HOME, ignore_errors=True)

os.environ["AIRFLOW_HOME"] = str(AIRFLOW_HOME)
os.environ["AIRFLOW__CORE__LOAD_EXAMPLES"] = "False"
os.environ["AIRFLOW__CORE__DAGS_FOLDER"] = str(REPO_ROOT)
os.environ["AIRFLOW__DATABASE__SQL_ALCHEMY_CONN"] = f"sqlite:///{AIRFLOW_HOME / 'airflow.db'}"
os.environ["AIRFLOW__CORE__UNIT_TEST_MODE"] = "False"
os.environ.pop("AIRFLOW_CONN_TWILIO_DEFAULT", None)
# The suites run side by side on two cores, where importing one DAG file can take longer than Airflow's
# 30 s default: the same timeouts the Airflow processes the tests start get.
os.environ.update(LOADED_MACHINE_TIMEOUTS)


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers", "own_process: run by `make test` apart from the whole suite, with the serial tests"
    )
    config.addinivalue_line(
        "markers", "serial: asserts that nothing stalls an event loop; `make test` runs it with no test beside it"
    )


def airflow_major() -> int:
    from airflow import __version__

    return int(__version__.split(".")[0])


@pytest.fixture(scope="session")
def airflow_db() -> Iterator[Path]:
    """A migrated SQLite metadata DB, for tests that run DAGs with ``dag.test()``."""
    subprocess.run(
        [sys.executable, "-m", "airflow", "db", "migrate"],
        check=True,
        env=os.environ.copy(),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    yield AIRFLOW_HOME / "airflow.db"
