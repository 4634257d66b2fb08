"""Message lifecycle, updates, scheduling, channels, calls, lists and response schemas."""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from datetime import datetime, timedelta, timezone
from email.utils import format_datetime
from typing import Any
from urllib.parse import urlencode

import pytest

from airflow_provider_twilio.emulator import TwilioEmulator
from tests.support.emulator import DEFAULT_FROM, RECIPIENT, SERVICE_SID, rest_error, sdk_client, wait_for
from tests.support.openapi import SPEC, raw, validator


@pytest.fixture
def fresh(fresh: TwilioEmulator) -> TwilioEmulator:
    fresh.configure(status_delay=0.02)
    return fresh


def final_status(client: Any, sid: str) -> Any:
    def done() -> Any:
        message = client.messages(sid).fetch()
        return message if message.status in ("delivered", "undelivered", "failed") else None

    return wait_for(done)


# lifecycle


@pytest.mark.parametrize(
    ("to", "status", "code", "reached_sent"),
    [
        ("+15005550010", "undelivered", 30003, True),
        ("+15005550011", "undelivered", 30006, True),
        ("+15005550012", "failed", 30007, False),
        (RECIPIENT, "delivered", None, True),
    ],
)
def test_post_acceptance_outcomes(
    fresh: TwilioEmulator, to: str, status: str, code: int | None, reached_sent: bool
) -> None:
    client = sdk_client(fresh)
    sent = client.messages.create(to=to, from_=DEFAULT_FROM, body="x")
    assert sent.status == "queued"
    message = final_status(client, sent.sid)
    assert message.status == status
    assert message.error_code == code
    assert (message.error_message is not None) == (code is not None)
    assert (message.date_sent is not None) == reached_sent


def test_status_delay_zero_delivers_at_once(fresh: TwilioEmulator) -> None:
    fresh.configure(status_delay=0)
    client = sdk_client(fresh)
    sent = client.messages.create(to=RECIPIENT, from_=DEFAULT_FROM, body="x")
    assert sent.status == "queued"
    assert client.messages(sent.sid).fetch().status == "delivered"


# redact, cancel, delete


def test_redact_a_delivered_message(fresh: TwilioEmulator) -> None:
    client = sdk_client(fresh)
    sent = client.messages.create(to=RECIPIENT, from_=DEFAULT_FROM, body="secret code 1234")
    final_status(client, sent.sid)
    redacted = client.messages(sent.sid).update(body="")
    assert redacted.body == ""
    assert client.messages(sent.sid).fetch().body == ""
    assert fresh.messages()[0]["body"] == ""


def test_redact_requires_empty_body(fresh: TwilioEmulator) -> None:
    client = sdk_client(fresh)
    sent = client.messages.create(to=RECIPIENT, from_=DEFAULT_FROM, body="x")
    final_status(client, sent.sid)
    assert rest_error(lambda: client.messages(sent.sid).update(body="other")).status == 400


def _send_at(seconds: float) -> datetime:
    return (datetime.now(timezone.utc) + timedelta(seconds=seconds)).replace(microsecond=0)


def test_messaging_service_accepts_then_picks_a_sender(fresh: TwilioEmulator) -> None:
    """As Twilio answers: ``from`` null, ``accepted``, ``num_segments`` "0" until the service picks a sender."""
    client = sdk_client(fresh)
    fresh.configure(status_delay=30)  # stays accepted through this part of the test
    waiting = client.messages.create(to=RECIPIENT, messaging_service_sid=SERVICE_SID, body="x")
    assert (waiting.status, waiting.from_, waiting.num_segments, waiting.messaging_service_sid) == (
        "accepted",
        None,
        "0",
        SERVICE_SID,
    )
    fetched = client.messages(waiting.sid).fetch()
    assert (fetched.status, fetched.from_, fetched.num_segments) == ("accepted", None, "0")
    assert [m.sid for m in client.messages.list(to=RECIPIENT)] == [waiting.sid]
    assert client.messages.list(from_=DEFAULT_FROM) == []  # no sender yet

    fresh.configure(status_delay=0.02)
    sent = client.messages.create(to=RECIPIENT, messaging_service_sid=SERVICE_SID, body="y" * 200)
    assert (sent.status, sent.from_, sent.num_segments) == ("accepted", None, "0")
    final = final_status(client, sent.sid)
    assert (final.status, final.from_, final.num_segments) == ("delivered", DEFAULT_FROM, "2")
    assert [m.sid for m in client.messages.list(from_=DEFAULT_FROM)] == [sent.sid]


def test_schedule_and_cancel(fresh: TwilioEmulator) -> None:
    client = sdk_client(fresh)
    scheduled = client.messages.create(
        to=RECIPIENT, messaging_service_sid=SERVICE_SID, body="later", send_at=_send_at(3600), schedule_type="fixed"
    )
    assert (scheduled.status, scheduled.from_, scheduled.num_segments) == ("scheduled", None, "0")
    fetched = client.messages(scheduled.sid).fetch()
    assert (fetched.status, fetched.from_, fetched.num_segments) == ("scheduled", None, "0")
    canceled = client.messages(scheduled.sid).update(status="canceled")
    assert canceled.status == "canceled"
    time.sleep(0.05)
    assert client.messages(scheduled.sid).fetch().status == "canceled"


def test_cancel_needs_a_scheduled_message(fresh: TwilioEmulator) -> None:
    client = sdk_client(fresh)
    sent = client.messages.create(to=RECIPIENT, from_=DEFAULT_FROM, body="x")
    final_status(client, sent.sid)
    assert rest_error(lambda: client.messages(sent.sid).update(status="canceled")).status == 400


@pytest.mark.parametrize(
    ("kwargs", "code"),
    [
        ({"messaging_service_sid": SERVICE_SID, "send_at": "in an hour", "schedule_type": "fixed"}, 35115),
        ({"messaging_service_sid": SERVICE_SID, "send_at": 60, "schedule_type": "fixed"}, 35114),
        ({"messaging_service_sid": SERVICE_SID, "send_at": 36 * 86400, "schedule_type": "fixed"}, 35114),
        ({"from_": DEFAULT_FROM, "send_at": 3600, "schedule_type": "fixed"}, 35118),
        ({"messaging_service_sid": SERVICE_SID, "schedule_type": "fixed"}, 35111),
    ],
)
def test_scheduling_rules(fresh: TwilioEmulator, kwargs: dict[str, Any], code: int) -> None:
    if isinstance(kwargs.get("send_at"), int):
        kwargs = {**kwargs, "send_at": _send_at(kwargs["send_at"])}
    error = rest_error(lambda: sdk_client(fresh).messages.create(to=RECIPIENT, body="x", **kwargs))
    assert (error.status, error.code) == (400, code)


def test_delete_a_final_message(fresh: TwilioEmulator) -> None:
    client = sdk_client(fresh)
    sent = client.messages.create(to=RECIPIENT, from_=DEFAULT_FROM, body="x")
    final_status(client, sent.sid)
    assert client.messages(sent.sid).delete() is True
    assert rest_error(lambda: client.messages(sent.sid).fetch()).code == 20404
    assert fresh.messages() == []
    assert client.messages.list() == []


def test_delete_unknown_message_is_404(fresh: TwilioEmulator) -> None:
    error = rest_error(lambda: sdk_client(fresh).messages("SM" + "1" * 32).delete())
    assert (error.status, error.code) == (404, 20404)


# other create options


@pytest.mark.parametrize(("period", "ok"), [(1, True), (36000, True), (0, False), (36001, False)])
def test_validity_period(fresh: TwilioEmulator, period: int, ok: bool) -> None:
    def send() -> Any:
        return sdk_client(fresh).messages.create(to=RECIPIENT, from_=DEFAULT_FROM, body="x", validity_period=period)

    if ok:
        assert send().status == "queued"
    else:
        assert rest_error(send).code == 21624


def test_whatsapp_addresses(fresh: TwilioEmulator) -> None:
    client = sdk_client(fresh)
    sent = client.messages.create(to=f"whatsapp:{RECIPIENT}", from_=f"whatsapp:{DEFAULT_FROM}", body="hi")
    assert sent.to == f"whatsapp:{RECIPIENT}"
    assert sent.from_ == f"whatsapp:{DEFAULT_FROM}"
    via_service = client.messages.create(to=f"whatsapp:{RECIPIENT}", messaging_service_sid=SERVICE_SID, body="hi")
    assert via_service.from_ is None  # the service picks its sender later
    assert final_status(client, via_service.sid).from_ == f"whatsapp:{DEFAULT_FROM}"
    mixed = rest_error(lambda: client.messages.create(to=f"whatsapp:{RECIPIENT}", from_=DEFAULT_FROM, body="x"))
    assert mixed.code == 21910
    assert [m.sid for m in client.messages.list(to=f"whatsapp:{RECIPIENT}")] == [via_service.sid, sent.sid]


def test_content_template_needs_no_body(fresh: TwilioEmulator) -> None:
    sent = sdk_client(fresh).messages.create(
        to=RECIPIENT, from_=DEFAULT_FROM, content_sid="HX" + "c" * 32, content_variables=json.dumps({"1": "Ada"})
    )
    assert sent.status == "queued"


def test_media_message(fresh: TwilioEmulator) -> None:
    sent = sdk_client(fresh).messages.create(
        to=RECIPIENT,
        from_=DEFAULT_FROM,
        body="look",
        media_url=["https://example.com/a.png", "https://example.com/b.png"],
    )
    assert sent.num_media == "2"


def test_same_to_and_from_is_rejected(fresh: TwilioEmulator) -> None:
    error = rest_error(lambda: sdk_client(fresh).messages.create(to=DEFAULT_FROM, from_=DEFAULT_FROM, body="x"))
    assert error.code == 21266


def test_create_call(fresh: TwilioEmulator) -> None:
    client = sdk_client(fresh)
    call = client.calls.create(to=RECIPIENT, from_=DEFAULT_FROM, url="https://example.com/twiml")
    assert call.sid.startswith("CA")
    assert call.status == "queued"
    assert client.calls(call.sid).fetch().to == RECIPIENT
    assert rest_error(lambda: client.calls.create(to=RECIPIENT, from_=DEFAULT_FROM)).status == 400


@pytest.mark.parametrize(
    "url", ["not a url", "example.com/twiml", "ftp://example.com/twiml", "https://", "http://h:x/"]
)
def test_a_call_url_that_is_not_a_url_gets_21205(fresh: TwilioEmulator, url: str) -> None:
    error = rest_error(lambda: sdk_client(fresh).calls.create(to=RECIPIENT, from_=DEFAULT_FROM, url=url))
    assert (error.status, error.code) == (400, 21205)
    assert fresh.state.calls == {}


# lists


def test_list_filters_by_to_and_from(fresh: TwilioEmulator) -> None:
    client = sdk_client(fresh)
    a = client.messages.create(to="+15551230001", from_=DEFAULT_FROM, body="a")
    b = client.messages.create(to="+15551230002", from_=DEFAULT_FROM, body="b")
    c = fresh.inject_inbound(from_="+15551230001", to=DEFAULT_FROM, body="c")
    assert [m.sid for m in client.messages.list(to="+15551230001")] == [a.sid]
    assert [m.sid for m in client.messages.list(from_="+15551230001")] == [c["sid"]]
    assert [m.sid for m in client.messages.list(from_=DEFAULT_FROM)] == [b.sid, a.sid]
    assert [m.sid for m in client.messages.list(from_=DEFAULT_FROM, to="+15551230002")] == [b.sid]
    assert client.messages.list(to="+15559999999") == []


def test_pagination_walks_every_message_once(fresh: TwilioEmulator) -> None:
    client = sdk_client(fresh)
    sids = [fresh.inject_inbound(from_=RECIPIENT, body=f"m{i}")["sid"] for i in range(23)]
    listed = [m.sid for m in client.messages.stream(page_size=5)]
    assert listed == list(reversed(sids))
    page = client.messages.page(page_size=5)
    assert page._payload["next_page_uri"] is not None
    last = client.messages.page(page_size=23)
    assert last._payload["next_page_uri"] is None
    assert len(list(last)) == 23


def test_page_size_is_capped_at_1000(fresh: TwilioEmulator) -> None:
    status, body = raw(fresh, "GET", f"/2010-04-01/Accounts/{fresh.account_sid}/Messages.json?PageSize=5000")
    assert status == 200
    assert body["page_size"] == 1000
    assert raw(fresh, "GET", f"/2010-04-01/Accounts/{fresh.account_sid}/Messages.json?PageSize=0")[0] == 400


def test_pagination_keeps_filters(fresh: TwilioEmulator) -> None:
    client = sdk_client(fresh)
    for i in range(7):
        fresh.inject_inbound(from_=RECIPIENT, body=f"r{i}")
        fresh.inject_inbound(from_="+15551230002", body=f"o{i}")
    bodies = [m.body for m in client.messages.stream(from_=RECIPIENT, page_size=3)]
    assert bodies == [f"r{i}" for i in reversed(range(7))]


def test_date_sent_filters(fresh: TwilioEmulator) -> None:
    fresh.configure(status_delay=0)
    client = sdk_client(fresh)
    delivered = client.messages.create(to=RECIPIENT, from_=DEFAULT_FROM, body="x")
    fresh.configure(status_delay=3600)
    pending = client.messages.create(to=RECIPIENT, from_=DEFAULT_FROM, body="y")
    today = datetime.now(timezone.utc).date()
    now = datetime.now(timezone.utc).replace(microsecond=0)

    def sids(**filters: Any) -> list[str]:
        return [m.sid for m in client.messages.list(**filters)]

    # The SDK sends datetimes as full timestamps, compared to the second; a pending message has no date_sent.
    assert sids(date_sent_after=now - timedelta(minutes=1)) == [delivered.sid]
    assert sids(date_sent_before=now + timedelta(minutes=1)) == [delivered.sid]
    assert sids(date_sent_after=now + timedelta(minutes=1)) == []
    assert sids(date_sent_before=now - timedelta(minutes=1)) == []
    assert pending.sid in sids()
    # Date-only values, as raw query strings, cover whole days.
    base = f"/2010-04-01/Accounts/{fresh.account_sid}/Messages.json"
    for query, expected in [
        (f"DateSent={today}", [delivered.sid]),
        (f"DateSent%3E={today}", [delivered.sid]),
        (f"DateSent%3C={today}", [delivered.sid]),
        (f"DateSent={today - timedelta(days=1)}", []),
        (f"DateSent%3E={today + timedelta(days=1)}", []),
    ]:
        status, body = raw(fresh, "GET", f"{base}?{query}")
        assert status == 200, body
        assert [m["sid"] for m in body["messages"]] == expected, query
    assert raw(fresh, "GET", f"{base}?DateSent=yesterday")[0] == 400


def test_date_sent_with_a_date_matches_the_whole_day(fresh: TwilioEmulator) -> None:
    """twilio-python sends ``date_sent=date(...)`` as ``YYYY-MM-DDT00:00:00Z``: that means the whole day."""
    fresh.configure(status_delay=0)
    client = sdk_client(fresh)
    delivered = client.messages.create(to=RECIPIENT, from_=DEFAULT_FROM, body="x")
    sent = wait_for(lambda: client.messages(delivered.sid).fetch().date_sent)
    today = sent.date()  # the UTC day the message was sent, even if midnight passed since

    def sids(**filters: Any) -> list[str]:
        return [m.sid for m in client.messages.list(**filters)]

    midnight = datetime.combine(today, datetime.min.time())
    for day in (today, midnight):
        assert sids(date_sent=day) == [delivered.sid]
        assert sids(date_sent_before=day) == [delivered.sid]
        assert sids(date_sent_after=day) == [delivered.sid]
    assert sids(date_sent=today - timedelta(days=1)) == []
    assert sids(date_sent_before=today - timedelta(days=1)) == []
    assert sids(date_sent_after=today + timedelta(days=1)) == []


def _mst(moment: datetime) -> str:
    return f"{moment - timedelta(hours=7):%m/%d/%Y %H:%M:%S} MST"  # MST is UTC-7


@pytest.mark.parametrize(
    ("key", "shown", "offset_hours", "matches"),
    [
        # the formats of the spec's readEmptySentdateGreaterFormat1 / Format2 / Format3 examples
        ("DateSent>", _mst, -1, True),
        ("DateSent>", _mst, 1, False),
        ("DateSent>", lambda m: f"{m:%Y-%m-%d %H:%M:%S}.000", -1, True),
        ("DateSent<", lambda m: f"{m:%Y-%m-%d %H:%M:%S}.000", -1, False),
        ("DateSent>", lambda m: format_datetime(m.replace(tzinfo=None)), -1, True),  # "... -0000"
        ("DateSent<", lambda m: format_datetime(m.replace(tzinfo=None)), 1, True),
        ("DateSent<", format_datetime, -1, False),  # "... +0000"
    ],
)
def test_date_sent_accepts_the_formats_of_the_spec_examples(
    fresh: TwilioEmulator, key: str, shown: Callable[[datetime], str], offset_hours: int, matches: bool
) -> None:
    fresh.configure(status_delay=0)
    message = sdk_client(fresh).messages.create(to=RECIPIENT, from_=DEFAULT_FROM, body="x")
    assert wait_for(lambda: fresh.messages()[0]["date_sent"] is not None)
    text = shown(datetime.now(timezone.utc) + timedelta(hours=offset_hours))
    base = f"/2010-04-01/Accounts/{fresh.account_sid}/Messages.json"
    status, body = raw(fresh, "GET", f"{base}?{urlencode({key: text})}")
    assert status == 200, body
    assert [m["sid"] for m in body["messages"]] == ([message.sid] if matches else []), text


def test_inbound_messages_match_date_sent(fresh: TwilioEmulator) -> None:
    reply = fresh.inject_inbound(from_=RECIPIENT, body="YES")
    since = datetime.now(timezone.utc) - timedelta(seconds=30)
    assert [m.sid for m in sdk_client(fresh).messages.list(to=DEFAULT_FROM, date_sent_after=since)] == [reply["sid"]]


# schemas


def test_responses_match_the_openapi_schemas(fresh: TwilioEmulator) -> None:
    paths = SPEC["paths"]
    messages_path = paths["/2010-04-01/Accounts/{AccountSid}/Messages.json"]
    message_path = paths["/2010-04-01/Accounts/{AccountSid}/Messages/{Sid}.json"]
    account_path = paths["/2010-04-01/Accounts/{Sid}.json"]
    calls_path = paths["/2010-04-01/Accounts/{AccountSid}/Calls.json"]

    def schema(operation: dict[str, Any], status: str) -> dict[str, Any]:
        return operation["responses"][status]["content"]["application/json"]["schema"]  # type: ignore[no-any-return]

    base = f"/2010-04-01/Accounts/{fresh.account_sid}"
    status, created = raw(fresh, "POST", f"{base}/Messages.json", {"To": RECIPIENT, "From": DEFAULT_FROM, "Body": "hi"})
    assert status == 201
    validator(schema(messages_path["post"], "201")).validate(created)
    scheduled = raw(
        fresh,
        "POST",
        f"{base}/Messages.json",
        {
            "To": RECIPIENT,
            "MessagingServiceSid": SERVICE_SID,
            "Body": "later",
            "SendAt": _send_at(3600).strftime("%Y-%m-%dT%H:%M:%SZ"),
            "ScheduleType": "fixed",
            "MediaUrl": ["https://example.com/a.png"],
        },
    )[1]
    validator(schema(messages_path["post"], "201")).validate(scheduled)
    fresh.inject_inbound(from_=RECIPIENT, body="reply")
    wait_for(lambda: raw(fresh, "GET", f"{base}/Messages/{created['sid']}.json")[1]["status"] == "delivered")
    for path in (f"{base}/Messages/{created['sid']}.json", f"{base}/Messages/{scheduled['sid']}.json"):
        validator(schema(message_path["get"], "200")).validate(raw(fresh, "GET", path)[1])
    status, listed = raw(fresh, "GET", f"{base}/Messages.json?PageSize=2")
    assert status == 200 and listed["next_page_uri"]
    validator(schema(messages_path["get"], "200")).validate(listed)
    validator(schema(account_path["get"], "200")).validate(raw(fresh, "GET", f"{base}.json")[1])
    status, call = raw(
        fresh, "POST", f"{base}/Calls.json", {"To": RECIPIENT, "From": DEFAULT_FROM, "Twiml": "<Response/>"}
    )
    assert status == 201
    validator(schema(calls_path["post"], "201")).validate(call)


def test_a_non_conforming_message_fails_the_schema_check() -> None:
    from jsonschema.exceptions import ValidationError

    message_schema = {"$ref": "#/components/schemas/api.v2010.account.message"}
    with pytest.raises(ValidationError):
        validator(message_schema).validate({"sid": "XX123", "status": "queued"})


# volume


def test_lists_with_100000_stored_messages(fresh: TwilioEmulator) -> None:
    from airflow_provider_twilio.emulator.model.message_rules import build_inbound

    store = fresh.state.store
    for i in range(100_000):
        sender = f"+1555{i % 1000:07d}"
        store.add(
            lambda seq, created_at, sender=sender, i=i: build_inbound(
                seq, created_at, account_sid=fresh.account_sid, from_=sender, to=DEFAULT_FROM, body=f"m{i}"
            )
        )
    client = sdk_client(fresh)
    newest = client.messages.list(limit=3, page_size=3)
    assert [m.body for m in newest] == ["m99999", "m99998", "m99997"]
    one_sender = [m.body for m in client.messages.stream(from_="+15550000007", page_size=40)]
    assert one_sender == [f"m{i}" for i in range(99_007, -1, -1000)]
    fresh.clear_request_log()
    page = client.messages.page(from_="+15550000007", to=DEFAULT_FROM, page_size=1000)
    assert len(list(page)) == 100
    assert page._payload["next_page_uri"] is None
    assert len(fresh.request_log()) == 1
