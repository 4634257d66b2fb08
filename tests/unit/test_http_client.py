"""The sync client reads proxy settings from the environment once, and still honours them."""

from __future__ import annotations

import pytest

from airflow_provider_twilio.hooks.twilio import TwilioHook

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
