"""One reply policy, two faces: every case runs through the sync face and the async face alike."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import datetime, timedelta, timezone
from typing import Any

import pytest

from airflow_provider_twilio.exceptions import (
    ErrorType,
    TwilioApiError,
    TwilioAuthenticationError,
    TwilioProviderError,
)
from airflow_provider_twilio.inbound.answering import answer_owed, answer_owed_async
from airflow_provider_twilio.inbound.claims import ReplyClaims
from airflow_provider_twilio.inbound.echoes import Reply
from airflow_provider_twilio.inbound.matching import InboundMessage

T0 = datetime(2026, 11, 22, 14, 0, 0, tzinfo=timezone.utc)
OURS = "+15005550006"
LOG = logging.getLogger("test_answering")


def reply(sid: str, sender: str = "+15551230001", body: str = "Sorry, answer YES or NO") -> Reply:
    return Reply(InboundMessage(sid=sid, from_=sender, to=OURS, body="maybe", date_sent=T0), body)


class Page(list):  # type: ignore[type-arg]
    next_page_url = None


class Messages:
    """The two calls the policy makes: the log (newest first) and a send, either of which can be made to fail."""

    def __init__(self, log: list[dict[str, Any]], log_error: TwilioProviderError | None) -> None:
        self.log, self.log_error, self.pages = log, log_error, 0

    def page(self, *, from_: str, to: str, page_size: int) -> Page:
        self.pages += 1
        if self.log_error is not None:
            raise self.log_error
        return Page(m for m in self.log if m["to"] == to)

    async def page_async(self, **kwargs: Any) -> Page:
        return self.page(**kwargs)


class Client:
    def __init__(self, log: list[dict[str, Any]] | None = None, log_error: TwilioProviderError | None = None) -> None:
        self.messages = Messages(log or [], log_error)
        self.opened = 0


class Transport:
    """Records what was sent; fails for the recipients it is told to."""

    def __init__(self, failures: dict[str, TwilioProviderError] | None = None) -> None:
        self.failures, self.sent = failures or {}, []  # type: ignore[var-annotated]

    def send(self, client: Any, reply: Reply) -> str:
        if reply.to in self.failures:
            raise self.failures[reply.to]
        self.sent.append(reply.to)
        return f"SM{len(self.sent):032d}"

    async def send_async(self, client: Any, reply: Reply) -> str:
        return self.send(client, reply)


def run_sync(client: Client, owed: list[Reply], transport: Transport, claims: ReplyClaims, owner: object) -> Any:
    settled: list[str] = []
    retry = answer_owed(
        client, owed, owner=owner, send=transport.send, log=LOG, settled=lambda r: settled.append(r.message.sid),
        claims=claims,
    )  # fmt: skip
    return retry, settled


def run_async(client: Client, owed: list[Reply], transport: Transport, claims: ReplyClaims, owner: object) -> Any:
    settled: list[str] = []

    @asynccontextmanager
    async def connect() -> AsyncIterator[Client]:
        client.opened += 1
        yield client

    retry = asyncio.run(
        answer_owed_async(
            connect, owed, owner=owner, send_async=transport.send_async, log=LOG,
            settled=lambda r: settled.append(r.message.sid), claims=claims,
        )
    )  # fmt: skip
    return retry, settled


FACES = [run_sync, run_async]
faces = pytest.mark.parametrize("face", FACES, ids=["sync", "async"])

TRANSIENT = TwilioApiError("Twilio answered HTTP 429", error_type=ErrorType.RATE_LIMITED, http_status=429)
REFUSED = TwilioApiError("Twilio answered HTTP 400 with error 21610", error_type=ErrorType.RECIPIENT_OPTED_OUT_ERROR)
AUTH = TwilioAuthenticationError("Twilio answered HTTP 401 with error 20003", code=20003, http_status=401)


@faces
def test_unanswered_replies_are_sent_and_settled(face: Any) -> None:
    transport, owed = Transport(), [reply("SM1"), reply("SM2", sender="+15551230002")]
    retry, settled = face(Client(), owed, transport, ReplyClaims(), object())
    assert (retry, settled, transport.sent) == ([], ["SM1", "SM2"], ["+15551230001", "+15551230002"])


@faces
def test_a_reply_already_in_the_log_is_not_sent_again(face: Any) -> None:
    earlier = {"direction": "outbound-api", "to": "+15551230001", "body": "Sorry, answer YES or NO",
               "date_created": T0 + timedelta(seconds=1)}  # fmt: skip
    transport = Transport()
    retry, settled = face(Client(log=[earlier]), [reply("SM1")], transport, ReplyClaims(), object())
    assert (retry, settled, transport.sent) == ([], ["SM1"], [])


@faces
def test_a_transient_failure_keeps_the_reply_owed_and_claimed(face: Any) -> None:
    claims, owner, other = ReplyClaims(), object(), object()
    transport = Transport({"+15551230001": TRANSIENT})
    retry, settled = face(Client(), [reply("SM1"), reply("SM2", sender="+15551230002")], transport, claims, owner)
    assert (retry, settled, transport.sent) == ([reply("SM1")], ["SM2"], ["+15551230002"])
    assert claims.take([reply("SM1")], other) == ([], [reply("SM1")])  # still ours to retry


@faces
def test_a_refusal_is_settled_not_retried(face: Any, caplog: pytest.LogCaptureFixture) -> None:
    transport = Transport({"+15551230001": REFUSED})
    with caplog.at_level(logging.ERROR, logger=LOG.name):
        retry, settled = face(Client(), [reply("SM1")], transport, ReplyClaims(), object())
    assert (retry, settled, transport.sent) == ([], ["SM1"], [])
    assert "Reply to +15551230001 refused, not retried" in caplog.text


@faces
def test_refused_credentials_raise(face: Any) -> None:
    with pytest.raises(TwilioAuthenticationError):
        face(Client(), [reply("SM1")], Transport({"+15551230001": AUTH}), ReplyClaims(), object())


@faces
def test_without_the_log_nothing_is_sent(face: Any) -> None:
    transport = Transport()
    retry, settled = face(Client(log_error=TRANSIENT), [reply("SM1")], transport, ReplyClaims(), object())
    assert (retry, settled, transport.sent) == ([reply("SM1")], [], [])
    with pytest.raises(TwilioAuthenticationError):
        face(Client(log_error=AUTH), [reply("SM2")], transport, ReplyClaims(), object())
    assert transport.sent == []


@faces
def test_a_message_another_waiter_holds_is_left_alone(face: Any) -> None:
    claims, holder = ReplyClaims(), object()
    claims.take([reply("SM1")], holder)
    client, transport = Client(), Transport()
    retry, settled = face(client, [reply("SM1")], transport, claims, object())
    assert (retry, settled, transport.sent, client.messages.pages, client.opened) == ([reply("SM1")], [], [], 0, 0)
    claims.settle("SM1", holder)
    assert face(client, [reply("SM1")], transport, claims, object()) == ([], [])  # answered by the holder
