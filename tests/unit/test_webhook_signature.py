"""Webhook settings from a connection, the URL Twilio called, and the signature check."""

from __future__ import annotations

import json
from typing import Any

import pytest

from airflow_provider_twilio.exceptions import TwilioConnectionConfigError
from airflow_provider_twilio.webhooks.config import WebhookConfig
from airflow_provider_twilio.webhooks.signature import called_url, is_signed

ACCOUNT = "AC" + "a" * 32
KEY = "SK" + "b" * 32
TOKEN = "auth-token-" + "c" * 21


class Conn:
    def __init__(self, login: str, password: str, **extras: Any) -> None:
        self.conn_id = "twilio_hooks"
        self.login, self.password = login, password
        self.extra = json.dumps(extras)
        self.extra_dejson = extras


def config(**extras: Any) -> WebhookConfig:
    return WebhookConfig.from_connection(Conn(ACCOUNT, TOKEN, **extras))


def sign(url: str, params: dict[str, str], token: str = TOKEN) -> str:
    from twilio.request_validator import RequestValidator

    return str(RequestValidator(token).compute_signature(url, params))


PARAMS = {"MessageSid": "SM" + "1" * 32, "From": "+15551230001", "To": "+15005550006", "Body": "DEPLOY 1"}


def test_the_auth_token_signs_unless_a_webhook_auth_token_is_set() -> None:
    assert config().signing_key == TOKEN
    with_key = WebhookConfig.from_connection(Conn(KEY, "key-secret", account_sid=ACCOUNT, webhook_auth_token=TOKEN))
    assert with_key.signing_key == TOKEN and with_key.account_sid == ACCOUNT
    assert TOKEN not in repr(with_key)


def test_an_api_key_connection_without_webhook_auth_token_is_refused_without_echoing_secrets() -> None:
    with pytest.raises(TwilioConnectionConfigError, match="webhook_auth_token") as info:
        WebhookConfig.from_connection(Conn(KEY, "key-secret-value", account_sid=ACCOUNT))
    assert "key-secret-value" not in str(info.value)


@pytest.mark.parametrize("base", ["ftp://host", "https://", "https://host/?a=1", "https://host/#x", "host.example"])
def test_a_bad_webhook_base_url_is_a_configuration_error(base: str) -> None:
    with pytest.raises(TwilioConnectionConfigError, match="webhook_base_url"):
        config(webhook_base_url=base)


@pytest.mark.parametrize(("value", "expected"), [(True, True), ("true", True), ("no", False), (None, False)])
def test_trust_forwarded_headers_is_a_flag(value: Any, expected: bool) -> None:
    assert config(webhook_trust_forwarded_headers=value).trust_forwarded_headers is expected
    with pytest.raises(TwilioConnectionConfigError, match="true or false"):
        config(webhook_trust_forwarded_headers="maybe")


FORWARDED = {"x-forwarded-proto": "https", "x-forwarded-host": "hooks.example.com, proxy.internal"}


def test_the_called_url_comes_from_the_base_url_then_trusted_proxy_headers_then_the_request() -> None:
    path, seen = "/twilio/twilio_hooks/sms", {"scheme": "http", "host": "10.0.0.5:8080"}
    configured = config(webhook_base_url="https://airflow.example.com/prefix/")
    assert called_url(configured, **seen, path=path, query="", headers=FORWARDED) == (
        "https://airflow.example.com/prefix/twilio/twilio_hooks/sms"
    )
    assert called_url(config(), **seen, path=path, query="a=1", headers=FORWARDED) == (
        "http://10.0.0.5:8080/twilio/twilio_hooks/sms?a=1"
    )
    trusting = config(webhook_trust_forwarded_headers=True)
    assert called_url(trusting, **seen, path=path, query="", headers=FORWARDED) == (
        "https://hooks.example.com/twilio/twilio_hooks/sms"
    )


def test_only_twilios_signature_for_that_url_and_those_params_passes() -> None:
    url = "https://airflow.example.com/twilio/twilio_hooks/sms"
    good = sign(url, PARAMS)
    assert is_signed(config(), url, PARAMS, good)
    assert is_signed(config(), "https://airflow.example.com:443/twilio/twilio_hooks/sms", PARAMS, good)
    assert not is_signed(config(), url, PARAMS, None)
    assert not is_signed(config(), url, PARAMS, "")
    assert not is_signed(config(), url, {**PARAMS, "Body": "DEPLOY 2"}, good)
    assert not is_signed(config(), url + "?x=1", PARAMS, good)
    assert not is_signed(config(), url, PARAMS, sign(url, PARAMS, token="other-token"))
    assert not is_signed(config(), "http://bad:port/twilio", PARAMS, good)
