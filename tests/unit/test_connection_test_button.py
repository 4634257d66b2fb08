"""The connection form's Test button refuses a base_url that would send the auth token in clear text.

Airflow 3's button posts the form to ``POST /api/v2/connections/test``; Airflow 2.11's and the
``airflow connections test`` command call ``Connection.test_connection()``, which the route calls too.
The route runs in a fresh interpreter, in Airflow's own api-server app: it sets up an auth manager.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

ACCOUNT_SID = "AC" + "0123456789abcdef" * 2
TOKEN = "TOKEN-sq8Zr2-recognisable-4f1e"
CLEAR_TEXT = (
    "extra 'base_url' is http:// to a host that is not loopback, so the auth token would travel in clear text; "
    "use https://, or http:// only to a loopback host (127.0.0.1, localhost, ::1) such as the bundled emulator"
)

PROBE = """
import faulthandler, json, sys
faulthandler.dump_traceback_later(240, exit=True)  # a hang shows every thread's stack, not just a timeout
from fastapi.testclient import TestClient
from airflow.api_fastapi.app import create_app

client = TestClient(create_app("core"))
token = client.get("/auth/token").json()["access_token"]
answer = client.post(
    "/api/v2/connections/test", json=json.loads(sys.argv[1]), headers={"Authorization": f"Bearer " + token}
)
print("PROBE " + json.dumps({"status": answer.status_code, "body": answer.json()}))
"""


def airflow_major() -> int:
    from airflow import __version__

    return int(__version__.split(".")[0])


def form(base_url: str) -> dict[str, str]:
    return {
        "connection_id": "prod_twilio",
        "conn_type": "twilio",
        "login": ACCOUNT_SID,
        "password": TOKEN,
        "extra": json.dumps({"base_url": base_url}),
    }


def test_the_api_servers_test_route_shows_why_http_is_refused(airflow_db: Path, tmp_path: Path) -> None:
    if airflow_major() < 3:
        pytest.skip("Airflow 2.11 has no api-server; its Test button is covered by the Connection test below")
    env = {
        **os.environ,
        "AIRFLOW__CORE__AUTH_MANAGER": "airflow.api_fastapi.auth.managers.simple.simple_auth_manager.SimpleAuthManager",
        "AIRFLOW__CORE__SIMPLE_AUTH_MANAGER_ALL_ADMINS": "True",
        "AIRFLOW__CORE__TEST_CONNECTION": "Enabled",
        # Airflow 3.0 leaves the JWT issuer unset, which PyJWT 2.10+ refuses when signing the UI token.
        "AIRFLOW__API_AUTH__JWT_ISSUER": "airflow",
    }
    done = subprocess.run(
        [sys.executable, "-c", PROBE, json.dumps(form("http://api.example.net"))],
        capture_output=True,
        text=True,
        timeout=300,
        env=env,
        cwd=tmp_path,
        check=False,
    )
    lines = [line for line in done.stdout.splitlines() if line.startswith("PROBE ")]
    assert lines, f"the probe failed (exit {done.returncode}):\n{done.stderr[-3000:]}"
    answer = json.loads(lines[0].removeprefix("PROBE "))
    assert answer["status"] == 200
    assert answer["body"]["status"] is False
    # Airflow tests the form under a made-up connection id; the reason is the hook's, word for word.
    assert answer["body"]["message"].startswith("Twilio connection '")
    assert answer["body"]["message"].endswith(CLEAR_TEXT)
    assert TOKEN not in done.stdout + done.stderr


@pytest.mark.parametrize("base_url", ["http://api.example.net", "http://192.0.2.7:8089"])
def test_airflows_connection_test_names_the_connection_and_the_field(
    monkeypatch: pytest.MonkeyPatch, base_url: str
) -> None:
    """What ``airflow connections test prod_twilio`` does with a stored connection."""
    from airflow.models.connection import Connection

    fields = form(base_url)
    stored = {"conn_type": "twilio", "login": fields["login"], "password": TOKEN, "extra": fields["extra"]}
    monkeypatch.setenv("AIRFLOW_CONN_PROD_TWILIO", json.dumps(stored))
    ok, message = Connection.get_connection_from_secrets("prod_twilio").test_connection()
    assert not ok
    assert message == f"Twilio connection 'prod_twilio': {CLEAR_TEXT}"
