"""The sync client reads proxy settings from the environment once, and still honours them."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from typing import Any

import pytest

from airflow_provider_twilio.hooks.twilio import TwilioHook
from tests.support.local_http import RecordingServer, recording_server

SID = "AC" + "a" * 32
URI = f"twilio://{SID}:token@/?base_url=https%3A%2F%2Ftwilio.internal.example%3A8443"


@pytest.fixture
def hook(monkeypatch: pytest.MonkeyPatch) -> TwilioHook:
    monkeypatch.setenv("AIRFLOW_CONN_TWILIO_DEFAULT", URI)
    for name in ("HTTP_PROXY", "HTTPS_PROXY", "NO_PROXY", "ALL_PROXY", "http_proxy", "https_proxy", "no_proxy"):
        monkeypatch.delenv(name, raising=False)
    return TwilioHook()


def test_environment_proxy_is_pinned_on_the_session(hook: TwilioHook, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HTTPS_PROXY", "http://proxy.example:3128")
    session = hook.get_conn().http_client.session
    assert session.trust_env is False
    assert session.proxies["https"] == "http://proxy.example:3128"


def test_no_proxy_for_the_api_host_is_respected(hook: TwilioHook, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HTTPS_PROXY", "http://proxy.example:3128")
    monkeypatch.setenv("NO_PROXY", "twilio.internal.example")
    session = hook.get_conn().http_client.session
    assert "https" not in session.proxies


def test_ca_bundle_from_environment_is_kept(hook: TwilioHook, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("REQUESTS_CA_BUNDLE", "/etc/ssl/certs/corporate.pem")
    assert hook.get_conn().http_client.session.verify == "/etc/ssl/certs/corporate.pem"


def test_region_host_is_what_the_proxy_decision_is_made_for(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("AIRFLOW_CONN_TWILIO_DEFAULT", f"twilio://{SID}:token@/?region=ie1&edge=dublin")
    monkeypatch.setenv("HTTPS_PROXY", "http://proxy.example:3128")
    monkeypatch.setenv("NO_PROXY", "api.dublin.ie1.twilio.com")
    assert "https" not in TwilioHook().get_conn().http_client.session.proxies


ANSWER = '{"sid": "SM1", "body": "Grüße"}'.encode()


@pytest.fixture
def capture(monkeypatch: pytest.MonkeyPatch) -> Iterator[RecordingServer]:
    """Answers 201 with JSON holding non-ASCII text."""
    yield from recording_server(monkeypatch, (201, {"Content-Type": "application/json"}, ANSWER))


SDK_HEADERS = {
    "User-Agent": "twilio-python/9 (Linux x86_64) Python/3.11",
    "X-Twilio-Client": "python-9",
    "Accept-Charset": "utf-8",
    "Accept": "application/json",
}


def sdk_calls(url: str) -> list[dict[str, Any]]:
    """Requests as the SDK's resources make them: a create with a form body, a list page with a query."""
    path = f"{url}/2010-04-01/Accounts/{SID}/Messages.json"
    auth = (SID, "token")
    form = {**SDK_HEADERS, "Content-Type": "application/x-www-form-urlencoded"}
    create = {
        "To": "whatsapp:+14155550100",
        "From": "whatsapp:+15005550006",
        "Body": "Grüße & 10% off + more\nline=2",
        "MediaUrl": ["https://media.example/a.png?x=1&y=2", "https://media.example/b.png"],
        "StatusCallback": None,
        "ValidityPeriod": 600,
    }
    page = {"To": "+14155550100", "From": "+15005550006", "PageSize": 50}
    json_headers = {**SDK_HEADERS, "Content-Type": "application/json"}
    return [
        {"method": "POST", "url": path, "headers": form, "auth": auth, "data": create},
        {"method": "GET", "url": path, "headers": SDK_HEADERS, "auth": auth, "params": page},
        {"method": "DELETE", "url": path.replace(".json", "/SM1.json"), "headers": SDK_HEADERS, "auth": auth},
        {"method": "POST", "url": f"{url}/v1/Content", "headers": json_headers, "auth": auth, "data": {"name": "x"}},
    ]


def test_the_hooks_client_puts_the_same_requests_on_the_wire_as_the_sdks_own(capture: RecordingServer) -> None:
    """Form bodies (lists repeated, None left out, non-ASCII text), queries, credentials and headers alike."""
    from twilio.http.http_client import TwilioHttpClient

    from airflow_provider_twilio.hooks._http import build_sync_http_client

    answers = {}
    for name, client in (("sdk", TwilioHttpClient(timeout=5.0)), ("hook", build_sync_http_client(5.0))):
        answers[name] = [(r.status_code, r.text) for r in (client.request(**call) for call in sdk_calls(capture.url))]
    sdk, hook = capture.requests[:4], capture.requests[4:]
    assert hook == sdk
    assert answers["hook"] == answers["sdk"] == [(201, '{"sid": "SM1", "body": "Grüße"}')] * 4
    assert b"MediaUrl=https%3A%2F%2Fmedia.example%2Fa.png%3Fx%3D1%26y%3D2&MediaUrl=" in hook[0]["body"]


def test_a_quiet_client_formats_no_log_lines(capture: RecordingServer, monkeypatch: pytest.MonkeyPatch) -> None:
    """The SDK formats each request's and response's log lines before its logger drops them."""
    from twilio.http import HttpClient

    from airflow_provider_twilio.hooks._http import SDK_HTTP_LOGGER, build_sync_http_client

    assert not SDK_HTTP_LOGGER.isEnabledFor(logging.INFO)
    formatted: list[str] = []
    monkeypatch.setattr(HttpClient, "log_request", lambda self, kwargs: formatted.append(kwargs["url"]))
    monkeypatch.setattr(HttpClient, "log_response", lambda self, status, response: formatted.append(str(status)))
    client = build_sync_http_client(5.0)
    for call in sdk_calls(capture.url)[:3]:
        client.request(**call)
    assert formatted == [] and len(capture.requests) == 3


def test_the_sdks_request_log_still_works_when_turned_on(
    capture: RecordingServer, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    from airflow_provider_twilio.hooks._http import SDK_HTTP_LOGGER, build_sync_http_client

    monkeypatch.setattr(SDK_HTTP_LOGGER, "level", logging.INFO)
    with caplog.at_level(logging.INFO, logger=SDK_HTTP_LOGGER.name):
        build_sync_http_client(5.0).request(**sdk_calls(capture.url)[1])
    lines = [record.getMessage() for record in caplog.records if record.name == SDK_HTTP_LOGGER.name]
    assert any(line.startswith("GET Request: ") and "PageSize=50" in line for line in lines)
    assert "Response Status Code: 201" in lines
    assert not any("token" in line or "Basic" in line for line in lines)


def test_a_hosts_connection_pool_is_found_once_and_again_after_the_session_was_closed(
    capture: RecordingServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    from requests.adapters import HTTPAdapter

    from airflow_provider_twilio.hooks._http import build_sync_http_client

    lookups: list[str] = []
    real = HTTPAdapter.get_connection_with_tls_context

    def counted(self: HTTPAdapter, request: Any, *args: Any, **kwargs: Any) -> Any:
        lookups.append(str(request.url))
        return real(self, request, *args, **kwargs)

    monkeypatch.setattr(HTTPAdapter, "get_connection_with_tls_context", counted)
    client = build_sync_http_client(5.0)
    for _ in range(5):
        assert client.request(**sdk_calls(capture.url)[0]).status_code == 201
    assert len(lookups) == 1
    assert client.session is not None
    client.session.close()  # closes the adapters' pools
    assert client.request(**sdk_calls(capture.url)[1]).status_code == 201
    assert len(lookups) == 2 and len(capture.requests) == 6
