"""The poll loop against an in-memory stand-in for the SDK's paged list (newest first)."""

from __future__ import annotations

import asyncio
from datetime import datetime, timedelta, timezone
from typing import Any

import pytest

from airflow_provider_twilio.exceptions import ErrorType, TwilioApiError
from airflow_provider_twilio.inbound.polling import InboxCursor, poll, poll_async

T0 = datetime(2026, 11, 22, 14, 0, 0, tzinfo=timezone.utc)
US = "+15005550006"


def record(sid: str, seconds: float, from_: str = "+15551230001", to: str = US, direction: str = "inbound") -> dict:
    return {
        "sid": sid,
        "from": from_,
        "to": to,
        "body": f"body {sid}",
        "direction": direction,
        "date_sent": T0 + timedelta(seconds=seconds),
    }


class FakePage:
    def __init__(self, inbox: FakeInbox, records: list[dict], offset: int) -> None:
        self._inbox, self._records, self._offset = inbox, records, offset

    def __iter__(self) -> Any:
        return iter(self._records[self._offset : self._offset + self._inbox.page_size])

    @property
    def next_page_url(self) -> str | None:
        return "next" if self._offset + self._inbox.page_size < len(self._records) else None

    def next_page(self) -> FakePage:
        self._inbox.requests.append({"next": self._offset + self._inbox.page_size})
        return FakePage(self._inbox, self._records, self._offset + self._inbox.page_size)

    async def next_page_async(self) -> FakePage:
        return self.next_page()


class FakeInbox:
    """Filters like Twilio: To, From, DateSent> at one-second resolution; newest first."""

    def __init__(self) -> None:
        self.records: list[dict] = []
        self.requests: list[dict] = []
        self.page_size = 50
        self.fail_with: Exception | None = None

    @property
    def messages(self) -> FakeInbox:
        return self

    def page(self, **kwargs: Any) -> FakePage:
        self.requests.append(kwargs)
        if self.fail_with is not None:
            raise self.fail_with
        self.page_size = kwargs["page_size"]
        after = kwargs["date_sent_after"].replace(microsecond=0)
        selected = [
            r
            for r in reversed(self.records)
            if r["to"] == kwargs["to"]
            and ("from_" not in kwargs or r["from"] == kwargs["from_"])
            and r["date_sent"].replace(microsecond=0) >= after
        ]
        return FakePage(self, selected, 0)

    async def page_async(self, **kwargs: Any) -> FakePage:
        return self.page(**kwargs)


def test_first_poll_reads_the_window_then_an_idle_poll_is_one_request() -> None:
    inbox = FakeInbox()
    inbox.records = [
        record("SMold", -5),
        record("SM1", 1),
        record("SM2", 2),
        record("SMout", 3, direction="outbound-api"),
    ]
    cursor = InboxCursor(US, T0)
    assert [m.sid for m in poll(inbox, cursor)] == ["SM1", "SM2"]
    assert inbox.requests[0]["date_sent_after"] == T0
    inbox.requests.clear()
    assert poll(inbox, cursor) == []
    assert len(inbox.requests) == 1
    assert cursor.high_water == T0 + timedelta(seconds=2)


def test_window_start_counts_the_whole_second() -> None:
    inbox = FakeInbox()
    inbox.records = [record("SMsame", 0.2)]
    assert [m.sid for m in poll(inbox, InboxCursor(US, T0 + timedelta(seconds=0.7)))] == ["SMsame"]


def test_idle_poll_cost_does_not_grow_with_history() -> None:
    inbox = FakeInbox()
    inbox.records = [record(f"SMh{i}", 60 + i * 0.01) for i in range(500)]
    cursor = InboxCursor(US, T0)
    assert len(poll(inbox, cursor)) == 500
    inbox.requests.clear()
    assert poll(inbox, cursor) == []
    assert len(inbox.requests) <= 11  # the overlap window only; a real inbox spreads over time
    inbox.records = [record(f"SMh{i}", i) for i in range(500)]
    cursor = InboxCursor(US, T0)
    poll(inbox, cursor)
    inbox.requests.clear()
    assert poll(inbox, cursor) == []
    assert len(inbox.requests) == 1


def test_paging_stops_at_the_bound_when_the_server_filters_by_day_only() -> None:
    inbox = FakeInbox()
    inbox.records = [record(f"SMd{i}", -3600 + i) for i in range(200)] + [record("SMnew", 5)]

    def day_only(**kwargs: Any) -> FakePage:
        inbox.requests.append(kwargs)
        inbox.page_size = kwargs["page_size"]
        return FakePage(inbox, list(reversed(inbox.records)), 0)

    inbox.page = day_only  # type: ignore[method-assign]
    cursor = InboxCursor(US, T0)
    assert [m.sid for m in poll(inbox, cursor)] == ["SMnew"]
    assert len(inbox.requests) == 1


def test_single_sender_is_filtered_on_the_server() -> None:
    inbox = FakeInbox()
    inbox.records = [record("SMa", 1, from_="+15551230001"), record("SMb", 2, from_="+15551230002")]
    cursor = InboxCursor(US, T0, sender="+15551230002")
    assert [m.sid for m in poll(inbox, cursor)] == ["SMb"]
    assert inbox.requests[0]["from_"] == "+15551230002"


def test_new_messages_arrive_once_even_in_the_overlap() -> None:
    inbox = FakeInbox()
    cursor = InboxCursor(US, T0)
    inbox.records.append(record("SM1", 10))
    assert [m.sid for m in poll(inbox, cursor)] == ["SM1"]
    inbox.records.append(record("SM2", 10.5))
    inbox.records.append(record("SM3", 11))
    assert [m.sid for m in poll(inbox, cursor)] == ["SM2", "SM3"]
    assert poll(inbox, cursor) == []


def test_rewind_reads_back_once() -> None:
    inbox = FakeInbox()
    inbox.records = [record("SMearly", 1), record("SMlate", 30)]
    cursor = InboxCursor(US, T0 + timedelta(seconds=20))
    assert [m.sid for m in poll(inbox, cursor)] == ["SMlate"]
    cursor.rewind(T0)
    assert [m.sid for m in poll(inbox, cursor)] == ["SMearly"]
    inbox.requests.clear()
    assert poll(inbox, cursor) == []
    assert inbox.requests[0]["date_sent_after"] == T0 + timedelta(seconds=29)


def test_async_poll_matches_sync() -> None:
    inbox = FakeInbox()
    inbox.records = [record("SM1", 1), record("SM2", 2)]
    cursor = InboxCursor(US, T0)
    assert [m.sid for m in asyncio.run(poll_async(inbox, cursor))] == ["SM1", "SM2"]
    assert asyncio.run(poll_async(inbox, cursor)) == []


def test_errors_are_classified_and_leave_the_cursor_unchanged() -> None:
    from twilio.base.exceptions import TwilioRestException

    inbox = FakeInbox()
    inbox.records = [record("SM1", 1)]
    cursor = InboxCursor(US, T0)
    inbox.fail_with = TwilioRestException(503, "/Messages.json", "down", code=None)
    with pytest.raises(TwilioApiError) as info:
        poll(inbox, cursor)
    assert info.value.error_type is ErrorType.TWILIO_CONNECTION_ERROR
    inbox.fail_with = None
    assert [m.sid for m in poll(inbox, cursor)] == ["SM1"]
