"""A batch sends on as many threads as it has slots until a recipient has to wait."""

from __future__ import annotations

import logging
import threading
from typing import Any

from airflow_provider_twilio.emulator import TwilioEmulator
from airflow_provider_twilio.sending import BatchOptions, send_batch, validate_batch
from tests.support.emulator import DEFAULT_FROM, sdk_client


class ThreadsSeen:
    """The SDK's messages resource, noting which thread makes each create."""

    def __init__(self, messages: Any) -> None:
        self._messages = messages
        self.threads: set[str] = set()

    def create(self, **kwargs: Any) -> Any:
        self.threads.add(threading.current_thread().name)
        return self._messages.create(**kwargs)

    def __getattr__(self, name: str) -> Any:
        return getattr(self._messages, name)


def test_a_batch_without_waits_sends_on_one_thread_per_slot() -> None:
    """More threads than slots would queue each recipient behind a slot: a thread handoff per message."""
    with TwilioEmulator() as emu:
        emu.configure(latency=0.01, status_delay=3600)
        messages = ThreadsSeen(sdk_client(emu).api.v2010.account.messages)
        recipients = [f"+1415555{i:04d}" for i in range(40)]
        batch = validate_batch(to=recipients, body="Maintenance tonight", default_from=DEFAULT_FROM)
        outcome = send_batch(messages, batch, BatchOptions(max_concurrency=3), log=logging.getLogger("t"))
    assert not outcome.failures and [r["to"] for r in outcome.results] == recipients
    assert len(messages.threads) == 3
