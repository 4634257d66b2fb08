"""The emulator's core API through the official twilio SDK over real HTTP."""

from __future__ import annotations

import logging
import time
from typing import Any

import pytest

from airflow_provider_twilio.emulator import TwilioEmulator
from tests.support.emulator import DEFAULT_FROM, RECIPIENT, rest_error, sdk_client, wait_for


def test_fetch_account(emu: TwilioEmulator) -> None:
    account = sdk_client(emu).api.v2010.accounts(emu.account_sid).fetch()
    assert account.sid == emu.account_sid
    assert account.status == "active"


def test_wrong_token_gets_401_20003(emu: TwilioEmulator) -> None:
    client = sdk_client(emu, password="not-the-token")
    error = rest_error(lambda: client.api.v2010.accounts(emu.account_sid).fetch())
    assert (error.status, error.code) == (401, 20003)


def test_unknown_username_gets_401(emu: TwilioEmulator) -> None:
    client = sdk_client(emu, username="AC" + "0" * 32, password=emu.auth_token)
    error = rest_error(lambda: client.messages.create(to=RECIPIENT, from_=DEFAULT_FROM, body="x"))
    assert (error.status, error.code) == (401, 20003)


def test_other_account_in_path_is_404(emu: TwilioEmulator) -> None:
    error = rest_error(lambda: sdk_client(emu).api.v2010.accounts("AC" + "1" * 32).fetch())
    assert (error.status, error.code) == (404, 20404)


def test_hook_test_connection(twilio_emulator: TwilioEmulator) -> None:
    from airflow_provider_twilio.hooks.twilio import TwilioHook

    ok, reason = TwilioHook().test_connection()
    assert ok, reason
    assert twilio_emulator.account_sid in reason


def test_hook_test_connection_reports_wrong_token(
    twilio_emulator: TwilioEmulator, monkeypatch: pytest.MonkeyPatch
) -> None:
    from airflow_provider_twilio.hooks.twilio import TwilioHook

    uri = twilio_emulator.connection_uri.replace(twilio_emulator.auth_token, "f" * 32)
    monkeypatch.setenv("AIRFLOW_CONN_TWILIO_DEFAULT", uri)
    ok, reason = TwilioHook().test_connection()
    assert not ok
    assert "20003" in reason


def test_connection_uri_carries_base_url_and_default_from(twilio_emulator: TwilioEmulator) -> None:
    from airflow_provider_twilio.hooks.twilio import TwilioHook

    settings = TwilioHook().settings
    assert settings.base_url == twilio_emulator.base_url
    assert settings.default_from == DEFAULT_FROM
    assert settings.account_sid == twilio_emulator.account_sid


def test_connection_uri_names_the_address_once(twilio_emulator: TwilioEmulator) -> None:
    """Only base_url says where the emulator is: no host or port the hook ignores and the form hides."""
    from airflow.models.connection import Connection

    conn = Connection(conn_id="emu", uri=twilio_emulator.connection_uri)
    assert not conn.host and conn.port is None
    assert conn.conn_type == "twilio"
    assert (conn.login, conn.password) == (twilio_emulator.account_sid, twilio_emulator.auth_token)
    assert conn.extra_dejson == {"base_url": twilio_emulator.base_url, "default_from": DEFAULT_FROM}


def test_create_message_has_every_field(fresh: TwilioEmulator) -> None:
    message = sdk_client(fresh).messages.create(to=RECIPIENT, from_=DEFAULT_FROM, body="Hello from Airflow")
    assert message.sid.startswith("SM") and len(message.sid) == 34
    assert message.status == "queued"
    assert message.direction == "outbound-api"
    assert message.to == RECIPIENT
    assert message.from_ == DEFAULT_FROM
    assert message.num_segments == "1"
    assert message.num_media == "0"
    assert message.account_sid == fresh.account_sid
    assert message.date_created is not None
    assert message.date_sent is None
    assert message.error_code is None
    raw = fresh.messages()[0]
    assert raw["sid"] == message.sid
    import json

    schema = json.loads(_spec_path().read_text())["components"]["schemas"]["api.v2010.account.message"]
    assert set(raw) == set(schema["properties"])


def _spec_path() -> Any:
    from pathlib import Path

    return Path(__file__).resolve().parent.parent / "data" / "twilio_api_v2010.json"


@pytest.mark.parametrize(
    ("body", "segments"),
    [
        ("a" * 160, "1"),
        ("a" * 161, "2"),
        ("é" * 160, "1"),
        ("ж" * 70, "1"),
        ("ж" * 71, "2"),
        ("{" * 80, "1"),
        ("{" * 81, "2"),
    ],
)
def test_num_segments_counts_gsm7_and_ucs2(fresh: TwilioEmulator, body: str, segments: str) -> None:
    message = sdk_client(fresh).messages.create(to=RECIPIENT, from_=DEFAULT_FROM, body=body)
    assert message.num_segments == segments


@pytest.mark.parametrize(
    ("kwargs", "code"),
    [
        ({"from_": DEFAULT_FROM, "body": "x"}, 21604),
        ({"to": RECIPIENT, "body": "x"}, 21603),
        ({"to": RECIPIENT, "from_": DEFAULT_FROM}, 21602),
        ({"to": RECIPIENT, "from_": DEFAULT_FROM, "body": "x" * 1601}, 21617),
        ({"to": RECIPIENT, "from_": DEFAULT_FROM, "media_url": [f"https://e.x/{i}.png" for i in range(11)]}, 21623),
        ({"to": "12345", "from_": DEFAULT_FROM, "body": "x"}, 21211),
        ({"to": "+1555", "from_": DEFAULT_FROM, "body": "x"}, 21211),
        ({"to": RECIPIENT, "from_": DEFAULT_FROM, "media_url": ["ftp://example.com/a.png"]}, 21620),
        ({"to": RECIPIENT, "from_": DEFAULT_FROM, "media_url": ["example.com/a.png"]}, 21620),
        ({"to": RECIPIENT, "from_": DEFAULT_FROM, "media_url": ["https://e.x/a.png", "https:///a.png"]}, 21620),
        ({"to": RECIPIENT, "from_": DEFAULT_FROM, "media_url": ["https://e.x:port/a.png"]}, 21620),
        ({"to": RECIPIENT, "from_": DEFAULT_FROM, "body": "x", "status_callback": "https://"}, 21609),
    ],
)
def test_validation_codes(fresh: TwilioEmulator, kwargs: dict[str, Any], code: int) -> None:
    from twilio.base import values

    params = {"to": values.unset, **kwargs}
    error = rest_error(lambda: sdk_client(fresh).messages.create(**params))
    assert (error.status, error.code) == (400, code)
    assert fresh.messages() == []


def test_body_of_1600_characters_is_accepted(fresh: TwilioEmulator) -> None:
    message = sdk_client(fresh).messages.create(to=RECIPIENT, from_=DEFAULT_FROM, body="x" * 1600)
    assert message.num_segments == "11"


def test_ten_media_urls_are_accepted(fresh: TwilioEmulator) -> None:
    urls = [f"https://example.com/{i}.png" for i in range(10)]
    message = sdk_client(fresh).messages.create(to=RECIPIENT, from_=DEFAULT_FROM, media_url=urls)
    assert message.num_media == "10"


@pytest.mark.parametrize(("from_", "code"), [("+15005550001", 21212), ("+15005550007", 21606), ("+15005550008", 21611)])
def test_magic_from_numbers(fresh: TwilioEmulator, from_: str, code: int) -> None:
    error = rest_error(lambda: sdk_client(fresh).messages.create(to=RECIPIENT, from_=from_, body="x"))
    assert (error.status, error.code) == (400, code)


@pytest.mark.parametrize(
    ("to", "code"),
    [
        ("+15005550001", 21211),
        ("+15005550002", 21612),
        ("+15005550003", 21408),
        ("+15005550004", 21610),
        ("+15005550009", 21614),
    ],
)
def test_magic_to_numbers(fresh: TwilioEmulator, to: str, code: int) -> None:
    error = rest_error(lambda: sdk_client(fresh).messages.create(to=to, from_=DEFAULT_FROM, body="x"))
    assert (error.status, error.code) == (400, code)
    assert error.msg and to in error.msg


def test_error_body_has_twilio_shape(fresh: TwilioEmulator) -> None:
    import base64
    import json
    import urllib.error
    import urllib.request

    request = urllib.request.Request(
        f"{fresh.base_url}/2010-04-01/Accounts/{fresh.account_sid}/Messages.json",
        data=b"From=%2B15005550006&Body=x",
        headers={
            "Authorization": "Basic " + base64.b64encode(f"{fresh.account_sid}:{fresh.auth_token}".encode()).decode()
        },
    )
    with pytest.raises(urllib.error.HTTPError) as info:
        urllib.request.urlopen(request, timeout=10)
    body = json.loads(info.value.read())
    assert body == {
        "code": 21604,
        "message": "A 'To' phone number is required.",
        "more_info": "https://www.twilio.com/docs/errors/21604",
        "status": 400,
    }


def test_malformed_messaging_service_sid(fresh: TwilioEmulator) -> None:
    error = rest_error(lambda: sdk_client(fresh).messages.create(to=RECIPIENT, messaging_service_sid="MG123", body="x"))
    assert error.status == 400


def test_fetch_and_unknown_message(fresh: TwilioEmulator) -> None:
    client = sdk_client(fresh)
    sent = client.messages.create(to=RECIPIENT, from_=DEFAULT_FROM, body="x")
    assert client.messages(sent.sid).fetch().body == "x"
    error = rest_error(lambda: client.messages("SM" + "0" * 32).fetch())
    assert (error.status, error.code) == (404, 20404)


def test_unknown_resource_is_404_20404(fresh: TwilioEmulator) -> None:
    import base64
    import urllib.error
    import urllib.request

    request = urllib.request.Request(
        f"{fresh.base_url}/2010-04-01/Accounts/{fresh.account_sid}/Queues.json",
        headers={
            "Authorization": "Basic " + base64.b64encode(f"{fresh.account_sid}:{fresh.auth_token}".encode()).decode()
        },
    )
    with pytest.raises(urllib.error.HTTPError) as info:
        urllib.request.urlopen(request, timeout=10)
    assert info.value.code == 404


def test_inject_inbound_is_listed_newest_first(fresh: TwilioEmulator) -> None:
    client = sdk_client(fresh)
    client.messages.create(to=RECIPIENT, from_=DEFAULT_FROM, body="question")
    reply = fresh.inject_inbound(from_=RECIPIENT, to=DEFAULT_FROM, body="YES 4821")
    assert reply["direction"] == "inbound"
    assert reply["status"] == "received"
    assert reply["date_sent"] is not None
    listed = client.messages.list()
    assert [m.body for m in listed] == ["YES 4821", "question"]
    assert [m["body"] for m in fresh.messages()] == ["YES 4821", "question"]
    assert client.messages(reply["sid"]).fetch().status == "received"


def test_inject_inbound_rejects_non_e164(fresh: TwilioEmulator) -> None:
    from airflow_provider_twilio.emulator.http.errors import ApiError

    with pytest.raises(ApiError):
        fresh.inject_inbound(from_="5551230001", to=DEFAULT_FROM, body="x")


def test_status_moves_to_delivered(fresh: TwilioEmulator) -> None:
    fresh.configure(status_delay=0.02)
    client = sdk_client(fresh)
    sent = client.messages.create(to=RECIPIENT, from_=DEFAULT_FROM, body="x")
    seen = {sent.status}
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        current = client.messages(sent.sid).fetch()
        seen.add(current.status)
        if current.status == "delivered":
            break
        time.sleep(0.005)
    assert current.status == "delivered"
    assert current.date_sent is not None
    assert current.price is not None
    assert seen <= {"queued", "sending", "sent", "delivered"}


def test_request_log_records_api_calls(fresh: TwilioEmulator) -> None:
    client = sdk_client(fresh)
    client.messages.create(to=RECIPIENT, from_=DEFAULT_FROM, body="x")
    client.messages.list(to=RECIPIENT, page_size=5)
    log = fresh.request_log()
    assert [(entry["method"], entry["status"]) for entry in log] == [("POST", 201), ("GET", 200)]
    assert "To=%2B15551230001" in log[1]["query"]
    assert all(entry["response_bytes"] > 0 for entry in log)
    fresh.clear_request_log()
    assert fresh.request_log() == []


def test_stopped_emulator_frees_its_port() -> None:
    import socket

    with TwilioEmulator() as emulator:
        port = emulator.port
        assert port
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", port))


def test_two_emulators_run_side_by_side() -> None:
    with TwilioEmulator() as first, TwilioEmulator() as second:
        assert first.base_url != second.base_url
        sdk_client(first).messages.create(to=RECIPIENT, from_=DEFAULT_FROM, body="x")
        assert len(first.messages()) == 1
        assert second.messages() == []


class LogLines(logging.Handler):
    """Collects the messages logged to the loggers it is attached to, at INFO and up."""

    def __init__(self) -> None:
        super().__init__(logging.INFO)
        self.lines: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.lines.append(record.getMessage())


def test_a_client_hanging_up_during_latency_is_logged_in_one_line(
    fresh: TwilioEmulator, capfd: pytest.CaptureFixture[str]
) -> None:
    """A timeout during configured latency is routine in fault tests: no ClientDisconnect traceback."""
    import requests

    # Attached to the loggers themselves: once Airflow has configured logging in this process (an earlier
    # test's dag.test()), a record need not reach the root logger, where caplog listens.
    collected = LogLines()
    loggers = [logging.getLogger(name) for name in ("airflow_provider_twilio.emulator.middleware", "uvicorn.error")]
    levels = [logger.level for logger in loggers]
    for logger in loggers:
        logger.addHandler(collected)
        logger.setLevel(logging.INFO)
    try:
        fresh.configure(latency=0.5)
        path = f"/2010-04-01/Accounts/{fresh.account_sid}/Messages.json"
        with pytest.raises(requests.exceptions.Timeout):
            requests.post(
                fresh.base_url + path,
                data={"To": RECIPIENT, "From": DEFAULT_FROM, "Body": "hello"},
                auth=(fresh.account_sid, fresh.auth_token),
                timeout=0.1,
            )
        wait_for(lambda: any(entry["path"] == path for entry in fresh.request_log()))
        fresh.configure(latency=0)
    finally:
        for logger, level in zip(loggers, levels, strict=True):
            logger.removeHandler(collected)
            logger.setLevel(level)

    assert collected.lines == [f"POST {path}: the client hung up before it was answered"]
    assert "Traceback" not in capfd.readouterr().err
    assert fresh.messages() == []
