"""Constants and helpers shared by the emulator's test modules."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

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
