"""A real Airflow 3 api-server and Debian's Chromium, for the connection-form test; one emulator per module.

The api-server runs on loopback in its own AIRFLOW_HOME with the simple auth manager (everyone is
admin, so no login page) and connection testing enabled. Every start is bounded by a timeout and
every process is torn down, whatever the test did.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from airflow_provider_twilio.emulator import TwilioEmulator
from tests.support.airflow_processes import LOADED_MACHINE_TIMEOUTS, stop_process_group
from tests.support.net import free_port

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
STARTUP_TIMEOUT = 180.0
SHUTDOWN_TIMEOUT = 20.0


def airflow_major() -> int:
    from airflow import __version__

    return int(__version__.split(".")[0])


def require_browser() -> None:
    """Skip without Chromium or Playwright, except in CI, where the browser test must run."""
    missing = []
    if not CHROMIUM.is_file() or not os.access(CHROMIUM, os.X_OK):
        missing.append(f"{CHROMIUM} (run scripts/ensure-chromium.sh)")
    try:
        import playwright.sync_api  # noqa: F401
    except ImportError:
        missing.append("the playwright package")
    if missing:
        reason = "browser test needs " + " and ".join(missing)
        if os.environ.get("CI", "").lower() == "true":
            pytest.fail(reason + "; CI=true, so this is a failure", pytrace=False)
        pytest.skip(reason)


@dataclass
class ApiServer:
    base_url: str
    home: Path
    env: dict[str, str]

    def airflow(self, *args: str, timeout: float = 120) -> str:
        """Run the Airflow CLI against this server's metadata DB."""
        done = subprocess.run(
            [sys.executable, "-m", "airflow", *args],
            env=self.env,
            capture_output=True,
            text=True,
            timeout=timeout,
            check=True,
        )
        return done.stdout


def _wait_until_up(url: str, process: subprocess.Popen[Any], log: Path) -> None:
    deadline = time.monotonic() + STARTUP_TIMEOUT
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"airflow api-server exited with {process.returncode}:\n{_tail(log)}")
        try:
            with urllib.request.urlopen(url, timeout=5) as response:
                if response.status == 200:
                    return
        except (urllib.error.URLError, OSError):
            pass
        time.sleep(0.5)
    raise RuntimeError(f"airflow api-server did not answer {url} within {STARTUP_TIMEOUT:.0f} s:\n{_tail(log)}")


def _tail(log: Path, lines: int = 40) -> str:
    try:
        return "\n".join(log.read_text(errors="replace").splitlines()[-lines:])
    except OSError:
        return "(no log)"


@pytest.fixture(scope="module")
def airflow_api_server(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[ApiServer]:
    if airflow_major() < 3:
        pytest.skip("the connection form under test is Airflow 3's React UI; Airflow 2.11 has no api-server")
    require_browser()
    airflow_db: Path = request.getfixturevalue("airflow_db")

    home = tmp_path_factory.mktemp("airflow-ui-home")
    dags = home / "dags"
    dags.mkdir()
    # A copy of the session's migrated DB saves a second `airflow db migrate`.
    shutil.copyfile(airflow_db, home / "airflow.db")
    port = free_port()
    env = {key: value for key, value in os.environ.items() if not key.startswith(("AIRFLOW_CONN_", "AIRFLOW__"))}
    env.update(
        {
            "AIRFLOW_HOME": str(home),
            "AIRFLOW__DATABASE__SQL_ALCHEMY_CONN": f"sqlite:///{home / 'airflow.db'}",
            "AIRFLOW__CORE__DAGS_FOLDER": str(dags),
            "AIRFLOW__CORE__LOAD_EXAMPLES": "False",
            "AIRFLOW__CORE__AUTH_MANAGER": (
                "airflow.api_fastapi.auth.managers.simple.simple_auth_manager.SimpleAuthManager"
            ),
            "AIRFLOW__CORE__SIMPLE_AUTH_MANAGER_ALL_ADMINS": "True",
            "AIRFLOW__CORE__TEST_CONNECTION": "Enabled",
            "AIRFLOW__API__HOST": "127.0.0.1",
            "AIRFLOW__API__PORT": str(port),
            **LOADED_MACHINE_TIMEOUTS,
        }
    )
    log = home / "api-server.log"
    with log.open("wb") as out:
        process = subprocess.Popen(
            [sys.executable, "-m", "airflow", "api-server", "-H", "127.0.0.1", "-p", str(port), "-w", "1"],
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    try:
        base_url = f"http://127.0.0.1:{port}"
        _wait_until_up(f"{base_url}/api/v2/version", process, log)
        yield ApiServer(base_url=base_url, home=home, env=env)
    finally:
        stop_process_group(process, term_grace=SHUTDOWN_TIMEOUT)


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    require_browser()
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(
            executable_path=str(CHROMIUM), args=CHROMIUM_ARGS, headless=True, timeout=60_000
        )
        try:
            yield chromium
        finally:
            chromium.close()


@pytest.fixture(scope="module")
def emulator() -> Iterator[TwilioEmulator]:
    """One emulator with its defaults for a module's deployment; a module that needs people or settings
    defines its own ``emulator``."""
    with TwilioEmulator() as emu:
        yield emu
