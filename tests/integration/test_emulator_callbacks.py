"""Status callbacks signed like Twilio's, auto replies, and API key authentication."""

from __future__ import annotations

from typing import Any

import pytest

from airflow_provider_twilio.emulator import TwilioEmulator
from tests.support.emulator import (
    DEFAULT_FROM,
    RECIPIENT,
    SERVICE_SID,
    Receiver,
    rest_error,
    sdk_client,
    wait_for,
)


@pytest.fixture
def fresh(fresh: TwilioEmulator) -> TwilioEmulator:
    fresh.configure(status_delay=0.02)
    return fresh


def statuses(receiver: Receiver) -> list[str]:
    return [post["form"]["MessageStatus"] for post in receiver.posts]


def test_status_callbacks_are_signed_like_twilio(fresh: TwilioEmulator, receiver: Receiver) -> None:
    from twilio.request_validator import RequestValidator

    url = f"{receiver.url}/status?run=1&task=send"
    sent = sdk_client(fresh).messages.create(to=RECIPIENT, from_=DEFAULT_FROM, body="x", status_callback=url)
    assert wait_for(lambda: "delivered" in statuses(receiver))
    assert statuses(receiver) == ["sending", "sent", "delivered"]
    validator = RequestValidator(fresh.auth_token)
    wrong = RequestValidator("0" * 32)
    for post in receiver.posts:
        assert post["path"] == "/status?run=1&task=send"
        signature = post["headers"]["X-Twilio-Signature"]
        assert validator.validate(url, post["form"], signature)
        assert not wrong.validate(url, post["form"], signature)
        assert post["form"]["MessageSid"] == sent.sid
        assert post["form"]["AccountSid"] == fresh.account_sid
        assert post["form"]["To"] == RECIPIENT


def test_a_slow_receiver_still_gets_a_messages_callbacks_in_order(fresh: TwilioEmulator, receiver: Receiver) -> None:
    receiver.hold_first = 0.3  # "sending" is still being answered when "sent" falls due
    sdk_client(fresh).messages.create(to=RECIPIENT, from_=DEFAULT_FROM, body="x", status_callback=f"{receiver.url}/cb")
    assert wait_for(lambda: "delivered" in statuses(receiver))
    assert statuses(receiver) == ["sending", "sent", "delivered"]


def test_failure_callbacks_carry_the_error_code(fresh: TwilioEmulator, receiver: Receiver) -> None:
    sdk_client(fresh).messages.create(
        to="+15005550012", messaging_service_sid=SERVICE_SID, body="x", status_callback=f"{receiver.url}/cb"
    )
    assert wait_for(lambda: "failed" in statuses(receiver))
    final = receiver.posts[-1]["form"]
    assert final["ErrorCode"] == "30007"
    assert final["MessagingServiceSid"] == SERVICE_SID
    assert final["From"] == DEFAULT_FROM  # picked by the service before the first callback


def test_unreachable_callback_does_not_break_the_emulator(fresh: TwilioEmulator) -> None:
    import socket

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        closed_port = probe.getsockname()[1]
    client = sdk_client(fresh)
    sent = client.messages.create(
        to=RECIPIENT, from_=DEFAULT_FROM, body="x", status_callback=f"http://127.0.0.1:{closed_port}/cb"
    )
    assert wait_for(lambda: client.messages(sent.sid).fetch().status == "delivered")


def test_invalid_status_callback_url(fresh: TwilioEmulator) -> None:
    error = rest_error(
        lambda: sdk_client(fresh).messages.create(to=RECIPIENT, from_=DEFAULT_FROM, body="x", status_callback="ftp://x")
    )
    assert error.code == 21609


def test_auto_reply_arrives_from_the_recipient(fresh: TwilioEmulator) -> None:
    fresh.add_auto_reply(to=RECIPIENT, body="YES 4821", delay=0.05)
    client = sdk_client(fresh)
    client.messages.create(to="+15551230002", from_=DEFAULT_FROM, body="no rule for this one")
    client.messages.create(to=RECIPIENT, from_=DEFAULT_FROM, body="Approve deploy? Reply YES <code>")

    def reply() -> list[Any]:
        return [m for m in client.messages.list(from_=RECIPIENT) if m.direction == "inbound"]

    replies = wait_for(reply)
    assert [(m.body, m.to, m.status) for m in replies] == [("YES 4821", DEFAULT_FROM, "received")]
    assert fresh.messages()[0]["body"] == "YES 4821"
    assert [m["to"] for m in fresh.messages() if m["direction"] == "inbound"] == [DEFAULT_FROM]


def test_auto_reply_times_limits_how_many_messages_are_answered(fresh: TwilioEmulator) -> None:
    fresh.add_auto_reply(to=RECIPIENT, body="once", delay=0.02, times=1)
    fresh.add_auto_reply(to=RECIPIENT, body="every", delay=0.02)
    client = sdk_client(fresh)
    for n in range(3):
        client.messages.create(to=RECIPIENT, from_=DEFAULT_FROM, body=f"question {n}")

    def bodies() -> list[str]:
        return [m["body"] for m in fresh.messages() if m["direction"] == "inbound"]

    assert wait_for(lambda: bodies().count("every") == 3)
    assert bodies().count("once") == 1
    with pytest.raises(ValueError, match="times"):
        fresh.add_auto_reply(to=RECIPIENT, body="never", times=0)


def test_reset_cancels_pending_auto_replies(fresh: TwilioEmulator) -> None:
    fresh.add_auto_reply(to=RECIPIENT, body="late", delay=0.3)
    sdk_client(fresh).messages.create(to=RECIPIENT, from_=DEFAULT_FROM, body="x")
    fresh.reset()
    # A marker sent after the reply was due proves the old timer has fired (and done nothing).
    fresh.add_auto_reply(to="+15551230002", body="marker", delay=0.5)
    sdk_client(fresh).messages.create(to="+15551230002", from_=DEFAULT_FROM, body="x")
    assert wait_for(lambda: any(m["body"] == "marker" for m in fresh.messages()))
    assert not any(m["body"] == "late" for m in fresh.messages())


def test_api_key_authenticates(fresh: TwilioEmulator) -> None:
    sid, secret = fresh.create_api_key()
    assert sid.startswith("SK") and len(sid) == 34
    client = sdk_client(fresh, username=sid, password=secret)
    assert client.messages.create(to=RECIPIENT, from_=DEFAULT_FROM, body="x").status == "queued"
    error = rest_error(
        lambda: sdk_client(fresh, username=sid, password="wrong").messages.create(
            to=RECIPIENT, from_=DEFAULT_FROM, body="x"
        )
    )
    assert (error.status, error.code) == (401, 20003)
    other_sid = "SK" + "0" * 32
    error = rest_error(
        lambda: sdk_client(fresh, username=other_sid, password=secret).api.v2010.accounts(fresh.account_sid).fetch()
    )
    assert error.code == 20003


def test_hook_with_api_key(twilio_emulator: TwilioEmulator, monkeypatch: pytest.MonkeyPatch) -> None:
    import json

    from airflow_provider_twilio.hooks.twilio import TwilioHook

    sid, secret = twilio_emulator.create_api_key()
    connection = {
        "conn_type": "twilio",
        "login": sid,
        "password": secret,
        "extra": {"account_sid": twilio_emulator.account_sid, "base_url": twilio_emulator.base_url},
    }
    monkeypatch.setenv("AIRFLOW_CONN_TWILIO_KEY", json.dumps(connection))
    ok, reason = TwilioHook("twilio_key").test_connection()
    assert ok, reason


def test_no_auto_reply_from_a_handset_that_never_got_the_message(fresh: TwilioEmulator) -> None:
    fresh.add_auto_reply(to="+15005550010", body="never", delay=0.01)
    fresh.add_auto_reply(to=RECIPIENT, body="marker", delay=0.2)
    client = sdk_client(fresh)
    client.messages.create(to="+15005550010", from_=DEFAULT_FROM, body="x")
    client.messages.create(to=RECIPIENT, from_=DEFAULT_FROM, body="x")
    assert wait_for(lambda: any(m["body"] == "marker" for m in fresh.messages()))
    assert not any(m["body"] == "never" for m in fresh.messages())
