"""Work that must not hold the triggerer's event loop, which every trigger shares, done in worker threads.

The first Twilio trigger in a process imports the provider's modules, and with them (on Airflow 2.11)
a good part of Airflow: half a second or more. The connection lookup may wait on a secrets backend
or, on Airflow 3, on the triggerer's supervisor. Matching untrusted message bodies is CPU work.
"""

from __future__ import annotations

import asyncio
import importlib
import weakref
from collections.abc import Callable
from functools import partial
from typing import TYPE_CHECKING, Any, TypeVar

if TYPE_CHECKING:
    from airflow_provider_twilio.hooks.twilio import TwilioHook

T = TypeVar("T")


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


class _Batch:
    """Calls queued during one turn of an event loop, run one after another by a single worker thread."""

    def __init__(self, loop: asyncio.AbstractEventLoop) -> None:
        self._loop = loop
        self._queued: list[tuple[Callable[[], Any], asyncio.Future[Any]]] = []

    def submit(self, call: Callable[[], T]) -> asyncio.Future[T]:
        future: asyncio.Future[T] = self._loop.create_future()
        if not self._queued:
            # Runs after the callbacks already due, so the other triggers woken by the same poll join in.
            self._loop.call_soon(self._start)
        self._queued.append((call, future))
        return future

    def _start(self) -> None:
        queued, self._queued = self._queued, []
        self._loop.create_task(self._run(queued), name="twilio-offloop-batch")

    @staticmethod
    async def _run(queued: list[tuple[Callable[[], Any], asyncio.Future[Any]]]) -> None:
        try:
            outcomes = await asyncio.to_thread(lambda: [_outcome(call) for call, _future in queued])
        except BaseException as err:  # the batch itself was cancelled or interrupted: no caller waits forever
            for _call, future in queued:
                if future.done():
                    continue
                if isinstance(err, Exception):
                    future.set_exception(err)
                else:
                    future.cancel()
            raise
        for (_call, future), (failed, value) in zip(queued, outcomes, strict=True):
            if future.done():  # its trigger was cancelled meanwhile
                continue
            if failed:
                future.set_exception(value)
            else:
                future.set_result(value)


def _outcome(call: Callable[[], Any]) -> tuple[bool, Any]:
    try:
        return False, call()
    except Exception as err:  # handed to the caller that queued it; the other calls go on
        return True, err


_BATCHES: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, _Batch] = weakref.WeakKeyDictionary()


async def in_shared_thread(func: Callable[..., T], /, *args: Any) -> T:
    """``func(*args)`` in a worker thread (as ``asyncio.to_thread``), together with every other call made in
    the same turn of the loop.

    A poll shared by 500 waiting triggers wakes them all at once; each matching its messages in a
    thread of its own would mean 500 thread hops and threads contending for the GIL, about twice the
    CPU of the same work done in one thread. The calls run in the order they were made, so one slow
    call (a match that runs into its time bound) delays the others of its turn by that much.
    """
    loop = asyncio.get_running_loop()
    batch = _BATCHES.get(loop)
    if batch is None:
        batch = _BATCHES[loop] = _Batch(loop)
    return await batch.submit(partial(func, *args))
