"""Replies sent at most once per received message, even when all memory of sending them is lost.

Whether a reply went out is read back from the message log: an outbound message from our number to
the sender with exactly the reply's text, created at or after the received message, answers it.
Several received messages waiting for the same text are paired with the replies in time order.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from airflow_provider_twilio.exceptions import classify_exception
from airflow_provider_twilio.inbound.matching import InboundMessage
from airflow_provider_twilio.timing import DATE_RESOLUTION, parse_api_date

LOG_PAGE_SIZE = 50


@dataclass(frozen=True)
class Reply:
    """A reply owed to the sender of ``message``."""

    message: InboundMessage
    body: str

    @property
    def to(self) -> str:
        return self.message.from_

    @property
    def from_(self) -> str:
        return self.message.to


@dataclass(frozen=True)
class SentReply:
    to: str
    body: str
    date_created: datetime


def _sent_from_api(record: Any) -> SentReply | None:
    if isinstance(record, dict):
        direction, to, body, created = (record.get(k) for k in ("direction", "to", "body", "date_created"))
    else:
        direction, to, body, created = (getattr(record, k, None) for k in ("direction", "to", "body", "date_created"))
    date_created = parse_api_date(created)
    if date_created is None or not str(direction or "").startswith("outbound"):
        return None
    return SentReply(to=str(to or ""), body=str(body or ""), date_created=date_created)


def unanswered(replies: Iterable[Reply], sent: Iterable[SentReply]) -> list[Reply]:
    """The replies not yet in the log: each sent message answers the oldest earlier unanswered one."""
    pending = sorted(replies, key=lambda r: r.message.date_sent)
    answered: set[int] = set()
    for sent_reply in sorted(sent, key=lambda s: s.date_created):
        for index, reply in enumerate(pending):
            if index in answered or reply.to != sent_reply.to or reply.body != sent_reply.body:
                continue
            if sent_reply.date_created >= reply.message.date_sent.replace(microsecond=0):
                answered.add(index)
                break
    return [reply for index, reply in enumerate(pending) if index not in answered]


def _log_request(from_: str, to: str) -> dict[str, Any]:
    return {"from_": from_, "to": to, "page_size": LOG_PAGE_SIZE}


def _read_log_page(records: Iterable[Any], since: datetime, sent: list[SentReply]) -> bool:
    """Collect outbound messages; False once the (newest-first) page reaches before ``since``."""
    more = True
    for record in records:
        sent_reply = _sent_from_api(record)
        if sent_reply is None:
            continue
        if sent_reply.date_created < since:
            more = False
            continue
        sent.append(sent_reply)
    return more


def _groups(replies: Iterable[Reply]) -> dict[tuple[str, str], list[Reply]]:
    groups: dict[tuple[str, str], list[Reply]] = {}
    for reply in replies:
        groups.setdefault((reply.from_, reply.to), []).append(reply)
    return groups


def _since(replies: list[Reply]) -> datetime:
    return min(r.message.date_sent for r in replies).replace(microsecond=0) - DATE_RESOLUTION


def still_owed(client: Any, replies: Iterable[Reply]) -> list[Reply]:
    """The replies the log does not show yet (sync client): one list request per sender."""
    owed: list[Reply] = []
    try:
        for (from_, to), group in _groups(replies).items():
            since, sent = _since(group), []  # type: ignore[var-annotated]
            page = client.messages.page(**_log_request(from_, to))
            while page is not None:
                if not _read_log_page(page, since, sent) or not page.next_page_url:
                    break
                page = page.next_page()
            owed += unanswered(group, sent)
    except Exception as err:
        raise classify_exception(err) from err
    return owed


async def still_owed_async(client: Any, replies: Iterable[Reply]) -> list[Reply]:
    """The same check with the async client."""
    owed: list[Reply] = []
    try:
        for (from_, to), group in _groups(replies).items():
            since, sent = _since(group), []  # type: ignore[var-annotated]
            page = await client.messages.page_async(**_log_request(from_, to))
            while page is not None:
                if not _read_log_page(page, since, sent) or not page.next_page_url:
                    break
                page = await page.next_page_async()
            owed += unanswered(group, sent)
    except Exception as err:
        raise classify_exception(err) from err
    return owed


async def send_async(client: Any, reply: Reply) -> str:
    """Send one reply with the async client; returns its SID. Not retried here: the log check is."""
    try:
        message = await client.messages.create_async(to=reply.to, from_=reply.from_, body=reply.body)
    except Exception as err:
        raise classify_exception(err) from err
    return str(message.sid)


def send(client: Any, reply: Reply) -> str:
    """Send one reply with the sync client; returns its SID."""
    try:
        message = client.messages.create(to=reply.to, from_=reply.from_, body=reply.body)
    except Exception as err:
        raise classify_exception(err) from err
    return str(message.sid)
