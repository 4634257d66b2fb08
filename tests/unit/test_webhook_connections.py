"""Requests to made-up connection ids cost no connection lookup each, and never push out a known one."""

from __future__ import annotations

import json
import logging
from collections.abc import Iterator
from typing import Any

import pytest

from airflow_provider_twilio.webhooks import webhooks_supported
from airflow_provider_twilio.webhooks.config import WebhookConfig
from airflow_provider_twilio.webhooks.connections import (
    KNOWN_TTL,
    MAX_KNOWN,
    MAX_UNKNOWN,
    UNKNOWN_TTL,
    ConnectionSettings,
)

ACCOUNT = "AC" + "a" * 32


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


class Lookups:
    """A lookup function that counts its calls; ids starting with ``known`` are Twilio connections."""

    def __init__(self) -> None:
        self.calls: list[str] = []

    def __call__(self, conn_id: str) -> WebhookConfig | None:
        self.calls.append(conn_id)
        if not conn_id.startswith("known"):
            return None
        return WebhookConfig(conn_id, ACCOUNT, "token", None, False, None)


def test_an_unknown_id_is_looked_up_once_per_unknown_ttl_and_a_known_one_once_per_known_ttl() -> None:
    lookups, clock = Lookups(), Clock()
    settings = ConnectionSettings(lookups, clock)
    for _ in range(50):
        assert settings.get("made_up") is None
        assert settings.get("known_a") is not None
    assert lookups.calls == ["made_up", "known_a"]
    clock.now += KNOWN_TTL
    settings.get("known_a"), settings.get("made_up")
    assert lookups.calls == ["made_up", "known_a", "known_a"]  # a rotated token is read again
    clock.now += UNKNOWN_TTL
    settings.get("made_up")
    assert lookups.calls[-1] == "made_up" and len(lookups.calls) == 4


def test_the_caches_are_bounded_and_evict_the_least_recently_used() -> None:
    lookups, clock = Lookups(), Clock()
    settings = ConnectionSettings(lookups, clock)
    for n in range(MAX_KNOWN):
        settings.get(f"known_{n}")
    settings.get("known_0")  # used again: now the most recent
    settings.get(f"known_{MAX_KNOWN}")  # one too many: known_1 goes
    lookups.calls.clear()
    settings.get("known_0"), settings.get("known_1")
    assert lookups.calls == ["known_1"]
    for n in range(MAX_UNKNOWN + 1):
        settings.get(f"made_up_{n}")
    lookups.calls.clear()
    settings.get(f"made_up_{MAX_UNKNOWN}"), settings.get("made_up_0")
    assert lookups.calls == ["made_up_0"]


def test_a_flood_of_distinct_made_up_ids_does_not_push_out_a_known_connection() -> None:
    lookups, clock = Lookups(), Clock()
    settings = ConnectionSettings(lookups, clock)
    settings.get("known_hooks")
    for n in range(5 * 1025):
        settings.get(f"made_up_{n}")
    lookups.calls.clear()
    assert settings.get("known_hooks") is not None
    assert lookups.calls == []


@pytest.fixture
def app_lookups(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> Iterator[tuple[Any, Lookups]]:
    """The receiver app behind /twilio, its connection settings counting the real lookups of a fixed clock."""
    if not webhooks_supported():
        pytest.skip("webhooks need Airflow 3.3+: FastAPI plugins on the api-server (none on 2.11)")
    request.getfixturevalue("airflow_db")
    from fastapi import FastAPI
    from starlette.testclient import TestClient

    from airflow_provider_twilio.webhooks import receiver
    from airflow_provider_twilio.webhooks.connections import load_settings

    connection = {"conn_type": "twilio", "login": ACCOUNT, "password": "f" * 32}
    monkeypatch.setenv("AIRFLOW_CONN_KNOWN_HOOKS", json.dumps(connection))
    lookups = Lookups()

    def counted(conn_id: str) -> WebhookConfig | None:
        lookups.calls.append(conn_id)
        return load_settings(conn_id)

    monkeypatch.setattr(receiver, "settings", ConnectionSettings(counted, Clock()))
    outer = FastAPI()
    outer.mount("/twilio", receiver.create_app())
    with TestClient(outer) as client:
        yield client, lookups


def test_ten_thousand_unsigned_or_badly_signed_requests_over_100_made_up_ids_cost_at_most_100_lookups(
    app_lookups: tuple[Any, Lookups],
) -> None:
    import asyncio

    import httpx

    client, lookups = app_lookups
    routes = ("sms", "status", "gather")

    async def flood() -> set[int]:
        transport = httpx.ASGITransport(app=client.app)
        async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as flooding:
            statuses = set()
            for n in range(10_000):
                headers = {"Content-Type": "application/x-www-form-urlencoded"}
                if n % 2:
                    headers["X-Twilio-Signature"] = "bm90IGEgc2lnbmF0dXJl"  # signed-looking garbage
                path = f"/twilio/made_up_{n % 100}/{routes[n % 3]}"
                statuses.add((await flooding.post(path, content=b"MessageSid=SM1", headers=headers)).status_code)
            return statuses

    receiver_log = logging.getLogger("airflow_provider_twilio.webhooks.receiver")
    receiver_log.disabled = True  # 10,000 refusals' log lines
    try:
        assert asyncio.run(flood()) == {403}
    finally:
        receiver_log.disabled = False
    assert len(lookups.calls) <= 100
    assert len(set(lookups.calls)) == len(lookups.calls)  # each made-up id at most once


def test_1025_distinct_made_up_ids_do_not_clear_a_known_connection_from_the_app(
    app_lookups: tuple[Any, Lookups],
) -> None:
    client, lookups = app_lookups
    headers = {"Content-Type": "application/x-www-form-urlencoded", "X-Twilio-Signature": "Zm9yZ2Vk"}
    assert client.post("/twilio/known_hooks/sms", content=b"a=1", headers=headers).status_code == 403
    assert lookups.calls == ["known_hooks"]
    for n in range(1025):
        client.post(f"/twilio/made_up_{n}/sms", content=b"a=1", headers=headers)
    lookups.calls.clear()
    assert client.post("/twilio/known_hooks/sms", content=b"a=1", headers=headers).status_code == 403
    assert lookups.calls == []
