"""``in_shared_thread``: the calls of one event-loop turn share one worker-thread hop, each keeping its own outcome."""

from __future__ import annotations

import asyncio
import threading
from typing import Any

import pytest

from airflow_provider_twilio.triggers import offloop
from airflow_provider_twilio.triggers.offloop import in_shared_thread


@pytest.fixture
def hops(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """How many calls each hop to a worker thread carried."""
    carried: list[int] = []
    real = asyncio.to_thread

    async def counting(func: Any, /, *args: Any, **kwargs: Any) -> Any:
        result = await real(func, *args, **kwargs)
        carried.append(len(result))
        return result

    monkeypatch.setattr(offloop.asyncio, "to_thread", counting)
    return carried


def test_calls_made_in_one_turn_share_one_hop_and_get_their_own_results(hops: list[int]) -> None:
    async def scenario() -> tuple[list[int], set[int], int]:
        ran_in: set[int] = set()

        def square(n: int) -> int:
            ran_in.add(threading.get_ident())
            return n * n

        results = await asyncio.gather(*(in_shared_thread(lambda n=n: square(n)) for n in range(50)))
        return list(results), ran_in, threading.get_ident()

    results, ran_in, loop_thread = asyncio.run(scenario())
    assert results == [n * n for n in range(50)]
    assert hops == [50]
    assert len(ran_in) == 1 and loop_thread not in ran_in


def test_triggers_woken_by_one_queue_put_share_a_hop(hops: list[int]) -> None:
    """As the inbox poller wakes its subscribers: every waiter runs its step in the same turn."""

    async def scenario() -> list[str]:
        queues: list[asyncio.Queue[str]] = [asyncio.Queue() for _ in range(20)]

        async def waiter(queue: asyncio.Queue[str]) -> str:
            text = await queue.get()
            return await in_shared_thread(text.upper)

        tasks = [asyncio.ensure_future(waiter(queue)) for queue in queues]
        await asyncio.sleep(0)
        for i, queue in enumerate(queues):
            queue.put_nowait(f"yes {i}")
        return list(await asyncio.gather(*tasks))

    assert asyncio.run(scenario()) == [f"YES {i}" for i in range(20)]
    assert hops == [20]


def test_calls_in_later_turns_take_hops_of_their_own(hops: list[int]) -> None:
    async def scenario() -> list[int]:
        return [await in_shared_thread(lambda n=n: n) for n in range(3)]

    assert asyncio.run(scenario()) == [0, 1, 2]
    assert hops == [1, 1, 1]


def test_an_error_reaches_only_its_own_caller(hops: list[int]) -> None:
    def fail() -> int:
        raise ValueError("bad body")

    async def scenario() -> list[Any]:
        return await asyncio.gather(
            in_shared_thread(lambda: 1), in_shared_thread(fail), in_shared_thread(lambda: 3), return_exceptions=True
        )

    first, error, third = asyncio.run(scenario())
    assert (first, third) == (1, 3)
    assert isinstance(error, ValueError) and str(error) == "bad body"
    assert hops == [3]


def test_a_cancelled_caller_leaves_the_others_their_results(hops: list[int]) -> None:
    release = threading.Event()

    async def scenario() -> tuple[bool, int]:
        def slow() -> int:
            release.wait(5)
            return 2

        cancelled = asyncio.ensure_future(in_shared_thread(lambda: 1))
        kept = asyncio.ensure_future(in_shared_thread(slow))
        await asyncio.sleep(0.05)  # both queued and handed to the thread
        cancelled.cancel()
        release.set()
        await asyncio.gather(cancelled, return_exceptions=True)
        return cancelled.cancelled(), await kept

    assert asyncio.run(scenario()) == (True, 2)
    assert hops == [2]


def test_when_no_thread_can_be_had_every_caller_hears_why(monkeypatch: pytest.MonkeyPatch) -> None:
    """As when the loop's executor has shut down: the callers get the error instead of waiting forever."""

    async def no_thread(func: Any, /, *args: Any, **kwargs: Any) -> Any:
        raise RuntimeError("cannot schedule new futures after shutdown")

    monkeypatch.setattr(offloop.asyncio, "to_thread", no_thread)

    async def scenario() -> list[Any]:
        calls = [in_shared_thread(lambda: 1), in_shared_thread(lambda: 2)]
        return await asyncio.wait_for(asyncio.gather(*calls, return_exceptions=True), 5)

    outcomes = asyncio.run(scenario())
    assert [type(o) for o in outcomes] == [RuntimeError, RuntimeError]
    assert "after shutdown" in str(outcomes[0])
