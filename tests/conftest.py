"""Test-wide Airflow setup: a throwaway AIRFLOW_HOME with a real SQLite metadata DB; markers by directory.

Environment variables are set at import time, before anything imports Airflow. The markers are
declared in pyproject.toml.
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
from typing import Any

import pytest

from tests.support.airflow_processes import LOADED_MACHINE_TIMEOUTS

REPO_ROOT = Path(__file__).resolve().parent.parent
TESTS = REPO_ROOT / "tests"
# Every test under tests/<directory> gets the marker, so `-m` selects suites by where tests live.
DIRECTORY_MARKERS = {"integration": "integration", "e2e": "e2e"}
E2E_SCOPE = "tests/e2e/"
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


@pytest.hookimpl(tryfirst=True)
def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Mark each test by its directory, before ``-m`` deselects anything."""
    for item in items:
        if not item.path.is_relative_to(TESTS):
            continue
        marker = DIRECTORY_MARKERS.get(item.path.relative_to(TESTS).parts[0])
        if marker is not None:
            item.add_marker(marker)


@pytest.hookimpl(optionalhook=True)
def pytest_xdist_make_scheduler(config: pytest.Config, log: Any) -> Any:
    """Under ``-n``: every test to any free worker, except tests/e2e, whose tests all share one worker.

    Each e2e module starts a whole Airflow deployment (api-server, scheduler, dag-processor, triggerer,
    sometimes Chromium) in a module-scoped fixture. Spread over the workers, one module's tests started
    it once per worker, and several deployments on two cores starved each other's api-server past the
    task runner's timeouts. On one worker they run one module after another, each deployment once.
    (xdist's own ``--dist loadgroup`` cannot do it under pytest 9: it renames node ids through an
    attribute pytest 9 no longer reads.)
    """
    if config.getvalue("dist") != "load":
        return None
    from xdist.scheduler import LoadScopeScheduling

    class OneDeploymentAtATime(LoadScopeScheduling):
        def _split_scope(self, nodeid: str) -> str:
            return E2E_SCOPE if nodeid.startswith(E2E_SCOPE) else nodeid

    return OneDeploymentAtATime(config, log)


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
