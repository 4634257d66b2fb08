"""Seeded history in the emulator: messages, calls and recordings in the past, listed by date and page
through the real SDK, with prices, recordings' audio, and answers checked against Twilio's OpenAPI spec."""

from __future__ import annotations

import io
import wave
from datetime import datetime, timedelta, timezone
from typing import Any

import pytest

from airflow_provider_twilio.emulator import TwilioEmulator
from tests.support.emulator import DEFAULT_FROM, sdk_client
from tests.support.openapi import SPEC, raw, validator

DAY = datetime(2026, 11, 20, tzinfo=timezone.utc)


INBOUND = {"to": DEFAULT_FROM, "from": "+14155550100", "direction": "inbound", "status": "received"}


def schema(path: str, status: str = "200") -> dict[str, Any]:
    operation = SPEC["paths"][path]["get"]
    return operation["responses"][status]["content"]["application/json"]["schema"]  # type: ignore[no-any-return]


def seeded_messages(count: int, start: datetime, step: float) -> list[dict[str, Any]]:
    base = start.timestamp()
    return [
        {"to": f"+1415555{i % 10000:04d}", "from": DEFAULT_FROM, "date_created": base + i * step, "status": "sent"}
        for i in range(count)
    ]


def test_seeded_messages_are_listed_by_date_sent_in_pages_of_1000(fresh: TwilioEmulator) -> None:
    assert fresh.seed_messages(seeded_messages(3000, DAY, 60.0)) == 3000  # 50 hours from Nov 20
    fresh.seed_messages([{"to": "+14155550001", "from": DEFAULT_FROM, "date_created": time_now()}])
    client = sdk_client(fresh)
    day = [
        m
        for m in client.messages.stream(
            date_sent_after=DAY + timedelta(days=1),
            date_sent_before=DAY + timedelta(days=2, seconds=-1),
            page_size=1000,
        )
    ]
    assert len(day) == 1440 and len({m.sid for m in day}) == 1440
    assert all(DAY + timedelta(days=1) <= m.date_sent < DAY + timedelta(days=2) for m in day)
    assert day[0].date_sent > day[-1].date_sent  # newest first
    assert {m.price for m in day} == {"-0.00790"} and {m.price_unit for m in day} == {"USD"}


def time_now() -> float:
    return datetime.now(timezone.utc).timestamp()


def test_seeding_fits_among_live_messages_in_creation_order(fresh: TwilioEmulator) -> None:
    client = sdk_client(fresh)
    live = client.messages.create(to="+14155550002", from_=DEFAULT_FROM, body="now")
    fresh.seed_messages(seeded_messages(10, DAY, 1.0))
    listed = client.messages.list(page_size=3)
    assert listed[0].sid == live.sid and len(listed) == 11


def test_a_late_status_is_what_the_list_shows(fresh: TwilioEmulator) -> None:
    fresh.seed_messages(
        [
            {
                "sid": "SM" + "1" * 32,
                "to": "+14155550003",
                "from": DEFAULT_FROM,
                "date_created": DAY.timestamp(),
                "status": "sent",
            }
        ]
    )
    assert fresh.set_message_status("SM" + "1" * 32, "undelivered", 30003)["status"] == "undelivered"
    message = sdk_client(fresh).messages.list(date_sent_after=DAY)[0]
    assert (message.status, message.error_code, message.date_sent) == ("undelivered", 30003, DAY + timedelta(seconds=1))
    with pytest.raises(KeyError):
        fresh.set_message_status("SM" + "2" * 32, "delivered")


@pytest.mark.parametrize(
    ("record", "problem"),
    [
        ({"to": "+1", "from": DEFAULT_FROM}, "date_created"),
        ({"to": "+1", "from": DEFAULT_FROM, "date_created": 1, "status": "lost"}, "status must be one of"),
        ({"to": "+1", "from": DEFAULT_FROM, "date_created": 1, "sid": "XX1"}, "sid must be SM"),
        ({"to": "+1", "from": DEFAULT_FROM, "date_created": 5, "date_sent": 1}, "date_sent must not be before"),
    ],
)
def test_a_bad_seed_record_stores_nothing(fresh: TwilioEmulator, record: dict[str, Any], problem: str) -> None:
    good = {"to": "+14155550004", "from": DEFAULT_FROM, "date_created": DAY.timestamp()}
    with pytest.raises(ValueError, match=problem):
        fresh.seed_messages([good, record])
    assert fresh.messages() == []


def test_seeded_calls_are_listed_by_start_time_with_prices(fresh: TwilioEmulator) -> None:
    fresh.seed_calls(
        [
            {"to": "+14155550005", "from": DEFAULT_FROM, "start_time": DAY.timestamp() + hour * 3600, "duration": 61}
            for hour in range(48)
        ]
    )
    calls = list(
        sdk_client(fresh).calls.stream(
            start_time_after=DAY, start_time_before=DAY + timedelta(days=1, seconds=-1), page_size=10
        )
    )
    assert len(calls) == 24 and {c.price for c in calls} == {"-0.02800"} and {c.duration for c in calls} == {"61"}


def test_a_seeded_call_has_every_field_and_subresource_of_a_placed_one(fresh: TwilioEmulator) -> None:
    placed = sdk_client(fresh).calls.create(to="+14155550007", from_=DEFAULT_FROM, twiml="<Response/>").sid
    fresh.seed_calls(
        [{"sid": "CA" + "5" * 32, "to": "+14155550008", "from": DEFAULT_FROM, "start_time": DAY.timestamp()}]
    )
    base = f"/2010-04-01/Accounts/{fresh.account_sid}/Calls"
    _, listed = raw(fresh, "GET", f"{base}.json?PageSize=50")
    by_sid = {call["sid"]: call for call in listed["calls"]}
    live, seeded = by_sid[placed], by_sid["CA" + "5" * 32]
    assert set(seeded) == set(live)
    assert set(seeded["subresource_uris"]) == set(live["subresource_uris"])
    assert seeded["subresource_uris"]["streams"] == f"{base}/{'CA' + '5' * 32}/Streams.json"


def test_recordings_list_fetch_and_audio(fresh: TwilioEmulator) -> None:
    call_sid = "CA" + "3" * 32
    fresh.seed_recordings(
        [{"call_sid": call_sid, "start_time": DAY.timestamp() + i * 600, "duration": 3 + i} for i in range(5)]
    )
    client = sdk_client(fresh)
    recordings = list(client.recordings.stream(date_created_after=DAY, page_size=2))
    assert len(recordings) == 5 and recordings[0].date_created > recordings[-1].date_created
    assert [r.sid for r in client.recordings.list(call_sid=call_sid)] == [r.sid for r in recordings]
    newest = client.recordings(recordings[0].sid).fetch()
    assert (newest.duration, newest.call_sid, newest.status) == ("7", call_sid, "completed")
    base = fresh.base_url + newest.uri.removesuffix(".json")
    wav = client.http_client.session.get(base + ".wav", auth=client.auth)
    assert wav.headers["Content-Type"] == "audio/x-wav"
    with wave.open(io.BytesIO(wav.content)) as audio:
        assert audio.getnframes() / audio.getframerate() == 7
    mp3 = client.http_client.session.get(base + ".mp3", auth=client.auth)
    assert mp3.headers["Content-Type"] == "audio/mpeg" and mp3.content[:2] == b"\xff\xfb"
    assert client.http_client.session.get(base + ".wav").status_code == 401  # audio needs the credentials


def test_history_answers_match_the_openapi_schemas(fresh: TwilioEmulator) -> None:
    fresh.seed_messages(
        [
            *seeded_messages(5, DAY, 60.0),
            {**seeded_messages(1, DAY, 1)[0], "direction": "inbound", "status": "received"},
        ]
    )
    fresh.seed_calls([{"to": "+14155550006", "from": DEFAULT_FROM, "start_time": DAY.timestamp(), "status": "busy"}])
    fresh.seed_recordings([{"start_time": DAY.timestamp(), "duration": 2}])
    base = f"/2010-04-01/Accounts/{fresh.account_sid}"
    for url, path in (
        (f"{base}/Messages.json?PageSize=2&DateSent%3E=2026-11-20", "/2010-04-01/Accounts/{AccountSid}/Messages.json"),
        (f"{base}/Calls.json?StartTime%3E=2026-11-19", "/2010-04-01/Accounts/{AccountSid}/Calls.json"),
        (f"{base}/Recordings.json?PageSize=1", "/2010-04-01/Accounts/{AccountSid}/Recordings.json"),
    ):
        status, listed = raw(fresh, "GET", url)
        assert status == 200
        validator(schema(path)).validate(listed)
    recording = raw(fresh, "GET", f"{base}/Recordings.json")[1]["recordings"][0]
    status, fetched = raw(fresh, "GET", f"{base}/Recordings/{recording['sid']}.json")
    assert status == 200 and fetched == recording
    validator(schema("/2010-04-01/Accounts/{AccountSid}/Recordings/{Sid}.json")).validate(fetched)
    assert raw(fresh, "GET", f"{base}/Recordings/RE{'0' * 32}.json")[0] == 404


def test_seeding_goes_through_the_control_api_of_a_child_process() -> None:
    with TwilioEmulator(separate_process=True) as emu:
        assert emu.seed_messages(seeded_messages(100_000, DAY, 2.0)) == 100_000
        assert emu.seed_recordings([{"start_time": DAY.timestamp()}]) == 1
        with pytest.raises(ValueError, match="status must be one of"):
            emu.seed_calls([{"to": "+1", "from": "+2", "start_time": 1, "status": "ringing"}])
        page = sdk_client(emu).messages.page(page_size=1000, date_sent_after=DAY + timedelta(days=2))
        assert len(list(page)) == 1000 and page.next_page_url
