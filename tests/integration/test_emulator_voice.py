"""Voice in the emulator: a call's life, simulated people, TwiML, updates, callbacks, magic numbers, schemas."""

from __future__ import annotations

from typing import Any

import pytest

from airflow_provider_twilio.emulator import TwilioEmulator
from tests.support.calls import ended
from tests.support.emulator import DEFAULT_FROM, RECIPIENT, Receiver, rest_error, sdk_client, wait_for
from tests.support.openapi import SPEC, raw, validator

SAY = "<Response><Say>Disk full on db-1</Say></Response>"


@pytest.fixture
def fresh(fresh: TwilioEmulator) -> TwilioEmulator:
    fresh.configure(status_delay=0.02)
    return fresh


@pytest.mark.parametrize(
    ("answer", "machine_detection", "status", "answered_by"),
    [
        ("human", "Enable", "completed", "human"),
        ("machine", "Enable", "completed", "machine_start"),
        ("machine", "DetectMessageEnd", "completed", "machine_end_beep"),
        ("human", None, "completed", None),
        ("busy", "Enable", "busy", None),
        ("fail", None, "failed", None),
    ],
)
def test_simulated_people_decide_how_a_call_ends(
    fresh: TwilioEmulator, answer: str, machine_detection: str | None, status: str, answered_by: str | None
) -> None:
    fresh.add_call_behaviour(RECIPIENT, answer=answer, after=0.05)
    client = sdk_client(fresh)
    extra = {"machine_detection": machine_detection} if machine_detection else {}
    call = client.calls.create(to=RECIPIENT, from_=DEFAULT_FROM, twiml=SAY, **extra)
    assert call.status == "queued"
    final = ended(client, call.sid)
    assert (final.status, final.answered_by) == (status, answered_by)
    assert final.start_time is not None and final.end_time is not None  # dialed, then ended
    assert (final.duration is not None) == (status == "completed")  # Twilio: empty for unanswered calls


def test_nobody_answers_within_the_timeout(fresh: TwilioEmulator) -> None:
    fresh.add_call_behaviour(RECIPIENT, answer="human", after=30)
    client = sdk_client(fresh)
    call = client.calls.create(to=RECIPIENT, from_=DEFAULT_FROM, twiml=SAY, timeout=1)
    assert wait_for(lambda: client.calls(call.sid).fetch().status == "ringing")
    final = ended(client, call.sid)
    assert final.status == "no-answer" and final.duration is None


def test_talk_and_time_limit_end_an_answered_call(fresh: TwilioEmulator) -> None:
    long_pause = '<Response><Pause length="30"/></Response>'
    client = sdk_client(fresh)
    fresh.add_call_behaviour(RECIPIENT, talk=0.3)
    assert ended(client, client.calls.create(to=RECIPIENT, from_=DEFAULT_FROM, twiml=long_pause).sid).duration == "1"
    fresh.add_call_behaviour(RECIPIENT)
    limited = client.calls.create(to=RECIPIENT, from_=DEFAULT_FROM, twiml=long_pause, time_limit=1)
    assert ended(client, limited.sid).status == "completed"


def test_status_callbacks_follow_the_requested_events_and_are_signed(fresh: TwilioEmulator, receiver: Receiver) -> None:
    from twilio.request_validator import RequestValidator

    fresh.add_call_behaviour(RECIPIENT, answer="human", after=0.05)
    url = f"{receiver.url}/voice-status?run=1"
    client = sdk_client(fresh)
    call = client.calls.create(
        to=RECIPIENT,
        from_=DEFAULT_FROM,
        twiml=SAY,
        machine_detection="Enable",
        status_callback=url,
        status_callback_event=["initiated", "ringing", "answered", "completed"],
    )
    assert wait_for(lambda: len(receiver.posts) == 4)
    forms = sorted((post["form"] for post in receiver.posts), key=lambda form: int(form["SequenceNumber"]))
    assert [form["CallStatus"] for form in forms] == ["initiated", "ringing", "in-progress", "completed"]
    assert forms[-1]["AnsweredBy"] == "human" and forms[-1]["CallSid"] == call.sid
    checker = RequestValidator(fresh.auth_token)
    for post in receiver.posts:
        assert checker.validate(url, post["form"], post["headers"]["X-Twilio-Signature"])
    receiver.posts.clear()
    second = client.calls.create(to=RECIPIENT, from_=DEFAULT_FROM, twiml=SAY, status_callback=url)
    ended(client, second.sid)
    assert wait_for(lambda: receiver.posts)
    assert [post["form"]["CallStatus"] for post in receiver.posts] == ["completed"]  # the default event


def test_malformed_twiml_fails_the_call_with_12100(fresh: TwilioEmulator) -> None:
    client = sdk_client(fresh)
    call = client.calls.create(to=RECIPIENT, from_=DEFAULT_FROM, twiml="<Response><Say>unclosed</Response>")
    assert ended(client, call.sid).status == "failed"
    assert [note.error_code for note in client.calls(call.sid).notifications.list()] == ["12100"]
    wrong_root = client.calls.create(to=RECIPIENT, from_=DEFAULT_FROM, twiml="<Reply><Say>x</Say></Reply>")
    assert ended(client, wrong_root.sid).status == "failed"


def test_url_twiml_and_gather_digits_reach_the_action(fresh: TwilioEmulator, receiver: Receiver) -> None:
    from twilio.request_validator import RequestValidator

    receiver.answer = (
        f'<Response><Gather numDigits="1" action="{receiver.url}/ack" timeout="1"><Say>Press 1</Say></Gather>'
        "<Hangup/></Response>"
    ).encode()
    fresh.add_call_behaviour(RECIPIENT, answer="human", digits="1")
    client = sdk_client(fresh)
    call = client.calls.create(to=RECIPIENT, from_=DEFAULT_FROM, url=f"{receiver.url}/twiml")
    ended(client, call.sid)
    paths = [post["path"] for post in receiver.posts]
    assert paths[:2] == ["/twiml", "/ack"]
    ack = receiver.posts[1]
    assert ack["form"]["Digits"] == "1" and ack["form"]["CallSid"] == call.sid
    assert RequestValidator(fresh.auth_token).validate(
        f"{receiver.url}/ack", ack["form"], ack["headers"]["X-Twilio-Signature"]
    )


def test_a_machine_presses_nothing_and_gather_times_out(fresh: TwilioEmulator, receiver: Receiver) -> None:
    fresh.add_call_behaviour(RECIPIENT, answer="machine", digits="1")
    gather = f'<Response><Gather action="{receiver.url}/ack" timeout="1"><Say>Press 1</Say></Gather></Response>'
    client = sdk_client(fresh)
    assert ended(client, client.calls.create(to=RECIPIENT, from_=DEFAULT_FROM, twiml=gather).sid).status == "completed"
    assert receiver.posts == []


def test_unreachable_url_fails_the_call_with_11200(fresh: TwilioEmulator) -> None:
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        closed = sock.getsockname()[1]
    client = sdk_client(fresh)
    call = client.calls.create(to=RECIPIENT, from_=DEFAULT_FROM, url=f"http://127.0.0.1:{closed}/twiml")
    assert ended(client, call.sid).status == "failed"
    assert [note.error_code for note in client.calls(call.sid).notifications.list()] == ["11200"]


def test_update_cancels_hangs_up_and_redirects(fresh: TwilioEmulator, receiver: Receiver) -> None:
    client = sdk_client(fresh)
    fresh.add_call_behaviour(RECIPIENT, after=30)
    ringing = client.calls.create(to=RECIPIENT, from_=DEFAULT_FROM, twiml=SAY)
    assert client.calls(ringing.sid).update(status="canceled").status == "canceled"
    assert rest_error(lambda: client.calls(ringing.sid).update(status="completed")).code == 21220

    fresh.add_call_behaviour(RECIPIENT, after=0.01)
    talking = client.calls.create(to=RECIPIENT, from_=DEFAULT_FROM, twiml='<Response><Pause length="30"/></Response>')
    assert wait_for(lambda: client.calls(talking.sid).fetch().status == "in-progress")
    assert rest_error(lambda: client.calls(talking.sid).update(status="canceled")).code == 21220
    redirect = f"<Response><Redirect>{receiver.url}/next</Redirect></Response>"
    assert client.calls(talking.sid).update(twiml=redirect).status == "in-progress"
    assert wait_for(lambda: [post["path"] for post in receiver.posts] == ["/next"])
    assert ended(client, talking.sid).status == "completed"  # the receiver answered no TwiML: the call ends

    other = client.calls.create(to=RECIPIENT, from_=DEFAULT_FROM, twiml='<Response><Pause length="30"/></Response>')
    assert wait_for(lambda: client.calls(other.sid).fetch().status == "in-progress")
    assert client.calls(other.sid).update(status="completed").status == "completed"


@pytest.mark.parametrize(
    ("to", "from_", "code"),
    [
        ("+15005550001", DEFAULT_FROM, 21217),
        ("+15005550002", DEFAULT_FROM, 21214),
        ("+15005550003", DEFAULT_FROM, 21215),
        ("+15005550004", DEFAULT_FROM, 21216),
        (RECIPIENT, "+15005550001", 21212),
        ("12", DEFAULT_FROM, 21211),
    ],
)
def test_magic_numbers_for_calls(fresh: TwilioEmulator, to: str, from_: str, code: int) -> None:
    error = rest_error(lambda: sdk_client(fresh).calls.create(to=to, from_=from_, twiml=SAY))
    assert (error.status, error.code) == (400, code)
    assert fresh.calls() == []


@pytest.mark.parametrize(
    ("options", "code"),
    [
        ({"machine_detection": "Sometimes"}, 20001),
        ({"timeout": 601}, 20001),
        ({"status_callback_event": ["hung-up"], "status_callback": "https://example.com/s"}, 20001),
        ({"status_callback": "ftp://example.com/s"}, 21609),
    ],
)
def test_bad_call_options_are_refused(fresh: TwilioEmulator, options: dict[str, Any], code: int) -> None:
    error = rest_error(lambda: sdk_client(fresh).calls.create(to=RECIPIENT, from_=DEFAULT_FROM, twiml=SAY, **options))
    assert error.code == code


def test_call_behaviour_is_checked() -> None:
    with TwilioEmulator() as emu:
        with pytest.raises(ValueError, match="answer must be one of"):
            emu.add_call_behaviour(RECIPIENT, answer="maybe")
        with pytest.raises(ValueError, match="digits"):
            emu.add_call_behaviour(RECIPIENT, digits="1a")


def test_call_behaviour_in_a_separate_process() -> None:
    with TwilioEmulator(separate_process=True) as emu:
        emu.add_call_behaviour(RECIPIENT, answer="busy", after=0.01)
        client = sdk_client(emu)
        call = client.calls.create(to=RECIPIENT, from_=DEFAULT_FROM, twiml=SAY)
        assert ended(client, call.sid).status == "busy"
        assert [c["sid"] for c in emu.calls()] == [call.sid]


def test_call_responses_match_the_openapi_schema(fresh: TwilioEmulator) -> None:
    paths = SPEC["paths"]
    one = paths["/2010-04-01/Accounts/{AccountSid}/Calls/{Sid}.json"]
    base = f"/2010-04-01/Accounts/{fresh.account_sid}"
    fresh.add_call_behaviour(RECIPIENT, after=0.01)
    status, call = raw(
        fresh,
        "POST",
        f"{base}/Calls.json",
        {"To": RECIPIENT, "From": DEFAULT_FROM, "Twiml": SAY, "MachineDetection": "Enable"},
    )
    assert status == 201
    schema = one["get"]["responses"]["200"]["content"]["application/json"]["schema"]
    wait_for(lambda: raw(fresh, "GET", f"{base}/Calls/{call['sid']}.json")[1]["status"] == "completed")
    validator(schema).validate(raw(fresh, "GET", f"{base}/Calls/{call['sid']}.json")[1])
    updated_schema = one["post"]["responses"]["200"]["content"]["application/json"]["schema"]
    fresh.add_call_behaviour(RECIPIENT, after=30)
    status, ringing = raw(fresh, "POST", f"{base}/Calls.json", {"To": RECIPIENT, "From": DEFAULT_FROM, "Twiml": SAY})
    status, canceled = raw(fresh, "POST", f"{base}/Calls/{ringing['sid']}.json", {"Status": "canceled"})
    assert status == 200
    validator(updated_schema).validate(canceled)
    notes = paths["/2010-04-01/Accounts/{AccountSid}/Calls/{CallSid}/Notifications.json"]["get"]
    status, listed = raw(fresh, "GET", f"{base}/Calls/{ringing['sid']}/Notifications.json")
    validator(notes["responses"]["200"]["content"]["application/json"]["schema"]).validate(listed)
