"""Waiting for an emulated call to end."""

from __future__ import annotations

from typing import Any

from tests.support.emulator import wait_for

FINAL_CALL_STATUSES = ("completed", "busy", "no-answer", "failed", "canceled")


def ended(client: Any, sid: str, timeout: float = 10.0) -> Any:
    """The call once it has a final status, fetched through the SDK ``client``; fails if it does not end in time."""

    def done() -> Any:
        call = client.calls(sid).fetch()
        return call if call.status in FINAL_CALL_STATUSES else None

    call = wait_for(done, timeout)
    assert call is not None, f"call {sid} did not end"
    return call
