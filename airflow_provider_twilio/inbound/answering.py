"""Sending the replies owed to received messages: one policy, a sync face for sensors, an async one for triggers.

For each batch of owed replies: claim each received message (one waiter per process answers it), read
the message log for replies that went out already, then send the rest. A transient failure (network,
5xx, 429) leaves the reply owed for the next round, where the log is read again before any resend; a
refused credential raises; any other refusal is logged and the message counts as answered, so waiting
goes on. The transport is the caller's: the sensor sends through the sending core, the trigger with
the async client.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable, Hashable
from contextlib import AbstractAsyncContextManager
from typing import Any

from airflow_provider_twilio.exceptions import AUTH_ERROR_TYPES, TwilioProviderError, is_transient
from airflow_provider_twilio.inbound.claims import CLAIMS, ReplyClaims
from airflow_provider_twilio.inbound.echoes import Reply, still_owed, still_owed_async

Send = Callable[[Any, Reply], str]
SendAsync = Callable[[Any, Reply], Awaitable[str]]
Settled = Callable[[Reply], None]


def answer_owed(
    client: Any,
    owed: list[Reply],
    *,
    owner: Hashable,
    send: Send,
    log: logging.Logger | Any,
    settled: Settled | None = None,
    what: str = "reply",
    claims: ReplyClaims = CLAIMS,
) -> list[Reply]:
    """Send each owed reply the log does not show yet (sync client); returns those to try again.

    ``settled`` is told of every reply that needs nothing more (sent, already in the log, or refused).
    """
    mine, held = claims.take(owed, owner=owner)
    if not mine:
        return held
    try:
        todo = still_owed(client, mine)
    except TwilioProviderError as err:
        return _log_unreadable(err, log, mine + held)
    round_ = _Round(owner, log, settled, what, claims)
    round_.settle_answered(mine, todo)
    for reply in todo:
        try:
            sid = send(client, reply)
        except TwilioProviderError as err:
            round_.failed(reply, err)
        else:
            round_.sent(reply, sid)
    return round_.retry + held


async def answer_owed_async(
    connect: Callable[[], AbstractAsyncContextManager[Any]],
    owed: list[Reply],
    *,
    owner: Hashable,
    send_async: SendAsync,
    log: logging.Logger | Any,
    settled: Settled | None = None,
    what: str = "reply",
    claims: ReplyClaims = CLAIMS,
) -> list[Reply]:
    """The same policy with an async client; returns the replies to try again.

    ``connect`` opens the client only once this owner holds a claim, so a waiter with nothing to send
    reads no connection (and one that does reads it as it is now, after any token rotation).
    """
    mine, held = claims.take(owed, owner=owner)
    if not mine:
        return held
    round_ = _Round(owner, log, settled, what, claims)
    async with connect() as client:
        try:
            todo = await still_owed_async(client, mine)
        except TwilioProviderError as err:
            return _log_unreadable(err, log, mine + held)
        round_.settle_answered(mine, todo)
        for reply in todo:
            try:
                sid = await send_async(client, reply)
            except TwilioProviderError as err:
                round_.failed(reply, err)
            else:
                round_.sent(reply, sid)
    return round_.retry + held


def _log_unreadable(err: TwilioProviderError, log: Any, again: list[Reply]) -> list[Reply]:
    """Without the log nothing is sent (it could go twice): all of it waits for the next round."""
    if not is_transient(err):
        raise err
    log.warning("Could not read the message log before replying; trying again: %s", err.message)
    return again


class _Round:
    """One pass over the owed replies: what was settled, what is tried again, what is logged."""

    def __init__(self, owner: Hashable, log: Any, settled: Settled | None, what: str, claims: ReplyClaims) -> None:
        self.owner, self.log, self.settled, self.what, self.claims = owner, log, settled, what, claims
        self.retry: list[Reply] = []

    def settle(self, reply: Reply) -> None:
        self.claims.settle(reply.message.sid, self.owner)
        if self.settled is not None:
            self.settled(reply)

    def settle_answered(self, mine: list[Reply], todo: list[Reply]) -> None:
        for reply in mine:
            if reply not in todo:
                self.settle(reply)

    def sent(self, reply: Reply, sid: str) -> None:
        self.log.info("Sent %s %s to %s (about message %s)", self.what, sid, reply.to, reply.message.sid)
        self.settle(reply)

    def failed(self, reply: Reply, err: TwilioProviderError) -> None:
        if is_transient(err):
            self.log.warning("%s to %s failed; will check the log and retry: %s", self.headline, reply.to, err.message)
            self.retry.append(reply)
            return
        if err.error_type in AUTH_ERROR_TYPES:
            raise err
        # Twilio will not take this reply (say, a short-code sender): waiting for a valid answer goes on.
        self.log.error("%s to %s refused, not retried: %s", self.headline, reply.to, err.message)
        self.settle(reply)

    @property
    def headline(self) -> str:
        """``what`` capitalised, to start a log line."""
        return self.what[:1].upper() + self.what[1:]
