"""The SDK's asyncio client against the emulator."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from typing import Any

import pytest

from airflow_provider_twilio.emulator import TwilioEmulator
from tests.support.emulator import DEFAULT_FROM, RECIPIENT


@pytest.fixture(scope="module")
def emu() -> Iterator[TwilioEmulator]:
    with TwilioEmulator() as emulator:
        emulator.configure(status_delay=0.02)
        yield emulator


async def _with_client(emu: TwilioEmulator, body: Any, password: str | None = None) -> Any:
    from twilio.http.async_http_client import AsyncTwilioHttpClient
    from twilio.rest import Client

    http_client = AsyncTwilioHttpClient()
    client = Client(emu.account_sid, password or emu.auth_token, http_client=http_client)
    client.api.base_url = emu.base_url
    try:
        return await body(client)
    finally:
        await http_client.close()


def test_async_create_fetch_list(emu: TwilioEmulator) -> None:
    async def body(client: Any) -> Any:
        created = await asyncio.gather(
            *(client.messages.create_async(to=RECIPIENT, from_=DEFAULT_FROM, body=f"async {i}") for i in range(5))
        )
        fetched = await client.messages(created[0].sid).fetch_async()
        listed = await client.messages.list_async(to=RECIPIENT, page_size=2)
        return created, fetched, listed

    created, fetched, listed = asyncio.run(_with_client(emu, body))
    assert {m.status for m in created} == {"queued"}
    assert fetched.sid == created[0].sid
    assert {m.sid for m in listed} >= {m.sid for m in created}
    assert len(listed) == len(emu.messages())


def test_async_error_is_a_rest_exception(emu: TwilioEmulator) -> None:
    from twilio.base.exceptions import TwilioRestException

    async def body(client: Any) -> Any:
        return await client.messages.create_async(to="+15005550004", from_=DEFAULT_FROM, body="x")

    with pytest.raises(TwilioRestException) as info:
        asyncio.run(_with_client(emu, body))
    assert info.value.code == 21610

    async def account(client: Any) -> Any:
        return await client.api.v2010.accounts(emu.account_sid).fetch_async()

    with pytest.raises(TwilioRestException) as info:
        asyncio.run(_with_client(emu, account, password="wrong"))
    assert (info.value.status, info.value.code) == (401, 20003)


def test_hook_async_client(twilio_emulator: TwilioEmulator) -> None:
    from airflow_provider_twilio.hooks.twilio import TwilioHook

    async def send() -> Any:
        async with TwilioHook().async_client() as client:
            return await client.messages.create_async(to=RECIPIENT, from_=DEFAULT_FROM, body="from the hook")

    message = asyncio.run(send())
    assert twilio_emulator.messages()[0]["sid"] == message.sid
