"""TwilioHook with the real SDK over real HTTP against the local Twilio emulator."""

from __future__ import annotations

import asyncio
import json
from typing import Any
from urllib.parse import quote

import pytest

from airflow_provider_twilio.emulator import TwilioEmulator
from airflow_provider_twilio.exceptions import ErrorType, TwilioAuthenticationError, classify_exception
from airflow_provider_twilio.hooks.twilio import TwilioHook

DEFAULT_FROM = "+15005550006"
WRONG_TOKEN = "f" * 32


def uri_connection(emu: TwilioEmulator, *, login: str, password: str, **extra: str) -> str:
    query = "&".join(
        f"{key}={quote(str(value), safe='')}" for key, value in {"base_url": emu.base_url, **extra}.items()
    )
    return f"twilio://{quote(login, safe='')}:{quote(password, safe='')}@/?{query}"


def json_connection(emu: TwilioEmulator, *, login: str, password: str, **extra: Any) -> str:
    value = {"conn_type": "twilio", "login": login, "password": password, "extra": {"base_url": emu.base_url, **extra}}
    return json.dumps(value)


def api_paths(emu: TwilioEmulator, method: str = "GET") -> list[str]:
    return [entry["path"] for entry in emu.request_log() if entry["method"] == method]


def test_fixture_connection_reaches_the_emulator(twilio_emulator: TwilioEmulator) -> None:
    hook = TwilioHook()
    ok, message = hook.test_connection()
    assert ok, message
    assert twilio_emulator.account_sid in message
    assert hook.settings.base_url == twilio_emulator.base_url
    assert hook.settings.default_from == DEFAULT_FROM
    assert api_paths(twilio_emulator) == [f"/2010-04-01/Accounts/{twilio_emulator.account_sid}.json"]


@pytest.mark.parametrize("form", ["uri", "json"])
def test_default_connection_from_the_environment(
    form: str, twilio_emulator: TwilioEmulator, monkeypatch: pytest.MonkeyPatch
) -> None:
    build = uri_connection if form == "uri" else json_connection
    emu = twilio_emulator
    monkeypatch.setenv("AIRFLOW_CONN_TWILIO_DEFAULT", build(emu, login=emu.account_sid, password=emu.auth_token,
                                                           default_from=DEFAULT_FROM, timeout="5"))  # fmt: skip
    hook = TwilioHook()
    ok, message = hook.test_connection()
    assert ok, message
    assert (hook.settings.default_from, hook.settings.timeout) == (DEFAULT_FROM, 5.0)

    monkeypatch.setenv("AIRFLOW_CONN_TWILIO_DEFAULT", build(emu, login=emu.account_sid, password=WRONG_TOKEN))
    ok, reason = TwilioHook().test_connection()
    assert not ok
    assert "20003" in reason
    assert WRONG_TOKEN not in reason


def test_api_key_authentication(twilio_emulator: TwilioEmulator, monkeypatch: pytest.MonkeyPatch) -> None:
    emu = twilio_emulator
    key_sid, key_secret = emu.create_api_key()
    assert key_sid.startswith("SK")
    monkeypatch.setenv("AIRFLOW_CONN_TWILIO_KEY", json_connection(emu, login=key_sid, password=key_secret,
                                                                  account_sid=emu.account_sid))  # fmt: skip
    hook = TwilioHook("twilio_key")
    ok, message = hook.test_connection()
    assert ok, message
    message_resource = hook.get_conn().messages.create(to="+15551230001", from_=DEFAULT_FROM, body="via key")
    assert message_resource.account_sid == emu.account_sid
    assert [m["body"] for m in emu.messages()] == ["via key"]

    monkeypatch.setenv("AIRFLOW_CONN_TWILIO_BADKEY", json_connection(emu, login=key_sid, password=WRONG_TOKEN,
                                                                     account_sid=emu.account_sid))  # fmt: skip
    ok, reason = TwilioHook("twilio_badkey").test_connection()
    assert not ok
    assert "20003" in reason


def test_wrong_token_surfaces_as_an_authentication_error(
    twilio_emulator: TwilioEmulator, monkeypatch: pytest.MonkeyPatch
) -> None:
    emu = twilio_emulator
    monkeypatch.setenv("AIRFLOW_CONN_TWILIO_DEFAULT", uri_connection(emu, login=emu.account_sid, password=WRONG_TOKEN))
    with pytest.raises(Exception) as caught:
        TwilioHook().get_conn().messages.create(to="+15551230001", from_=DEFAULT_FROM, body="never")
    error = classify_exception(caught.value)
    assert isinstance(error, TwilioAuthenticationError)
    assert (error.code, error.error_type) == (20003, ErrorType.AUTHENTICATION_CONNECTION_ERROR)
    assert emu.messages() == []


def test_pagination_follows_base_url(twilio_emulator: TwilioEmulator) -> None:
    emu = twilio_emulator
    for n in range(5):
        emu.inject_inbound(from_=f"+1555123000{n}", body=f"reply {n}")
    emu.clear_request_log()

    listed = TwilioHook().get_conn().messages.list(page_size=2)

    assert sorted(m.body for m in listed) == [f"reply {n}" for n in range(5)]
    messages_path = f"/2010-04-01/Accounts/{emu.account_sid}/Messages.json"
    assert api_paths(emu) == [messages_path] * 3  # every page was fetched from the emulator


def test_async_client_lists_and_fetches(twilio_emulator: TwilioEmulator) -> None:
    emu = twilio_emulator
    sent = TwilioHook().get_conn().messages.create(to="+15551230001", from_=DEFAULT_FROM, body="async me")
    emu.inject_inbound(from_="+15551230001", body="YES 4821")

    async def read() -> tuple[list[Any], Any, Any]:
        async with TwilioHook().async_client() as client:
            inbound = await client.messages.list_async(from_="+15551230001", page_size=20)
            fetched = await client.messages(sent.sid).fetch_async()
            account = await client.api.v2010.accounts(emu.account_sid).fetch_async()
            return inbound, fetched, account

    inbound, fetched, account = asyncio.run(read())
    assert [m.body for m in inbound] == ["YES 4821"]
    assert (fetched.sid, fetched.body, fetched.to) == (sent.sid, "async me", "+15551230001")
    assert account.sid == emu.account_sid


def test_timeouts_apply_to_both_clients(twilio_emulator: TwilioEmulator, monkeypatch: pytest.MonkeyPatch) -> None:
    emu = twilio_emulator
    monkeypatch.setenv("AIRFLOW_CONN_TWILIO_HASTY", uri_connection(emu, login=emu.account_sid,
                                                                   password=emu.auth_token, timeout="0.2"))  # fmt: skip
    emu.configure(latency=2.0)
    hook = TwilioHook("twilio_hasty")
    ok, reason = hook.test_connection()
    assert not ok
    assert reason.startswith("Could not reach Twilio")

    async def fetch() -> None:
        async with hook.async_client() as client:
            await client.api.v2010.accounts(emu.account_sid).fetch_async()

    with pytest.raises(asyncio.TimeoutError):
        asyncio.run(fetch())


def test_async_client_authenticates_without_deprecated_aiohttp_auth(twilio_emulator: TwilioEmulator) -> None:
    import warnings

    async def fetch_account() -> str:
        async with TwilioHook().async_client() as client:
            account = await client.api.v2010.accounts(twilio_emulator.account_sid).fetch_async()
            return str(account.sid)

    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        assert asyncio.run(fetch_account()) == twilio_emulator.account_sid
    assert not [w for w in caught if issubclass(w.category, DeprecationWarning) and "auth" in str(w.message).lower()]
