"""An async Twilio client that follows its Airflow connection for as long as a trigger waits.

A wait can outlast the credentials it started with: the auth token is rotated, or the connection is
deleted. ``LiveConnection`` reads the connection again before a poll once the last read is half a poll
interval old, and once more when Twilio refuses the credentials (20003, HTTP 401 or 403). A changed
connection gets a new client; a deleted one raises ``TwilioConnectionConfigError`` naming it, so the
wait ends instead of polling on with the old token. Every read happens off the event loop.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from contextlib import AsyncExitStack
from typing import TYPE_CHECKING, Any, TypeVar

from airflow_provider_twilio.exceptions import AUTH_ERROR_TYPES, TwilioConnectionConfigError, TwilioProviderError

if TYPE_CHECKING:
    from airflow_provider_twilio.hooks.settings import TwilioConnectionSettings
    from airflow_provider_twilio.hooks.twilio import TwilioHook

log = logging.getLogger(__name__)

T = TypeVar("T")


def deleted_error(conn_id: str) -> TwilioConnectionConfigError:
    return TwilioConnectionConfigError(
        f"Twilio connection {conn_id!r} no longer exists: it was deleted while waiting, so polling stopped; "
        "recreate it and clear the task to wait again"
    )


async def read_connection(conn_id: str) -> TwilioHook:
    """A hook with the connection as it is now; ``TwilioConnectionConfigError`` if it is gone or malformed."""
    from airflow_provider_twilio._compat import AirflowNotFoundException
    from airflow_provider_twilio.triggers.offloop import twilio_hook

    try:
        return await twilio_hook(conn_id)
    except AirflowNotFoundException:
        raise deleted_error(conn_id) from None


class LiveConnection:
    """One connection's async SDK client, rebuilt when the connection changes; use ``async with``."""

    def __init__(self, conn_id: str) -> None:
        self.conn_id = conn_id
        self.client: Any = None
        self.settings: TwilioConnectionSettings | None = None
        self.reads = 0
        self._read_at = 0.0
        self._stack: AsyncExitStack | None = None

    async def open(self) -> None:
        """Read the connection and open a client: raises the hook's errors for a missing or bad one."""
        from airflow_provider_twilio.triggers.offloop import twilio_hook

        await self._use(await twilio_hook(self.conn_id))

    async def close(self) -> None:
        stack, self._stack, self.client = self._stack, None, None
        if stack is not None:
            await stack.aclose()

    async def __aenter__(self) -> LiveConnection:
        await self.open()
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self.close()

    async def follow(self, max_age: float) -> bool:
        """Read the connection again if the last read is older than ``max_age`` seconds; True if it changed.

        Raises ``TwilioConnectionConfigError`` if it was deleted or is now malformed. A lookup that fails
        any other way (a secrets backend timing out) keeps the current client until the next read.
        """
        if asyncio.get_running_loop().time() - self._read_at < max_age:
            return False
        return await self._reread()

    async def call(self, request: Callable[[Any], Awaitable[T]]) -> T:
        """``request(client)``; after an authentication failure, once more if the connection has changed."""
        try:
            return await request(self.client)
        except TwilioProviderError as err:
            if err.error_type not in AUTH_ERROR_TYPES:
                raise
            if not await self._reread():
                raise
            log.info("Twilio refused the credentials of connection %r; it has changed, retrying with it", self.conn_id)
        return await request(self.client)

    async def _reread(self) -> bool:
        try:
            hook = await read_connection(self.conn_id)
        except TwilioProviderError:
            raise
        except Exception as err:
            self._read_at = asyncio.get_running_loop().time()
            log.warning("Could not read Twilio connection %r again; keeping its current client: %r", self.conn_id, err)
            return False
        if hook.settings == self.settings:
            self._mark_read()
            return False
        await self.close()
        await self._use(hook)
        return True

    async def _use(self, hook: TwilioHook) -> None:
        stack = AsyncExitStack()
        self.client = await stack.enter_async_context(hook.async_client())
        self._stack, self.settings = stack, hook.settings
        self._mark_read()

    def _mark_read(self) -> None:
        self.reads += 1
        self._read_at = asyncio.get_running_loop().time()
