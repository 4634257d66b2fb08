"""Talking to the emulator from tests: the SDK pointed at it, raw HTTP, Twilio's error shape, a webhook receiver."""

from __future__ import annotations

import itertools
import threading
import time
from collections.abc import Callable
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qsl, urlsplit

import pytest

from airflow_provider_twilio.emulator import TwilioEmulator

DEFAULT_FROM = "+15005550006"
RECIPIENT = "+15551230001"
SERVICE_SID = "MG" + "ab" * 16


def sdk_client(emu: TwilioEmulator, username: str | None = None, password: str | None = None) -> Any:
    """The official SDK pointed at the emulator, as a user would configure it."""
    from twilio.rest import Client

    client = Client(username or emu.account_sid, password or emu.auth_token, account_sid=emu.account_sid)
    client.api.base_url = emu.base_url
    return client


def rest_error(call: Any) -> Any:
    from twilio.base.exceptions import TwilioRestException

    with pytest.raises(TwilioRestException) as info:
        call()
    return info.value


def wait_for(predicate: Callable[[], Any], timeout: float = 10.0) -> Any:
    """Poll until ``predicate`` is truthy or ``timeout`` passes; returns its last value."""
    deadline = time.monotonic() + timeout
    while True:
        result = predicate()
        if result or time.monotonic() > deadline:
            return result
        time.sleep(0.01)


def basic_auth(emu: TwilioEmulator) -> str:
    import base64

    return "Basic " + base64.b64encode(f"{emu.account_sid}:{emu.auth_token}".encode()).decode()


def http_request(
    base_url: str, method: str, path: str, body: bytes | None = None, headers: dict[str, Any] | None = None
) -> tuple[int, dict[str, str], bytes]:
    """One raw HTTP request (any method, any bytes); returns status, headers (lower-case names) and body."""
    import http.client
    from urllib.parse import urlsplit

    parts = urlsplit(base_url)
    connection = http.client.HTTPConnection(parts.hostname, parts.port, timeout=10)
    try:
        connection.putrequest(method, path, skip_accept_encoding=True)
        for name, value in (headers or {}).items():
            connection.putheader(name, value)
        if body is not None:
            connection.putheader("Content-Type", "application/x-www-form-urlencoded")
            connection.putheader("Content-Length", str(len(body)))
        connection.endheaders(body)
        response = connection.getresponse()
        return response.status, {k.lower(): v for k, v in response.getheaders()}, response.read()
    finally:
        connection.close()


def assert_twilio_error(status: int, headers: dict[str, str], body: bytes, expected_status: int) -> dict[str, Any]:
    """The answer is ``expected_status`` with Twilio's JSON error body; returns the body."""
    import json

    assert status == expected_status, body
    assert headers["content-type"].startswith("application/json"), headers
    error = json.loads(body)
    assert set(error) == {"code", "message", "more_info", "status"}, error
    assert error["status"] == expected_status and isinstance(error["code"], int)
    assert error["more_info"] == f"https://www.twilio.com/docs/errors/{error['code']}"
    return error  # type: ignore[no-any-return]


class Receiver:
    """A local webhook endpoint that records every POST and GET and answers ``answer`` (TwiML or nothing)."""

    def __init__(self) -> None:
        self.posts: list[dict[str, Any]] = []
        self.answer = b""
        # Seconds the first request waits before it is recorded and answered: a slow receiver.
        self.hold_first = 0.0
        self._requests = itertools.count()
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def _record(self, form: dict[str, str]) -> None:
                if next(receiver._requests) == 0 and receiver.hold_first:
                    time.sleep(receiver.hold_first)
                receiver.posts.append(
                    {"method": self.command, "path": self.path, "headers": dict(self.headers), "form": form}
                )
                if receiver.answer:
                    self.send_response(200)
                    self.send_header("Content-Type", "text/xml")
                    self.send_header("Content-Length", str(len(receiver.answer)))
                    self.end_headers()
                    self.wfile.write(receiver.answer)
                else:
                    self.send_response(204)
                    self.end_headers()

            def do_POST(self) -> None:
                length = int(self.headers.get("Content-Length", 0))
                self._record(dict(parse_qsl(self.rfile.read(length).decode(), keep_blank_values=True)))

            def do_GET(self) -> None:
                self._record(dict(parse_qsl(urlsplit(self.path).query, keep_blank_values=True)))

            def log_message(self, *args: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        self.thread = threading.Thread(target=self.server.serve_forever, args=(0.05,), daemon=True)
        self.thread.start()

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()
