"""The command line server and the ``/_emulator/`` control endpoints, from another process."""

from __future__ import annotations

import json
import os
import re
import shlex
import subprocess
import sys
import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.support.emulator import DEFAULT_FROM, RECIPIENT, wait_for

ACCOUNT_SID = "AC" + "5" * 32
AUTH_TOKEN = "cli-token-0123456789"


@pytest.fixture(scope="module")
def served() -> Iterator[tuple[str, str]]:
    """(connection URI, base URL) of an emulator run with ``python -m``; stopped with SIGTERM."""
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "airflow_provider_twilio.emulator",
            "--account-sid",
            ACCOUNT_SID,
            "--auth-token",
            AUTH_TOKEN,
            "--status-delay",
            "0.02",
            "--late-commit-delay",
            "7",
        ],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        assert process.stdout is not None
        uri = process.stdout.readline().strip()
        from airflow.models.connection import Connection

        base_url = json.loads(Connection(conn_id="cli", uri=uri).extra)["base_url"]
        yield uri, base_url
    finally:
        process.terminate()
        assert process.wait(timeout=20) == 0


def control(base_url: str, method: str, path: str, payload: dict[str, Any] | None = None) -> Any:
    data = json.dumps(payload).encode() if payload is not None else None
    request = urllib.request.Request(
        f"{base_url}/_emulator/{path}", data=data, method=method, headers={"Content-Type": "application/json"}
    )
    with urllib.request.urlopen(request, timeout=10) as response:
        content = response.read()
        return json.loads(content) if content else None


def client_for(base_url: str) -> Any:
    from twilio.rest import Client

    client = Client(ACCOUNT_SID, AUTH_TOKEN)
    client.api.base_url = base_url
    return client


def test_cli_prints_a_working_connection_uri(served: tuple[str, str], monkeypatch: pytest.MonkeyPatch) -> None:
    from airflow.models.connection import Connection

    from airflow_provider_twilio.hooks.twilio import TwilioHook

    uri = served[0]
    connection = Connection(conn_id="cli", uri=uri)
    assert (connection.login, connection.password) == (ACCOUNT_SID, AUTH_TOKEN)
    assert json.loads(connection.extra)["default_from"] == DEFAULT_FROM
    monkeypatch.setenv("AIRFLOW_CONN_TWILIO_CLI", uri)
    ok, reason = TwilioHook("twilio_cli").test_connection()
    assert ok, reason


def documented_fixed_port_run() -> tuple[list[str], str, str]:
    """docs/emulator.md's fixed-port example: the command, and the lines it says go to stdout and stderr."""
    text = (Path(__file__).resolve().parents[2] / "docs" / "emulator.md").read_text()
    section = text.split("With fixed credentials and port", 1)[1]
    blocks = re.findall(r"```(?:bash|text)\n(.*?)```", section, re.DOTALL)
    assert len(blocks) >= 3, "the fixed-port example needs a command block and its stdout and stderr lines"
    command, stdout, stderr = blocks[:3]
    return shlex.split(command.replace("\\\n", " ")), stdout.strip(), stderr.strip()


def test_cli_prints_what_the_docs_show() -> None:
    """The documented command, on a free port instead of 8089, prints exactly the documented lines."""
    import socket

    command, stdout, stderr = documented_fixed_port_run()
    assert command[:3] == ["python", "-m", "airflow_provider_twilio.emulator"] and "8089" in command
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = str(sock.getsockname()[1])
    argv = [sys.executable, *(part.replace("8089", port) for part in command[1:])]
    process = subprocess.Popen(argv, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        assert process.stdout is not None and process.stderr is not None
        printed = process.stdout.readline().strip()
        told = ""
        while not told.startswith("Twilio emulator at"):  # skip any warnings printed while importing
            line = process.stderr.readline()
            assert line, "the emulator exited before saying where it serves"
            told = line.strip()
    finally:
        process.terminate()
        assert process.wait(timeout=20) == 0
    assert printed == stdout.replace("8089", port)
    assert told == stderr.replace("8089", port)


def test_control_endpoints(served: tuple[str, str]) -> None:
    _, base_url = served
    assert control(base_url, "GET", "configure")["late_commit_delay"] == 7.0  # from --late-commit-delay
    assert control(base_url, "POST", "reset") is None
    client = client_for(base_url)

    control(base_url, "POST", "auto_replies", {"to": RECIPIENT, "body": "YES 1", "delay": 0.02})
    assert control(base_url, "GET", "auto_replies")["auto_replies"] == [
        {"to": RECIPIENT, "body": "YES 1", "delay": 0.02, "times_left": None}
    ]
    sent = client.messages.create(to=RECIPIENT, from_=DEFAULT_FROM, body="ok?")
    assert wait_for(lambda: len(control(base_url, "GET", "messages")["messages"]) == 2)

    injected = control(base_url, "POST", "inbound", {"from": "+15551230009", "to": DEFAULT_FROM, "body": "hello"})
    assert injected["status"] == "received"
    bodies = [m["body"] for m in control(base_url, "GET", "messages")["messages"]]
    assert bodies == ["hello", "YES 1", "ok?"]
    assert client.messages(sent.sid).fetch().body == "ok?"

    settings = control(base_url, "POST", "configure", {"late_commit": 0.25, "late_commit_delay": 1.5})
    assert (settings["late_commit"], settings["late_commit_delay"]) == (0.25, 1.5)
    settings = control(base_url, "POST", "configure", {"throttle": 1.0, "late_commit": 0, "seed": 1})
    assert settings["throttle"] == 1.0
    from twilio.base.exceptions import TwilioRestException

    with pytest.raises(TwilioRestException) as info:
        client.messages.create(to=RECIPIENT, from_=DEFAULT_FROM, body="x")
    assert info.value.code == 20429
    control(base_url, "POST", "configure", {"throttle": 0})

    log = control(base_url, "GET", "requests")["requests"]
    assert [entry["status"] for entry in log][-2:] == [200, 429]
    control(base_url, "DELETE", "requests")
    assert control(base_url, "GET", "requests")["requests"] == []

    key = control(base_url, "POST", "api_keys")
    keyed = __import__("twilio.rest", fromlist=["Client"]).Client(key["sid"], key["secret"], ACCOUNT_SID)
    keyed.api.base_url = base_url
    assert keyed.api.v2010.accounts(ACCOUNT_SID).fetch().sid == ACCOUNT_SID

    control(base_url, "POST", "reset")
    assert control(base_url, "GET", "messages")["messages"] == []


@pytest.mark.parametrize(
    ("path", "payload"),
    [
        ("configure", {"throttle": 2}),
        ("configure", {"late_commit_delay": -1}),
        ("configure", {"colour": "red"}),
        ("inbound", {"from": "555", "body": "x"}),
    ],
)
def test_control_endpoints_reject_bad_input(served: tuple[str, str], path: str, payload: dict[str, Any]) -> None:
    with pytest.raises(urllib.error.HTTPError) as info:
        control(served[1], "POST", path, payload)
    assert info.value.code == 400
    assert "message" in json.loads(info.value.read())


def test_cli_rejects_a_bad_account_sid() -> None:
    result = subprocess.run(
        [sys.executable, "-m", "airflow_provider_twilio.emulator", "--account-sid", "nope"],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 2
    assert "--account-sid" in result.stderr


@pytest.mark.parametrize(
    ("option", "value"), [("--late-commit", "2"), ("--late-commit-delay", "-1"), ("--throttle", "nan")]
)
def test_cli_rejects_a_bad_fault_setting(option: str, value: str) -> None:
    result = subprocess.run(
        [sys.executable, "-m", "airflow_provider_twilio.emulator", option, value],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 2
    assert option.removeprefix("--").replace("-", "_") in result.stderr


def documented_deployment_commands() -> list[str]:
    """The ``airflow connections`` lines of docs/emulator.md's "running Airflow deployment" block."""
    guide = (Path(__file__).resolve().parents[2] / "docs" / "emulator.md").read_text()
    section = guide.split("### The emulator with a running Airflow deployment", 1)[1]
    block = re.search(r"```bash\n(.*?)```", section, re.DOTALL)
    assert block, "docs/emulator.md's deployment section has no bash block"
    return [line for line in block.group(1).splitlines() if "airflow connections" in line]


def run_airflow(command: str, **env: str) -> subprocess.CompletedProcess[str]:
    """One documented line through bash, with this test's AIRFLOW_HOME and metadata DB."""
    environment = {k: v for k, v in os.environ.items() if k != "AIRFLOW__CORE__TEST_CONNECTION"}
    environment["PATH"] = f"{Path(sys.executable).parent}{os.pathsep}{environment.get('PATH', '')}"
    return subprocess.run(
        ["bash", "-c", command], env={**environment, **env}, capture_output=True, text=True, timeout=180, check=False
    )


def test_docs_register_the_emulator_with_a_deployment(served: tuple[str, str], airflow_db: Path) -> None:
    """`airflow connections add` with the printed URI, then `airflow connections test`, as docs/emulator.md says."""
    from airflow.models.connection import Connection
    from airflow.utils.session import create_session

    add, test = documented_deployment_commands()
    uri = served[0]
    with create_session() as session:
        session.query(Connection).filter(Connection.conn_id == "twilio_default").delete()

    added = run_airflow(re.sub(r"--conn-uri '[^']*'", f"--conn-uri {shlex.quote(uri)}", add))
    assert added.returncode == 0, added.stdout + added.stderr
    with create_session() as session:
        # Plain columns only: the CLI may have encrypted the secret and extras with a key this process lacks.
        columns = (Connection.conn_type, Connection.login, Connection.host, Connection.port)
        stored = session.query(*columns).filter(Connection.conn_id == "twilio_default").one()
    conn_type, login, host, port = stored
    assert (conn_type, login) == ("twilio", ACCOUNT_SID)
    assert not host and port is None  # base_url is the one place the address lives

    tested = run_airflow(test)
    assert tested.returncode == 0, tested.stdout + tested.stderr
    assert "Connection success!" in tested.stdout
    disabled = run_airflow(test.replace("AIRFLOW__CORE__TEST_CONNECTION=Enabled ", ""))
    assert disabled.returncode == 1
    assert "Testing connections is disabled" in disabled.stdout + disabled.stderr
