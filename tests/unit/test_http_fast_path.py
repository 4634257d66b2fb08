"""The hook's sync client over real HTTP: the SDK's answers and errors, the same wire, less work per request."""

from __future__ import annotations

import json
import re
import socket
from collections.abc import Iterator
from typing import Any

import pytest

from tests.support.local_http import RecordingServer, recording_server

SID = "AC" + "b" * 32
TOKEN = "fast-path-token"


@pytest.fixture
def server(monkeypatch: pytest.MonkeyPatch) -> Iterator[RecordingServer]:
    yield from recording_server(monkeypatch, (201, {"Content-Type": "application/json"}, b"{}"))


def sdk_messages(base_url: str, timeout: float = 5.0) -> Any:
    """The SDK's messages resource on the hook's sync client, sending only to ``base_url``."""
    from twilio.rest import Client

    from airflow_provider_twilio.hooks._http import build_sync_http_client

    http_client = build_sync_http_client(timeout)
    http_client.allowed_origin = base_url
    client = Client(SID, TOKEN, account_sid=SID, http_client=http_client)
    client.api.base_url = base_url
    return client.api.v2010.account.messages


def create(messages: Any) -> Any:
    return messages.create(to="+14155550100", from_="+15005550006", body="Grüße & hello")


def test_a_create_answers_with_the_sdks_message(server: RecordingServer) -> None:
    server.answer = (201, {"Content-Type": "application/json"}, json.dumps({"sid": "SM" + "1" * 32}).encode())
    assert create(sdk_messages(server.url)).sid == "SM" + "1" * 32
    line, headers = server.requests[0]["line"], server.requests[0]["headers"]
    assert line == f"POST /2010-04-01/Accounts/{SID}/Messages.json HTTP/1.1"
    assert headers["Content-Type"] == "application/x-www-form-urlencoded"
    assert headers["Authorization"].startswith("Basic ")
    assert b"Body=Gr%C3%BC%C3%9Fe+%26+hello" in server.requests[0]["body"]


def test_a_session_header_the_client_sets_itself_is_replaced_whatever_its_case(server: RecordingServer) -> None:
    from airflow_provider_twilio.hooks._http import basic_authorization, build_sync_http_client

    client = build_sync_http_client(5.0)
    assert client.session is not None
    client.session.headers["authorization"] = "Bearer stale"
    client.session.headers["content-type"] = "text/plain"
    client.request("POST", server.url + "/x", data={"a": "b"}, auth=(SID, TOKEN))
    assert server.requests[0]["authorization"] == [basic_authorization((SID, TOKEN))]
    assert server.requests[0]["headers"]["Content-Type"] == "application/x-www-form-urlencoded"


def test_a_4xx_is_the_sdks_rest_exception(server: RecordingServer) -> None:
    from twilio.base.exceptions import TwilioRestException

    error = {"code": 21211, "message": "The 'To' number is not a valid phone number.", "status": 400}
    server.answer = (400, {"Content-Type": "application/json"}, json.dumps(error).encode())
    with pytest.raises(TwilioRestException) as info:
        create(sdk_messages(server.url))
    assert (info.value.status, info.value.code) == (400, 21211)
    assert "not a valid phone number" in info.value.msg


def test_a_slow_answer_is_requests_read_timeout(server: RecordingServer) -> None:
    from requests.exceptions import ReadTimeout

    from airflow_provider_twilio.exceptions import ErrorType, classify_exception

    server.delay = 1.0
    with pytest.raises(ReadTimeout) as info:
        create(sdk_messages(server.url, timeout=0.2))
    assert classify_exception(info.value).error_type is ErrorType.TWILIO_CONNECTION_ERROR


def test_a_refused_connection_is_requests_connection_error() -> None:
    from requests.exceptions import ConnectionError as RequestsConnectionError

    with socket.socket() as closed:  # a port nobody listens on once this socket is closed
        closed.bind(("127.0.0.1", 0))
        port = closed.getsockname()[1]
    with pytest.raises(RequestsConnectionError):
        create(sdk_messages(f"http://127.0.0.1:{port}"))


def test_a_request_to_another_host_is_refused_before_it_is_sent(server: RecordingServer) -> None:
    from airflow_provider_twilio.exceptions import TwilioConnectionConfigError

    messages = sdk_messages("http://twilio.internal.example:8080")
    http_client = messages._version.domain.twilio.http_client
    with pytest.raises(TwilioConnectionConfigError, match=re.escape(f"Refused to send a request to {server.url}:")):
        http_client.request("POST", server.url + "/x", data={"a": "b"}, auth=(SID, TOKEN))
    assert server.requests == []


def test_response_headers_are_urllib3s_own_read_in_any_case(server: RecordingServer) -> None:
    """Not copied into a second case-insensitive mapping for every response."""
    from urllib3 import HTTPHeaderDict

    from airflow_provider_twilio.hooks._http import build_sync_http_client

    server.answer = (200, {"Content-Type": "text/plain; charset=utf-8", "Twilio-Request-Id": "RQ1"}, "Grüße".encode())
    response = build_sync_http_client(5.0).request("GET", server.url + "/x", auth=(SID, TOKEN))
    assert isinstance(response.headers, HTTPHeaderDict)
    assert response.headers["twilio-request-id"] == response.headers["Twilio-Request-Id"] == "RQ1"
    assert response.text == "Grüße"


def test_text_without_a_charset_is_decoded_as_requests_decodes_it(server: RecordingServer) -> None:
    server.answer = (200, {"Content-Type": "text/plain"}, "Grüße".encode("latin-1"))
    from airflow_provider_twilio.hooks._http import build_sync_http_client

    assert build_sync_http_client(5.0).request("GET", server.url + "/x").text == "Grüße"


def test_a_urls_request_path_is_worked_out_once_per_url_and_proxies(
    server: RecordingServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Through an HTTP proxy the request line carries the whole URL; without one, only the path."""
    from requests.adapters import HTTPAdapter

    from airflow_provider_twilio.hooks._http import build_sync_http_client

    worked_out: list[str] = []
    real = HTTPAdapter.request_url

    def counted(self: HTTPAdapter, request: Any, proxies: Any) -> str:
        worked_out.append(str(request.url))
        return real(self, request, proxies)

    monkeypatch.setattr(HTTPAdapter, "request_url", counted)
    client = build_sync_http_client(5.0)
    for _ in range(3):
        for path in ("/x", "/y"):
            client.request("POST", server.url + path, data={"a": "b"}, auth=(SID, TOKEN))
    assert worked_out == [server.url + "/x", server.url + "/y"]
    assert client.session is not None
    client.session.proxies["http"] = server.url  # the server stands in for a proxy from here on
    client.request("POST", server.url + "/y", data={"a": "b"}, auth=(SID, TOKEN))
    lines = [request["line"] for request in server.requests]
    assert lines[:6] == ["POST /x HTTP/1.1", "POST /y HTTP/1.1"] * 3
    assert lines[6] == f"POST {server.url}/y HTTP/1.1"
    assert len(worked_out) == 3
