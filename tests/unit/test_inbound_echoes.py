from __future__ import annotations

import asyncio
from datetime import datetime, timedelta, timezone
from typing import Any

from airflow_provider_twilio.inbound.echoes import Reply, SentReply, still_owed, still_owed_async, unanswered
from airflow_provider_twilio.inbound.matching import InboundMessage

T0 = datetime(2026, 11, 22, 14, 0, 0, 400000, tzinfo=timezone.utc)
US, THEM = "+15005550006", "+15551230001"


def inbound(sid: str, seconds: float) -> InboundMessage:
    return InboundMessage(sid=sid, from_=THEM, to=US, body="??", date_sent=T0 + timedelta(seconds=seconds))


def sent(seconds: float, body: str = "Sorry", to: str = THEM) -> SentReply:
    return SentReply(to=to, body=body, date_created=(T0 + timedelta(seconds=seconds)).replace(microsecond=0))


def test_a_reply_in_the_same_second_counts() -> None:
    reply = Reply(inbound("SM1", 0), "Sorry")
    assert unanswered([reply], [sent(0)]) == []


def test_replies_before_the_message_or_with_other_text_do_not_count() -> None:
    reply = Reply(inbound("SM1", 5), "Sorry")
    assert unanswered([reply], [sent(1), sent(6, body="Other"), sent(6, to="+15551230002")]) == [reply]


def test_each_sent_reply_answers_one_message() -> None:
    first, second = Reply(inbound("SM1", 1), "Sorry"), Reply(inbound("SM2", 3), "Sorry")
    assert unanswered([second, first], [sent(2)]) == [second]
    assert unanswered([first, second], [sent(2), sent(4)]) == []


class Log:
    def __init__(self, records: list[dict]) -> None:
        self.records, self.requests = records, []  # type: list[dict], list[dict]

    @property
    def messages(self) -> Log:
        return self

    def page(self, **kwargs: Any) -> Any:
        self.requests.append(kwargs)
        rows = [r for r in self.records if r["to"] == kwargs["to"] and r["from"] == kwargs["from_"]]

        class Page(list):
            next_page_url = None

        return Page(rows)

    async def page_async(self, **kwargs: Any) -> Any:
        return self.page(**kwargs)


def test_still_owed_reads_the_log_once_per_sender() -> None:
    created = (T0 + timedelta(seconds=2)).strftime("%a, %d %b %Y %H:%M:%S +0000")
    log = Log(
        [
            {"to": THEM, "from": US, "body": "Sorry", "direction": "outbound-api", "date_created": created},
            {"to": THEM, "from": US, "body": "Sorry", "direction": "inbound", "date_created": created},
        ]
    )
    replies = [Reply(inbound("SM1", 1), "Sorry"), Reply(inbound("SM2", 3), "Sorry")]
    assert [r.message.sid for r in still_owed(log, replies)] == ["SM2"]
    assert len(log.requests) == 1
    assert [r.message.sid for r in asyncio.run(still_owed_async(log, replies))] == ["SM2"]
