"""At most one reply per received message within a process, however many waiters see the message.

Every waiter on a number sees every message the shared poller reads. Checking the message log and then
sending is not enough when two waiters do it at the same time: both find the log empty and both send.
So before a waiter checks the log it claims the received message by its SID. One claim per SID and
process; the holder checks the log, sends, and settles it. The others leave the message alone while
it is held, and drop it once it is settled. A holder that stops without settling (it matched, it was
cancelled, it failed) releases its claims, so another waiter can still answer.
"""

from __future__ import annotations

import enum
import threading
from collections import OrderedDict
from collections.abc import Hashable, Iterable
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from airflow_provider_twilio.inbound.echoes import Reply

# Settled SIDs remembered per process; older ones fall back to the message-log check alone.
MAX_SETTLED = 50_000


class Claim(enum.Enum):
    MINE = "mine"  # this waiter answers it (now, or on a retry)
    HELD = "held"  # another waiter in this process is answering it: ask again later
    SETTLED = "settled"  # answered (or refused by Twilio): nothing left to do


class ReplyClaims:
    """Claims on received messages, keyed by SID, shared by every thread and event loop of a process."""

    def __init__(self, max_settled: int = MAX_SETTLED) -> None:
        self.max_settled = max_settled
        self._holders: dict[str, Hashable] = {}
        self._settled: OrderedDict[str, None] = OrderedDict()
        self._lock = threading.Lock()

    def claim(self, sid: str, owner: Hashable) -> Claim:
        with self._lock:
            if sid in self._settled:
                return Claim.SETTLED
            holder = self._holders.setdefault(sid, owner)
            return Claim.MINE if holder is owner else Claim.HELD

    def settle(self, sid: str, owner: Hashable) -> None:
        """The reply went out, the log shows it already did, or Twilio refused it for good."""
        with self._lock:
            if self._holders.get(sid) is owner:
                del self._holders[sid]
            self._settled[sid] = None
            self._settled.move_to_end(sid)
            while len(self._settled) > self.max_settled:
                self._settled.popitem(last=False)

    def release(self, owner: Hashable) -> None:
        """Give up every unsettled claim of ``owner``, so other waiters may answer those messages."""
        with self._lock:
            for sid in [sid for sid, holder in self._holders.items() if holder is owner]:
                del self._holders[sid]

    def take(self, replies: Iterable[Reply], owner: Hashable) -> tuple[list[Reply], list[Reply]]:
        """``(mine, held)``: the replies ``owner`` answers now, and those another waiter holds for now.

        Replies to settled messages are in neither: nothing is left to do for them.
        """
        mine: list[Reply] = []
        held: list[Reply] = []
        for reply in replies:
            state = self.claim(reply.message.sid, owner)
            if state is Claim.MINE:
                mine.append(reply)
            elif state is Claim.HELD:
                held.append(reply)
        return mine, held


# The process's claims: a triggerer's triggers, or the sensors a worker (or ``dag.test()``) runs.
CLAIMS = ReplyClaims()
