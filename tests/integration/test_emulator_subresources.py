"""Every URI a resource advertises resolves: a message's Media, the account's Calls list (with filters and paging)."""

from __future__ import annotations

import json
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

from airflow_provider_twilio.emulator import TwilioEmulator
from tests.support.emulator import (
    DEFAULT_FROM,
    RECIPIENT,
    assert_twilio_error,
    basic_auth,
    http_request,
    rest_error,
    sdk_client,
    wait_for,
)

SPEC = json.loads((Path(__file__).resolve().parent.parent / "data" / "twilio_api_v2010.json").read_text())
MEDIA = ["https://example.com/a.png", "https://example.com/path/b.jpg?size=2", "https://example.com/c"]


def get(emu: TwilioEmulator, uri: str) -> tuple[int, Any]:
    status, _, body = http_request(emu.base_url, "GET", uri, headers={"Authorization": basic_auth(emu)})
    return status, json.loads(body)


def response_schema(path: str, method: str = "get", status: str = "200") -> Any:
    from openapi_schema_validator import OAS30Validator

    schema = SPEC["paths"][path][method]["responses"][status]["content"]["application/json"]["schema"]
    return OAS30Validator({**schema, "components": SPEC["components"]})


# media


def test_media_of_an_mms_are_listed_and_fetched(fresh: TwilioEmulator) -> None:
    client = sdk_client(fresh)
    message = client.messages.create(to=RECIPIENT, from_=DEFAULT_FROM, media_url=MEDIA)
    listed = client.messages(message.sid).media.list()
    assert [m.content_type for m in listed] == ["image/png", "image/jpeg", "application/octet-stream"]
    assert {m.parent_sid for m in listed} == {message.sid}
    assert all(m.sid.startswith("ME") and len(m.sid) == 34 for m in listed)
    assert len({m.sid for m in listed}) == 3
    assert [m.sid for m in client.messages(message.sid).media.stream(page_size=2)] == [m.sid for m in listed]
    fetched = client.messages(message.sid).media(listed[1].sid).fetch()
    assert (fetched.sid, fetched.content_type, fetched.account_sid) == (listed[1].sid, "image/jpeg", fresh.account_sid)
    assert fetched.date_created == message.date_created


def test_media_list_and_fetch_match_the_spec_and_every_advertised_uri_resolves(fresh: TwilioEmulator) -> None:
    inbound = fresh.inject_inbound(from_=RECIPIENT, body="photo", media_urls=(MEDIA[0],))
    media_uri = inbound["subresource_uris"]["media"]
    status, page = get(fresh, media_uri)
    assert status == 200
    response_schema("/2010-04-01/Accounts/{AccountSid}/Messages/{MessageSid}/Media.json").validate(page)
    assert page["uri"].startswith(media_uri) and len(page["media_list"]) == 1
    status, media = get(fresh, page["media_list"][0]["uri"])
    assert status == 200 and media == page["media_list"][0]
    response_schema("/2010-04-01/Accounts/{AccountSid}/Messages/{MessageSid}/Media/{Sid}.json").validate(media)
    assert get(fresh, inbound["uri"])[0] == 200
    status, account = get(fresh, f"/2010-04-01/Accounts/{fresh.account_sid}.json")
    for uri in (account["uri"], *account["subresource_uris"].values()):
        assert get(fresh, uri)[0] == 200, uri
    # Message feedback is create-only on Twilio (POST); the emulator does not serve it (docs/emulator.md).


def test_media_lists_page_and_filter_by_date_created(fresh: TwilioEmulator) -> None:
    message = sdk_client(fresh).messages.create(to=RECIPIENT, from_=DEFAULT_FROM, media_url=MEDIA)
    base = f"/2010-04-01/Accounts/{fresh.account_sid}/Messages/{message.sid}/Media.json"
    status, first = get(fresh, f"{base}?PageSize=2")
    assert status == 200 and len(first["media_list"]) == 2 and first["next_page_uri"]
    status, second = get(fresh, first["next_page_uri"])
    assert [m["content_type"] for m in second["media_list"]] == ["application/octet-stream"]
    assert second["next_page_uri"] is None
    today = datetime.now(timezone.utc).date()
    assert len(get(fresh, f"{base}?DateCreated={message.date_created.date()}")[1]["media_list"]) == 3
    assert get(fresh, f"{base}?DateCreated%3E={today + timedelta(days=2)}")[1]["media_list"] == []


def test_media_of_unknown_messages_and_sids_are_404(fresh: TwilioEmulator) -> None:
    client = sdk_client(fresh)
    plain = client.messages.create(to=RECIPIENT, from_=DEFAULT_FROM, body="no media")
    assert client.messages(plain.sid).media.list() == []
    unknown = f"/2010-04-01/Accounts/{fresh.account_sid}/Messages/SM{'0' * 32}/Media.json"
    answer = http_request(fresh.base_url, "GET", unknown, headers={"Authorization": basic_auth(fresh)})
    assert assert_twilio_error(*answer, 404)["code"] == 20404
    assert rest_error(lambda: client.messages(plain.sid).media("ME" + "0" * 32).fetch()).code == 20404


# calls


def test_calls_list_newest_first_with_twilios_filters(fresh: TwilioEmulator) -> None:
    client = sdk_client(fresh)
    other = "+15551230002"
    for number in (RECIPIENT, other):
        fresh.add_call_behaviour(number, after=3600)  # they ring for an hour
    created = [
        client.calls.create(to=to, from_=DEFAULT_FROM, url="https://example.com/twiml")
        for to in (RECIPIENT, other, RECIPIENT)
    ]
    newest_first = [c.sid for c in reversed(created)]
    assert wait_for(lambda: {c.status for c in client.calls.list()} == {"ringing"})
    now = datetime.now(timezone.utc)
    assert [c.sid for c in client.calls.list()] == newest_first
    assert [c.sid for c in client.calls.list(to=RECIPIENT)] == [created[2].sid, created[0].sid]
    assert [c.sid for c in client.calls.list(from_=DEFAULT_FROM, status="ringing")] == newest_first
    assert client.calls.list(status="completed") == []
    assert client.calls.list(from_="+15551239999") == []
    assert client.calls.list(parent_call_sid="CA" + "0" * 32) == []
    assert [c.sid for c in client.calls.list(start_time_after=now - timedelta(days=1))] == newest_first
    assert client.calls.list(start_time_after=now + timedelta(hours=1)) == []
    # A call still ringing has no end_time, so no EndTime filter matches it (as a message without date_sent).
    assert client.calls.list(end_time_before=now + timedelta(hours=1)) == []
    assert [c.sid for c in client.calls.stream(page_size=2)] == newest_first
    bad_status = f"/2010-04-01/Accounts/{fresh.account_sid}/Calls.json?Status=ringing-ish"
    answer = http_request(fresh.base_url, "GET", bad_status, headers={"Authorization": basic_auth(fresh)})
    assert assert_twilio_error(*answer, 400)["code"] == 20001


def test_calls_match_start_and_end_time_once_they_have_them(fresh: TwilioEmulator) -> None:
    client = sdk_client(fresh)
    fresh.add_call_behaviour(RECIPIENT, after=3600)
    ringing = client.calls.create(to=RECIPIENT, from_=DEFAULT_FROM, twiml="<Response/>")
    ended = client.calls.create(to="+15551230003", from_=DEFAULT_FROM, twiml="<Response/>")  # answers, hangs up
    finished = wait_for(lambda: (call := client.calls(ended.sid).fetch()).status == "completed" and call)
    assert finished and finished.end_time is not None
    day = finished.start_time.date()
    assert {c.sid for c in client.calls.list(start_time=day)} >= {ended.sid}
    assert [c.sid for c in client.calls.list(end_time=day)] == [ended.sid]
    assert [c.sid for c in client.calls.list(end_time_after=finished.end_time - timedelta(minutes=1))] == [ended.sid]
    assert client.calls.list(end_time_before=finished.end_time - timedelta(minutes=1)) == []
    assert [c.sid for c in client.calls.list(status="completed")] == [ended.sid]
    assert ringing.sid in [c.sid for c in client.calls.list(status="ringing")]


def test_calls_list_matches_the_spec(fresh: TwilioEmulator) -> None:
    client = sdk_client(fresh)
    for _ in range(3):
        client.calls.create(to=RECIPIENT, from_=DEFAULT_FROM, url="https://example.com/twiml")
    status, page = get(fresh, f"/2010-04-01/Accounts/{fresh.account_sid}/Calls.json?PageSize=2&To=%2B15551230001")
    assert status == 200 and page["next_page_uri"] and "To=%2B15551230001" in page["next_page_uri"]
    response_schema("/2010-04-01/Accounts/{AccountSid}/Calls.json").validate(page)
    answer = http_request(
        fresh.base_url,
        "GET",
        f"/2010-04-01/Accounts/{fresh.account_sid}/Calls.json?PageToken=nope",
        headers={"Authorization": basic_auth(fresh)},
    )
    assert_twilio_error(*answer, 400)
