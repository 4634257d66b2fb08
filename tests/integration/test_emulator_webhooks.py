"""IncomingPhoneNumbers and inbound-message webhooks: signed like Twilio's, TwiML replies, duplicate delivery."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from airflow_provider_twilio.emulator import TwilioEmulator
from airflow_provider_twilio.emulator.lifecycles.deliveries import twiml_messages
from tests.support.emulator import DEFAULT_FROM, RECIPIENT, Receiver, rest_error, sdk_client, wait_for

SPEC = json.loads((Path(__file__).resolve().parent.parent / "data" / "twilio_api_v2010.json").read_text())


def _default_number(emu: TwilioEmulator) -> Any:
    (number,) = sdk_client(emu).incoming_phone_numbers.list(phone_number=DEFAULT_FROM)
    return number


def test_numbers_list_fetch_and_update_the_webhook_fields(fresh: TwilioEmulator) -> None:
    client = sdk_client(fresh)
    listed = client.incoming_phone_numbers.list()
    assert [n.phone_number for n in listed] == [DEFAULT_FROM]
    assert listed[0].sid.startswith("PN") and listed[0].sms_url == "" and listed[0].sms_method == "POST"
    assert client.incoming_phone_numbers.list(phone_number="+1555*") == []
    assert [n.sid for n in client.incoming_phone_numbers.list(phone_number="555000*")] == [listed[0].sid]

    updated = client.incoming_phone_numbers(listed[0].sid).update(
        sms_url="https://hooks.example.com/twilio/twilio_default/sms",
        sms_method="GET",
        status_callback="https://hooks.example.com/twilio/twilio_default/status",
    )
    assert updated.sms_url == "https://hooks.example.com/twilio/twilio_default/sms"
    fetched = client.incoming_phone_numbers(listed[0].sid).fetch()
    assert (fetched.sms_url, fetched.sms_method, fetched.status_callback) == (
        "https://hooks.example.com/twilio/twilio_default/sms",
        "GET",
        "https://hooks.example.com/twilio/twilio_default/status",
    )
    assert client.incoming_phone_numbers(listed[0].sid).update(sms_url="").sms_url == ""


def test_numbers_refuse_bad_webhook_settings_and_unknown_sids(fresh: TwilioEmulator) -> None:
    number = _default_number(fresh)
    client = sdk_client(fresh)
    assert rest_error(lambda: client.incoming_phone_numbers(number.sid).update(sms_url="ftp://x")).status == 400
    assert rest_error(lambda: client.incoming_phone_numbers(number.sid).update(sms_method="PUT")).status == 400
    assert rest_error(lambda: client.incoming_phone_numbers("PN" + "0" * 32).fetch()).status == 404
    assert client.incoming_phone_numbers(number.sid).fetch().sms_url == ""


def test_number_resources_match_the_openapi_schemas(fresh: TwilioEmulator) -> None:
    from openapi_schema_validator import OAS30Validator

    def validate(path: str, method: str, status: str, instance: Any) -> None:
        schema = SPEC["paths"][path][method]["responses"][status]["content"]["application/json"]["schema"]
        OAS30Validator({**schema, "components": SPEC["components"]}).validate(instance)

    client = sdk_client(fresh)
    bought = client.incoming_phone_numbers.create(phone_number="+15551239999", sms_url="https://h.example.com/sms")
    listing = client.incoming_phone_numbers.page()
    validate("/2010-04-01/Accounts/{AccountSid}/IncomingPhoneNumbers.json", "get", "200", listing._payload)
    one = next(n for n in listing._payload["incoming_phone_numbers"] if n["sid"] == bought.sid)
    validate("/2010-04-01/Accounts/{AccountSid}/IncomingPhoneNumbers/{Sid}.json", "get", "200", one)
    schema = SPEC["components"]["schemas"]["api.v2010.account.incoming_phone_number"]
    assert set(one) == set(schema["properties"])
    assert one["sms_url"] == "https://h.example.com/sms"


def test_inbound_message_is_posted_to_the_sms_url_signed_like_twilio(fresh: TwilioEmulator, receiver: Receiver) -> None:
    from twilio.request_validator import RequestValidator

    url = f"{receiver.url}/twilio/twilio_default/sms"
    sdk_client(fresh).incoming_phone_numbers(_default_number(fresh).sid).update(sms_url=url)
    message = fresh.inject_inbound(from_=RECIPIENT, body="YES 42", media_urls=("https://m.example.com/a.jpg",))
    assert wait_for(lambda: receiver.posts)
    (post,) = receiver.posts
    form = post["form"]
    assert post["method"] == "POST" and post["path"] == "/twilio/twilio_default/sms"
    assert form["MessageSid"] == message["sid"] and form["SmsSid"] == message["sid"]
    assert (form["From"], form["To"], form["Body"]) == (RECIPIENT, DEFAULT_FROM, "YES 42")
    assert (form["NumMedia"], form["MediaUrl0"]) == ("1", "https://m.example.com/a.jpg")
    assert form["AccountSid"] == fresh.account_sid
    signature = post["headers"]["X-Twilio-Signature"]
    assert RequestValidator(fresh.auth_token).validate(url, form, signature)
    assert not RequestValidator(fresh.auth_token).validate(url + "x", form, signature)
    assert not RequestValidator("0" * 32).validate(url, form, signature)
    assert wait_for(fresh.webhook_log)
    (delivery,) = fresh.webhook_log()
    assert (delivery["kind"], delivery["sid"]) == ("sms", message["sid"])
    assert (delivery["status"], delivery["attempt"]) == (204, 1)


def test_a_number_with_sms_method_get_gets_a_signed_query(fresh: TwilioEmulator, receiver: Receiver) -> None:
    from twilio.request_validator import RequestValidator

    url = f"{receiver.url}/sms?site=a"
    sdk_client(fresh).incoming_phone_numbers(_default_number(fresh).sid).update(sms_url=url, sms_method="GET")
    fresh.inject_inbound(from_=RECIPIENT, body="hello")
    assert wait_for(lambda: receiver.posts)
    post = receiver.posts[0]
    assert post["method"] == "GET" and post["form"]["Body"] == "hello" and post["form"]["site"] == "a"
    called = receiver.url + post["path"]
    assert RequestValidator(fresh.auth_token).validate(called, {}, post["headers"]["X-Twilio-Signature"])


def test_messages_to_numbers_without_sms_url_are_not_posted(fresh: TwilioEmulator, receiver: Receiver) -> None:
    client = sdk_client(fresh)
    client.incoming_phone_numbers.create(phone_number="+15551238888", sms_url=f"{receiver.url}/other")
    fresh.inject_inbound(from_=RECIPIENT, body="to the default number")
    fresh.inject_inbound(from_=RECIPIENT, to="+15551238888", body="to the other")
    assert wait_for(lambda: receiver.posts)
    assert [p["form"]["Body"] for p in receiver.posts] == ["to the other"]


def test_twiml_message_verbs_are_sent_as_replies(fresh: TwilioEmulator, receiver: Receiver) -> None:
    receiver.answer = (
        b'<?xml version="1.0" encoding="UTF-8"?><Response><Message>Thanks, got it</Message>'
        b'<Message to="+15551230002"><Body>FYI</Body></Message></Response>'
    )
    sdk_client(fresh).incoming_phone_numbers(_default_number(fresh).sid).update(sms_url=receiver.url + "/sms")
    fresh.inject_inbound(from_=RECIPIENT, body="hi")
    outbound = lambda: [m for m in fresh.messages() if m["direction"] == "outbound-api"]  # noqa: E731
    assert wait_for(lambda: len(outbound()) == 2)
    replies = sorted((m["to"], m["from"], m["body"]) for m in outbound())
    assert replies == [(RECIPIENT, DEFAULT_FROM, "Thanks, got it"), ("+15551230002", DEFAULT_FROM, "FYI")]


def test_empty_or_broken_twiml_sends_nothing() -> None:
    assert twiml_messages(b"<Response/>") == []
    assert twiml_messages(b"") == []
    assert twiml_messages(b"<Response><Message>") == []
    assert twiml_messages(b"<Other><Message>x</Message></Other>") == []
    assert twiml_messages(b"<Response><Message> ok </Message></Response>") == [{"body": "ok", "to": "", "from": ""}]


def test_duplicate_webhooks_switch_delivers_each_webhook_twice(fresh: TwilioEmulator, receiver: Receiver) -> None:
    sdk_client(fresh).incoming_phone_numbers(_default_number(fresh).sid).update(sms_url=receiver.url + "/sms")
    fresh.configure(duplicate_webhooks=True)
    message = fresh.inject_inbound(from_=RECIPIENT, body="once")
    assert wait_for(lambda: len(receiver.posts) == 2)
    assert [p["form"]["MessageSid"] for p in receiver.posts] == [message["sid"]] * 2
    assert wait_for(lambda: [d["attempt"] for d in fresh.webhook_log()] == [1, 2])
    fresh.reset()
    assert fresh.webhook_log() == [] and _default_number(fresh).sms_url == ""


def test_auto_replies_reach_the_sms_url(fresh: TwilioEmulator, receiver: Receiver) -> None:
    sdk_client(fresh).incoming_phone_numbers(_default_number(fresh).sid).update(sms_url=receiver.url + "/sms")
    fresh.configure(status_delay=0.01)
    fresh.add_auto_reply(to=RECIPIENT, body="APPROVE", delay=0.05)
    sdk_client(fresh).messages.create(to=RECIPIENT, from_=DEFAULT_FROM, body="approve?")
    assert wait_for(lambda: receiver.posts)
    assert receiver.posts[0]["form"]["Body"] == "APPROVE"


def test_separate_process_emulator_delivers_and_logs_webhooks(receiver: Receiver) -> None:
    with TwilioEmulator(separate_process=True) as emu:
        sdk_client(emu).incoming_phone_numbers(_default_number(emu).sid).update(sms_url=receiver.url + "/sms")
        emu.configure(duplicate_webhooks=True)
        emu.inject_inbound(from_=RECIPIENT, body="remote")
        assert wait_for(lambda: len(emu.webhook_log()) == 2)
        assert [p["form"]["Body"] for p in receiver.posts] == ["remote", "remote"]
