"""TwilioConnectionSettings: what a connection must hold, and the errors for each way it can be wrong."""

from __future__ import annotations

import json
from types import SimpleNamespace
from typing import Any

import pytest

from airflow_provider_twilio.exceptions import ErrorType, TwilioConnectionConfigError
from airflow_provider_twilio.hooks.settings import DEFAULT_TIMEOUT, TwilioConnectionSettings

ACCOUNT_SID = "AC" + "0123456789abcdef" * 2
KEY_SID = "SK" + "fedcba9876543210" * 2
TOKEN = "TOKEN-sq8Zr2-recognisable-4f1e"


def conn(login: str | None = ACCOUNT_SID, password: str | None = TOKEN, extra: Any = None, conn_id: str = "my_twilio"):
    if isinstance(extra, dict):
        extra = json.dumps(extra)
    return SimpleNamespace(conn_id=conn_id, login=login, password=password, extra=extra)


def parse(**kwargs: Any) -> TwilioConnectionSettings:
    return TwilioConnectionSettings.from_connection(conn(**kwargs))


def test_account_sid_login_with_every_extra() -> None:
    settings = parse(
        extra={
            "region": "ie1",
            "edge": "dublin",
            "base_url": "http://127.0.0.1:8080/",
            "default_from": "+15005550006",
            "default_messaging_service_sid": "MG" + "1" * 32,
            "timeout": "12.5",
        }
    )
    assert settings.conn_id == "my_twilio"
    assert settings.username == ACCOUNT_SID
    assert settings.account_sid == ACCOUNT_SID
    assert settings.secret == TOKEN
    assert not settings.uses_api_key
    assert settings.region == "ie1"
    assert settings.edge == "dublin"
    assert settings.base_url == "http://127.0.0.1:8080"
    assert settings.default_from == "+15005550006"
    assert settings.default_messaging_service_sid == "MG" + "1" * 32
    assert settings.timeout == 12.5


def test_defaults_when_extras_are_absent_or_blank() -> None:
    for extra in (None, "", {}, {"region": " ", "timeout": "", "base_url": None}):
        settings = parse(extra=extra)
        assert settings.timeout == DEFAULT_TIMEOUT == 30.0
        assert settings.region is None
        assert settings.edge is None
        assert settings.base_url is None
        assert settings.default_from is None


def test_api_key_login_uses_the_account_sid_extra() -> None:
    settings = parse(login=KEY_SID, extra={"account_sid": ACCOUNT_SID})
    assert settings.uses_api_key
    assert settings.username == KEY_SID
    assert settings.account_sid == ACCOUNT_SID


def test_extra_given_as_a_dict_and_numeric_timeout() -> None:
    settings = TwilioConnectionSettings.from_connection(
        SimpleNamespace(conn_id="c", login=ACCOUNT_SID, password=TOKEN, extra={"timeout": 5})
    )
    assert settings.timeout == 5.0


def test_whitespace_around_login_and_secret_is_ignored() -> None:
    settings = parse(login=f"  {ACCOUNT_SID}\n", password=f"{TOKEN}\n")
    assert settings.username == ACCOUNT_SID
    assert settings.secret == TOKEN


def test_secret_is_not_in_repr_or_str() -> None:
    settings = parse(extra={"base_url": "http://127.0.0.1:1"})
    assert TOKEN not in repr(settings)
    assert TOKEN not in str(settings)
    assert ACCOUNT_SID in repr(settings)


@pytest.mark.parametrize(
    ("kwargs", "field", "hint"),
    [
        ({"login": None}, "login", "is empty"),
        ({"login": "   "}, "login", "is empty"),
        ({"login": "US" + "0" * 32}, "login", "expected an Account SID (AC...) or an API key SID (SK...)"),
        ({"login": "ac" + "0" * 32}, "login", "expected an Account SID"),
        ({"login": "AC123"}, "login", "32 letters or digits, got 5 characters"),
        ({"login": "AC" + "0" * 31 + "-"}, "login", "is not a SID"),
        ({"password": None}, "password", "is empty"),
        ({"password": "  "}, "password", "is empty"),
        ({"login": KEY_SID}, "extra 'account_sid'", "is required when the login is an API key SID"),
        ({"login": KEY_SID, "extra": {"account_sid": " "}}, "extra 'account_sid'", "is required"),
        ({"login": KEY_SID, "extra": {"account_sid": KEY_SID}}, "extra 'account_sid'", "is not an Account SID"),
        ({"login": KEY_SID, "extra": {"account_sid": "AC42"}}, "extra 'account_sid'", "is not a SID"),
        ({"extra": {"account_sid": "AC" + "f" * 32}}, "extra 'account_sid'", "differs from the login"),
        ({"extra": {"base_url": "api.twilio.com"}}, "extra 'base_url'", "has no http(s) scheme"),
        ({"extra": {"base_url": "ftp://api.twilio.com"}}, "extra 'base_url'", "has scheme 'ftp'; it is not an http(s)"),
        ({"extra": {"base_url": "http://"}}, "extra 'base_url'", "names no host"),
        ({"extra": {"base_url": "https://api.twilio.com/?x=1"}}, "extra 'base_url'", "query or fragment"),
        ({"extra": {"base_url": "https://u:p@proxy.example"}}, "extra 'base_url'", "must not embed credentials"),
        ({"extra": {"base_url": "http://api.example.net"}}, "extra 'base_url'", "would travel in clear text"),
        ({"extra": {"base_url": "HTTP://api.twilio.com/"}}, "extra 'base_url'", "to a host that is not loopback"),
        ({"extra": {"base_url": "http://10.0.0.5:8089"}}, "extra 'base_url'", "use https://, or http:// only"),
        ({"extra": {"base_url": "http://0.0.0.0:8089"}}, "extra 'base_url'", "would travel in clear text"),
        ({"extra": {"base_url": "http://127.0.0.1.example.net"}}, "extra 'base_url'", "would travel in clear text"),
        ({"extra": {"base_url": "http://localhost.example.net"}}, "extra 'base_url'", "would travel in clear text"),
        ({"extra": {"base_url": "http://[::2]:8089"}}, "extra 'base_url'", "would travel in clear text"),
        ({"extra": {"base_url": "http://[::ffff:10.0.0.5]"}}, "extra 'base_url'", "would travel in clear text"),
        ({"extra": {"region": "x@127.0.0.1:8080/"}}, "extra 'region'", "contains '@'; expected a host name label"),
        ({"extra": {"region": "evil.example#"}}, "extra 'region'", "contains '.'; expected a host name label"),
        ({"extra": {"region": "IE1"}}, "extra 'region'", "contains 'I'; expected a host name label of lowercase"),
        ({"extra": {"region": "-ie1"}}, "extra 'region'", "starts or ends with '-'"),
        ({"extra": {"region": "a" * 64}}, "extra 'region'", "over 63 characters"),
        ({"extra": {"edge": "dublin/x"}}, "extra 'edge'", "contains '/'; expected a host name label"),
        ({"extra": {"edge": "sydney:443"}}, "extra 'edge'", "contains ':'"),
        ({"extra": {"timeout": "soon"}}, "extra 'timeout'", "is not a number (str); expected a number of seconds"),
        ({"extra": {"timeout": [1]}}, "extra 'timeout'", "is not a number (list)"),
        ({"extra": {"timeout": True}}, "extra 'timeout'", "is True; expected a number of seconds"),
        ({"extra": {"timeout": "0"}}, "extra 'timeout'", "0 is outside the valid range"),
        ({"extra": {"timeout": -3}}, "extra 'timeout'", "-3 is outside the valid range"),
        ({"extra": {"timeout": "nan"}}, "extra 'timeout'", "nan is outside the valid range"),
        ({"extra": {"timeout": "inf"}}, "extra 'timeout'", "inf is outside the valid range"),
        ({"extra": {"timeout": 1e10}}, "extra 'timeout'", "1e+10 is outside the valid range; expected a number"),
        ({"extra": {"timeout": "3600.5"}}, "extra 'timeout'", "3600.5 is outside the valid range"),
        ({"extra": "{not json"}, "extra", "is not valid JSON"),
        ({"extra": "[1, 2]"}, "extra", "must be a JSON object"),
    ],
)
def test_malformed_connection_names_conn_id_and_field_and_hides_the_secret(
    kwargs: dict[str, Any], field: str, hint: str
) -> None:
    with pytest.raises(TwilioConnectionConfigError) as caught:
        parse(**kwargs)
    message = str(caught.value)
    assert message.startswith(f"Twilio connection 'my_twilio': {field} ")
    assert hint in message
    assert TOKEN not in message
    assert caught.value.error_type is ErrorType.INVALID_INPUT
    assert isinstance(caught.value, ValueError)


def test_secret_pasted_into_the_login_is_not_echoed() -> None:
    """A swapped login and password must not put the secret into the error message."""
    for secret_like in (TOKEN, "SK" + TOKEN, "AC" + "x" * 40):
        with pytest.raises(TwilioConnectionConfigError) as caught:
            parse(login=secret_like, password=ACCOUNT_SID)
        assert secret_like not in str(caught.value)
        assert secret_like[2:] not in str(caught.value)


@pytest.mark.parametrize(
    "extra",
    [
        {"account_sid": TOKEN},
        {"account_sid": "AC" + TOKEN},
        {"account_sid": "AC" + "f" * 32},
        {"base_url": TOKEN},
        {"base_url": "token:" + TOKEN},
        {"base_url": f"https://api.twilio.com/?token={TOKEN}"},
        {"base_url": f"https://api.twilio.com/#{TOKEN}"},
        {"base_url": f"http://{TOKEN}"},
        {"base_url": f"http://{TOKEN}.example.net:8080"},
        {"region": TOKEN},
        {"edge": TOKEN},
        {"timeout": TOKEN},
    ],
)
def test_a_secret_pasted_into_an_extra_is_not_echoed(extra: dict[str, str]) -> None:
    """Errors name the field and the rule, and show at most a short prefix of what was typed."""
    with pytest.raises(TwilioConnectionConfigError) as caught:
        parse(extra=extra)
    value = next(iter(extra.values()))
    message = str(caught.value)
    assert value not in message
    assert TOKEN[:6] not in message and "f" * 8 not in message


def test_region_and_edge_labels_are_accepted() -> None:
    settings = parse(extra={"region": " au1 ", "edge": "sydney-2"})
    assert (settings.region, settings.edge) == ("au1", "sydney-2")


def test_the_largest_timeout_is_accepted() -> None:
    assert parse(extra={"timeout": "3600"}).timeout == 3600.0


def test_credentials_in_base_url_are_not_echoed() -> None:
    with pytest.raises(TwilioConnectionConfigError) as caught:
        parse(extra={"base_url": f"https://user:{TOKEN}@proxy.example"})
    assert TOKEN not in str(caught.value)


def test_unnamed_connection_is_reported_as_such() -> None:
    with pytest.raises(TwilioConnectionConfigError, match=r"^Twilio connection '<unnamed>': login"):
        TwilioConnectionSettings.from_connection(SimpleNamespace(login="", password=TOKEN, extra=None))


@pytest.mark.parametrize(
    "base_url",
    [
        "https://api.twilio.com",
        "https://proxy.example.net:8443/twilio",
        "http://127.0.0.1:8089",
        "http://127.8.9.10",
        "http://localhost:8089/",
        "http://LocalHost",
        "http://[::1]:8089",
        "http://[::ffff:127.0.0.1]:8089",
    ],
)
def test_https_and_loopback_http_base_urls_are_accepted(base_url: str) -> None:
    assert parse(extra={"base_url": base_url}).base_url == base_url.rstrip("/")


def test_a_clear_text_base_url_error_says_why_and_what_to_use() -> None:
    with pytest.raises(TwilioConnectionConfigError) as caught:
        parse(extra={"base_url": "http://api.example.net"}, conn_id="prod_twilio")
    assert str(caught.value) == (
        "Twilio connection 'prod_twilio': extra 'base_url' is http:// to a host that is not loopback, so the auth "
        "token would travel in clear text; use https://, or http:// only to a loopback host (127.0.0.1, localhost, "
        "::1) such as the bundled emulator"
    )
