"""Getting a trigger ready without holding the triggerer's event loop, which every trigger shares.

The first Twilio trigger in a process imports the provider's modules, and with them (on Airflow 2.11)
a good part of Airflow: half a second or more. The connection lookup may wait on a secrets backend
or, on Airflow 3, on the triggerer's supervisor. Both happen here, in worker threads.
"""

from __future__ import annotations

import asyncio
import importlib
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from airflow_provider_twilio.hooks.twilio import TwilioHook


async def import_modules(*names: str) -> None:
    """Import ``names`` in a worker thread; the ``import`` statements that follow on the loop are lookups."""
    await asyncio.to_thread(lambda: [importlib.import_module(name) for name in names])


async def twilio_hook(conn_id: str) -> TwilioHook:
    """A hook whose connection has been read: raises the hook's errors for a missing or bad connection."""
    await import_modules("asgiref.sync", "airflow_provider_twilio.hooks.twilio")
    from asgiref.sync import sync_to_async

    from airflow_provider_twilio.hooks.twilio import TwilioHook

    hook = TwilioHook(twilio_conn_id=conn_id)
    # asgiref, not a plain thread: on Airflow 3 it is how trigger code reaches the supervisor.
    await sync_to_async(lambda: hook.settings)()
    return hook
