"""Local Twilio-compatible API server (``TwilioEmulator``); see docs/emulator.md.

Importing this package is cheap: Starlette and uvicorn load when an emulator starts.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from airflow_provider_twilio.emulator.server import TwilioEmulator

__all__ = ["TwilioEmulator"]


def __getattr__(name: str) -> Any:
    if name == "TwilioEmulator":
        from airflow_provider_twilio.emulator.server import TwilioEmulator

        return TwilioEmulator
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
