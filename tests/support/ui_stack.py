"""A real Airflow 3 deployment for the Twilio view: api-server with the view's plugin, scheduler,
dag-processor and triggerer, the approval example DAG, and ``twilio_default`` on the emulator.

The plugin is loaded from the deployment's plugins folder, so it is mounted ahead of the webhook
receiver exactly as its entry point places it in an installed provider. The simple auth manager has
two users, ``ada`` (admin) and ``vera`` (viewer); ``token`` logs one in with ``POST /auth/token``.
"""

from __future__ import annotations

import json
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from airflow_provider_twilio.emulator import TwilioEmulator
from tests.support.hitl_stack import HitlStack

REPO_ROOT = Path(__file__).resolve().parents[2]
APPROVAL_EXAMPLE = REPO_ROOT / "example_dags" / "example_twilio_sms_approval.py"
NUMBER = "+15005550006"
USERS = {"ada": "admin", "vera": "viewer"}
PASSWORD = "ui-test-password"
PLUGIN_FILE = "from airflow_provider_twilio.ui.plugin import TwilioUiPlugin\n\n__all__ = ['TwilioUiPlugin']\n"


@contextmanager
def ui_stack(home: Path, session_db: Path, emulator: TwilioEmulator, dag_files: list[Path]) -> Iterator[HitlStack]:
    stack = HitlStack(home, session_db, dag_files, {})
    try:
        plugins = home / "plugins"
        plugins.mkdir()
        (plugins / "twilio_ui_plugin.py").write_text(PLUGIN_FILE)
        extras = {"base_url": emulator.base_url, "default_from": NUMBER}
        connection = {"conn_type": "twilio", "login": emulator.account_sid, "password": emulator.auth_token}
        stack.env["AIRFLOW_CONN_TWILIO_DEFAULT"] = json.dumps({**connection, "extra": extras})
        stack.env["AIRFLOW__CORE__PLUGINS_FOLDER"] = str(plugins)
        passwords = home / "passwords.json"
        passwords.write_text(json.dumps(dict.fromkeys(USERS, PASSWORD)))
        stack.env["AIRFLOW__CORE__SIMPLE_AUTH_MANAGER_USERS"] = ",".join(f"{u}:{r}" for u, r in USERS.items())
        stack.env["AIRFLOW__CORE__SIMPLE_AUTH_MANAGER_PASSWORDS_FILE"] = str(passwords)
        for name in ("api-server", "dag-processor", "scheduler", "triggerer"):
            stack.start(name)
        yield stack
    finally:
        stack.stop_all()


def token(stack: HitlStack, username: str) -> str:
    """A JWT for the user, from the api-server's login endpoint."""
    body = json.dumps({"username": username, "password": PASSWORD}).encode()
    request = urllib.request.Request(
        f"{stack.base_url}/auth/token", data=body, headers={"Content-Type": "application/json"}, method="POST"
    )
    with urllib.request.urlopen(request, timeout=60) as response:
        return str(json.loads(response.read())["access_token"])
