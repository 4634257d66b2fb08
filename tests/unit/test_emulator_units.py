"""Unit tests of the emulator's pieces: dates, signatures, faults, numbers, timelines and the store."""

from __future__ import annotations

import itertools
import subprocess
import sys
from collections.abc import Iterator
from datetime import datetime, timezone

import pytest

from airflow_provider_twilio.emulator.http.errors import ApiError
from airflow_provider_twilio.emulator.http.listing import DateFilter
from airflow_provider_twilio.emulator.http.timefmt import parse_filter_date, parse_send_at, rfc2822
from airflow_provider_twilio.emulator.lifecycles.deliveries import signature
from airflow_provider_twilio.emulator.model import addresses
from airflow_provider_twilio.emulator.model.message_rules import Form, OutboundRequest, build_inbound
from airflow_provider_twilio.emulator.model.message_store import Message, MessageStore, Step
from airflow_provider_twilio.emulator.simulation.faults import Faults

ACCOUNT = "AC" + "a" * 32


def epoch(text: str) -> float:
    return datetime.fromisoformat(text).replace(tzinfo=timezone.utc).timestamp()


# dates


def test_rfc2822_has_one_second_resolution() -> None:
    assert rfc2822(epoch("2026-11-22T14:20:00.999")) == "Sun, 22 Nov 2026 14:20:00 +0000"
    assert rfc2822(epoch("2026-02-01T03:04:05")) == "Sun, 01 Feb 2026 03:04:05 +0000"
    assert rfc2822(None) is None


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("2026-11-22", (epoch("2026-11-22T00:00:00"), True)),
        ("2026-11-22T14:20:00Z", (epoch("2026-11-22T14:20:00"), False)),
        ("2026-11-22T16:20:00+02:00", (epoch("2026-11-22T14:20:00"), False)),
        ("2026-11-22T14:20:00.5Z", (epoch("2026-11-22T14:20:00.5"), False)),
        ("2026-11-22 14:20:00", (epoch("2026-11-22T14:20:00"), False)),
        # what twilio-python sends for date(2026, 11, 22): the whole day, as Twilio documents DateSent
        ("2026-11-22T00:00:00Z", (epoch("2026-11-22T00:00:00"), True)),
        ("2026-11-22T01:00:00+01:00", (epoch("2026-11-22T00:00:00"), True)),
        ("2026-11-22T00:00:00.5Z", (epoch("2026-11-22T00:00:00.5"), False)),
        # the spec's examples readEmptySentdateGreaterFormat1, Format2 and Format3
        ("06/11/2019 22:05:25 MST", (epoch("2019-06-12T05:05:25"), False)),
        ("2019-06-11 22:05:25.000", (epoch("2019-06-11T22:05:25"), False)),
        ("Wed, 19 Jun 2019 22:04:00 -0000", (epoch("2019-06-19T22:04:00"), False)),
        ("Wed, 19 Jun 2019 22:04:00 +0200", (epoch("2019-06-19T20:04:00"), False)),
        ("06/11/2019 22:05:25", (epoch("2019-06-11T22:05:25"), False)),
        ("06/11/2019 22:05:25 +0100", (epoch("2019-06-11T21:05:25"), False)),
        ("06/11/2019 22:05:25 XYZ", None),
        ("13/11/2019 22:05:25", None),
        ("22/11/2026", None),
        ("yesterday", None),
    ],
)
def test_parse_filter_date(text: str, expected: tuple[float, bool] | None) -> None:
    assert parse_filter_date(text) == expected


def test_send_at_needs_a_timestamp() -> None:
    assert parse_send_at("2026-11-22") is None
    assert parse_send_at("2026-11-22T14:20:00Z") == epoch("2026-11-22T14:20:00")
    assert parse_send_at("2026-11-23T00:00:00Z") == epoch("2026-11-23T00:00:00")
    assert parse_send_at("Wed, 19 Jun 2019 22:04:00 -0000") is None


def test_date_filters_are_inclusive_and_need_a_sent_date() -> None:
    sent = epoch("2026-11-22T14:20:00.7")
    day = epoch("2026-11-22T00:00:00")
    instant = epoch("2026-11-22T14:20:00")
    assert DateFilter("=", day, True).matches(sent)
    assert not DateFilter("=", day + 86400, True).matches(sent)
    assert DateFilter("<", day, True).matches(sent)
    assert DateFilter(">", day, True).matches(sent)
    assert not DateFilter(">", day + 86400, True).matches(sent)
    assert DateFilter(">", instant, False).matches(sent)
    assert DateFilter("<", instant, False).matches(sent)
    assert DateFilter("=", instant, False).matches(sent)
    assert not DateFilter(">", instant + 1, False).matches(sent)
    assert not DateFilter("<", instant - 1, False).matches(sent)
    assert not DateFilter(">", 0, False).matches(None)


# signatures


def test_signature_matches_the_sdk_validator() -> None:
    from twilio.request_validator import RequestValidator

    url = "https://example.com/status?run=1"
    params = {"MessageSid": "SM" + "1" * 32, "MessageStatus": "delivered", "To": "+15551230001", "Body": "é ok"}
    ours = signature("token123", url, params)
    assert ours == RequestValidator("token123").compute_signature(url, params)
    assert RequestValidator("token123").validate(url, params, ours)
    assert signature("other", url, params) != ours


# faults


def _decisions(faults: Faults, count: int = 50) -> list[tuple[bool, bool, str | None]]:
    return [(faults.throttled(), faults.fails_before_commit(), faults.fails_after_commit()) for _ in range(count)]


def test_faults_repeat_with_the_same_seed() -> None:
    first, second, other = Faults(), Faults(), Faults()
    for faults, seed in ((first, 7), (second, 7), (other, 8)):
        faults.configure(throttle=0.3, fail_before_commit=0.3, fail_after_commit=0.3, seed=seed)
    run = _decisions(first)
    assert run == _decisions(second)
    assert run != _decisions(other)
    assert {decision[2] for decision in run} == {None, "500", "drop"}


def test_zero_probabilities_never_fault() -> None:
    faults = Faults()
    assert _decisions(faults) == [(False, False, None)] * 50


def test_concurrency_limit() -> None:
    faults = Faults()
    faults.configure(max_concurrent_requests=2)
    assert faults.enter() and faults.enter()
    assert not faults.enter()
    faults.leave()
    assert faults.enter()
    faults.configure(max_concurrent_requests=None)
    assert faults.enter()


def test_configure_keeps_unmentioned_settings() -> None:
    faults = Faults()
    faults.configure(latency=0.5, max_concurrent_requests=3)
    faults.configure(throttle=0.1)
    assert (faults.settings.latency, faults.settings.max_concurrent_requests, faults.settings.throttle) == (0.5, 3, 0.1)


# numbers


@pytest.mark.parametrize("number", ["+15551230001", "+447700900123", "+15005550006", "whatsapp:+15551230001"])
def test_possible_recipients(number: str) -> None:
    addresses.check_to(number)


@pytest.mark.parametrize(
    ("number", "code"),
    [("+1555", 21211), ("15551230001", 21211), ("+999123456789", 21211), ("+15005550009", 21614), ("", 21211)],
)
def test_impossible_recipients(number: str, code: int) -> None:
    with pytest.raises(ApiError) as info:
        addresses.check_to(number)
    assert info.value.code == code


@pytest.mark.parametrize("sender", ["+15005550006", "MyCompany", "12345", "whatsapp:+15005550006"])
def test_accepted_senders(sender: str) -> None:
    addresses.check_from(sender)


@pytest.mark.parametrize("sender", ["whatsapp:MyCompany", "My-Company!", "ThisNameIsTooLong"])
def test_rejected_senders(sender: str) -> None:
    with pytest.raises(ApiError) as info:
        addresses.check_from(sender)
    assert info.value.code == 21212


# timelines


def _outbound(to: str, delay: float = 1.0) -> Message:
    request = OutboundRequest(
        Form([("To", to), ("From", "+15005550006"), ("Body", "hi")]), account_sid=ACCOUNT, status_delay=delay
    )
    return request.build(0, 1000.0)


def test_delivered_timeline() -> None:
    message = _outbound("+15551230001")
    assert [message.step_at(t).status for t in (1000, 1000.99, 1001, 1002, 1003, 5000)] == [
        "queued",
        "queued",
        "sending",
        "sent",
        "delivered",
        "delivered",
    ]
    assert message.date_sent(1001.5) is None
    assert message.date_sent(1002) == 1002
    assert message.render(1000.0, initial=True)["price"] is None
    assert message.render(1003)["price"] == "-0.00790"


def test_failure_timelines() -> None:
    failed = _outbound("+15005550012")
    assert [s.status for s in failed.timeline] == ["queued", "sending", "failed"]
    assert failed.date_sent(9999) is None
    undelivered = _outbound("+15005550010")
    assert [s.status for s in undelivered.timeline] == ["queued", "sending", "sent", "undelivered"]
    assert undelivered.render(9999)["error_code"] == 30003


def test_form_keeps_repeated_keys_and_blank_values() -> None:
    form = Form([("MediaUrl", "a"), ("MediaUrl", "b"), ("Body", "")])
    assert form.get_all("MediaUrl") == ["a", "b"]
    assert "Body" in form and form.get("Body") == ""


# store


def _inbound(store: MessageStore, from_: str, body: str = "x") -> Message:
    return store.add(
        lambda seq, created_at: build_inbound(
            seq, created_at, account_sid=ACCOUNT, from_=from_, to="+15005550006", body=body
        )
    )


def _page(store: MessageStore, **kwargs: object) -> tuple[list[Message], bool]:
    params = {"to": None, "from_": None, "date_filters": (), "page_size": 50, "before_seq": None, "now": 1e12}
    params.update(kwargs)
    return store.page(**params)  # type: ignore[arg-type]


def test_store_pages_newest_first_with_ties_in_creation_order() -> None:
    store = MessageStore()
    created = [_inbound(store, "+15551230001", str(i)) for i in range(7)]
    assert all(a.created_at <= b.created_at for a, b in itertools.pairwise(created))
    first, more = _page(store, page_size=3)
    assert [m.body for m in first] == ["6", "5", "4"] and more
    second, more = _page(store, page_size=3, before_seq=first[-1].seq)
    assert [m.body for m in second] == ["3", "2", "1"] and more
    third, more = _page(store, page_size=3, before_seq=second[-1].seq)
    assert [m.body for m in third] == ["0"] and not more


def test_filtered_page_uses_the_smaller_index() -> None:
    store = MessageStore()
    for i in range(2000):
        _inbound(store, f"+1555{i % 500:07d}")
    target = "+15550000007"
    assert len(store._candidates(None, target)) == 4
    found, more = _page(store, from_=target)
    assert [m.from_ for m in found] == [target] * 4 and not more
    assert len(store._candidates("+15005550006", target)) == 4


def _sent_late(store: MessageStore, lag: float) -> Message:
    """An outbound message that reaches "sent" ``lag`` seconds after creation (as a scheduled one does)."""
    return store.add(
        lambda seq, created_at: Message(
            sid=f"SM{seq:032x}",
            account_sid=ACCOUNT,
            seq=seq,
            created_at=created_at,
            to="+15551230009",
            from_="+15005550006",
            body="later",
            direction="outbound-api",
            timeline=[Step(created_at, "queued"), Step(created_at + lag, "sent"), Step(created_at + lag, "delivered")],
        )
    )


def test_date_lower_bound_finds_a_message_sent_long_after_creation() -> None:
    store = MessageStore()
    late = _sent_late(store, lag=3600)
    for i in range(50):
        _inbound(store, "+15551230001", str(i))
    bound = DateFilter(">", at=float(int(late.created_at) + 1800), date_only=False)
    found, more = _page(store, date_filters=(bound,), now=late.created_at + 7200)
    assert [m.sid for m in found] == [late.sid] and not more


def test_date_lower_bound_stops_walking_at_the_window(monkeypatch: pytest.MonkeyPatch) -> None:
    from airflow_provider_twilio.emulator.model import message_store as store_module

    store = MessageStore()
    old = [_inbound(store, "+15551230001", f"old {i}") for i in range(500)]
    for message in old:  # pretend they arrived an hour ago
        message.created_at -= 3600
        message.timeline = [Step(message.created_at, "received")]
    fresh = [_inbound(store, "+15551230001", f"new {i}") for i in range(3)]
    visited = 0
    walk = store_module._reversed_until

    def counting_walk(items: list[Message], end: int) -> Iterator[Message]:
        nonlocal visited
        for message in walk(items, end):
            visited += 1
            yield message

    monkeypatch.setattr(store_module, "_reversed_until", counting_walk)
    bound = DateFilter(">", at=float(int(fresh[0].created_at) - 60), date_only=False)
    found, more = _page(store, to="+15005550006", date_filters=(bound,), now=fresh[-1].created_at + 1)
    assert [m.body for m in found] == ["new 2", "new 1", "new 0"] and not more
    assert visited <= len(fresh) + 1


def test_store_delete_and_compaction() -> None:
    store = MessageStore()
    messages = [_inbound(store, f"+1555{i % 3:07d}") for i in range(3000)]
    for message in messages[:2500]:
        assert store.delete(message.sid)
    assert not store.delete(messages[0].sid)
    assert len(store) == 500
    assert len(store._order) < 3000  # compacted
    found, _ = _page(store, page_size=1000)
    assert [m.sid for m in found] == [m.sid for m in reversed(messages[2500:])]


def test_reset_bumps_the_generation() -> None:
    store = MessageStore()
    _inbound(store, "+15551230001")
    store.reset()
    assert store.generation == 1
    assert len(store) == 0


# imports


def test_importing_the_package_and_plugin_is_cheap() -> None:
    code = (
        "import sys, airflow_provider_twilio.emulator, airflow_provider_twilio.pytest_plugin;"
        "heavy = [m for m in ('starlette', 'uvicorn', 'twilio', 'phonenumbers', 'requests') if m in sys.modules];"
        "print(','.join(heavy))"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True, timeout=120)
    assert result.stdout.strip() == ""
