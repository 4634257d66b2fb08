"""What TwilioCallOperator checks before any call: each bad value named with what would be valid."""

from __future__ import annotations

from typing import Any
from urllib.parse import parse_qsl, urlsplit

import pytest

from airflow_provider_twilio import twiml
from airflow_provider_twilio.capabilities import webhooks_supported
from airflow_provider_twilio.exceptions import TwilioInputError
from airflow_provider_twilio.operators.voice import TwilioCallOperator
from airflow_provider_twilio.voice.action_mac import derive_key, sign
from airflow_provider_twilio.voice.keypress import TaskInstanceId, action_url, answer_twiml, claim
from airflow_provider_twilio.voice.request import check_keypress, check_mode, validate_call

TO = "+15551230001"


def call(**fields: Any) -> Any:
    fields.setdefault("to", TO)
    fields.setdefault("from_", None)
    fields.setdefault("default_from", "+15005550006")
    if not {"say", "twiml_document", "url"} & set(fields):
        fields["say"] = "Disk full"
    return validate_call(**fields)


def test_say_becomes_escaped_twiml_and_create_arguments() -> None:
    request = call(to=[TO, "+15551230002"], say="CPU > 90% & rising", voice="Polly.Joanna", language="en-US", loop=2)
    assert request.to == (TO, "+15551230002") and request.from_ == "+15005550006"
    assert '<Say voice="Polly.Joanna" language="en-US" loop="2">CPU &gt; 90% &amp; rising</Say>' in request.twiml
    kwargs = request.create_kwargs(TO)
    assert kwargs["machine_detection"] == "Enable" and kwargs["twiml"] == request.twiml and kwargs["timeout"] == 30


@pytest.mark.parametrize(
    ("fields", "words"),
    [
        ({"to": "whatsapp:+15551230001"}, "to: 'whatsapp:\\+15551230001' is a WhatsApp address"),
        ({"to": ["+15551230001", "12"]}, "to\\[1\\]"),
        ({"from_": "+15551230001"}, "is the caller ID itself"),
        ({"default_from": None}, "from_: no caller ID"),
        ({"say": "x", "twiml_document": "<Response/>"}, "give exactly one .*got say, twiml"),
        ({"say": ""}, "give exactly one .*got none"),
        ({"say": "x" * 3001}, "say: 3001 characters"),
        ({"voice": "robot"}, "voice: 'robot' is not a Twilio voice"),
        ({"language": "english"}, "language: 'english' is not a language tag"),
        ({"voice": "man", "language": "ja-JP"}, "not spoken by the 'man' voice"),
        ({"loop": 101}, "loop: 101 is outside 0..100"),
        ({"timeout": 0}, "timeout: 0 is outside 1..600"),
        ({"time_limit": "long"}, "time_limit: 'long' is not a whole number"),
        ({"say": None, "twiml_document": "<Response><Say>x</Response>"}, "twiml: TwiML is not well-formed.*12100"),
        ({"say": None, "twiml_document": "<Response><Dail>1</Dail></Response>"}, "<Dail> is not a TwiML verb.*12200"),
        ({"say": None, "twiml_document": "<Response>" + "<Pause/>" * 600 + "</Response>"}, "twiml: 4821 characters"),
        ({"say": None, "twiml_document": "<Response/>", "voice": "alice"}, "apply to say="),
        ({"say": None, "url": "ftp://example.com/t.xml"}, "url: 'ftp://example.com/t.xml' must be an http"),
    ],
)
def test_bad_input_is_refused_naming_the_parameter(fields: dict[str, Any], words: str) -> None:
    with pytest.raises(TwilioInputError, match=words):
        call(**fields)


def test_mode_and_keypress_key() -> None:
    assert check_mode("all") == "all"
    with pytest.raises(TwilioInputError, match="mode: 'sequential' is not one of until_acknowledged, all"):
        check_mode("sequential")
    assert check_keypress(None, None, "twilio_default") is None
    for bad in ("11", "a", 1, ""):
        with pytest.raises(TwilioInputError, match=f"require_keypress: {bad!r} is not one keypad key"):
            check_keypress(bad, "https://airflow.example.com", "twilio_default")  # type: ignore[arg-type]


@pytest.mark.skipif(not webhooks_supported(), reason="the webhook receiver (Airflow 3.3+) is what makes keys work")
def test_keypress_needs_the_connections_public_url() -> None:
    assert check_keypress("#", "https://airflow.example.com", "twilio_default") == "#"
    with pytest.raises(TwilioInputError, match="connection 'twilio_default' has no extra 'webhook_base_url'"):
        check_keypress("1", None, "twilio_default")


def test_keypress_is_refused_where_no_webhook_receiver_runs(monkeypatch: pytest.MonkeyPatch) -> None:
    import airflow_provider_twilio.capabilities as capabilities

    if webhooks_supported():  # on Airflow 2.11 and 3.0-3.2 this is the real answer
        monkeypatch.setattr(capabilities, "webhooks_supported", lambda: False)
    with pytest.raises(TwilioInputError, match=r"plugin of Airflow 3's api-server \(Airflow 3.3 or later\); this is"):
        check_keypress("1", "https://airflow.example.com", "twilio_default")
    with pytest.raises(TwilioInputError, match=r"require_keypress: .*Airflow 3\.3 or later"):
        TwilioCallOperator(task_id="call", to=TO, say="x", require_keypress="1")


TI = TaskInstanceId("alerts", "manual__2026-01-01T00:00:00+00:00 &x=1", "call me", 3)
BASE = "https://airflow.example.com:8443/prefix"
MAC_KEY = derive_key("the deployment's [api] secret_key")


def gather_url(conn_id: str, ti: TaskInstanceId, key: str) -> str:
    return action_url(BASE, conn_id, ti, key, try_number=2, mac_key=MAC_KEY)


def test_keypress_twiml_gathers_one_key_for_the_receiver_of_this_task_instance() -> None:
    action = gather_url("twilio default", TI, "1")
    request = call(say="Disk <full>", voice="Polly.Joanna", require_keypress="1", gather_action=action)
    verbs = twiml.parse(request.twiml)
    assert [verb.name for verb in verbs] == ["Gather", "Gather", "Say", "Hangup"]  # unanswered: once more, then end
    gather = verbs[0]
    assert gather == verbs[1]
    assert (gather.attrs["numDigits"], gather.attrs["input"], gather.attrs["method"]) == ("1", "dtmf", "POST")
    assert gather.attrs["action"] == action
    assert [(say.text, say.attrs.get("voice")) for say in gather.nested] == [
        ("Disk <full>", "Polly.Joanna"),
        ("Press 1 to acknowledge.", "Polly.Joanna"),
    ]
    assert "not acknowledged" in verbs[2].text
    assert request.create_kwargs(TO)["twiml"] == request.twiml and "pressing 1" in request.describe()

    # The query names the task instance and key, escaped so they come back exactly; and its try, and the MAC.
    parts = urlsplit(action)
    assert parts.path == "/prefix/twilio/twilio%20default/gather"
    mac = sign(MAC_KEY, claim("twilio default", TI, 2, "1"))
    assert dict(parse_qsl(parts.query, strict_parsing=True)) == {
        "dag_id": "alerts", "run_id": TI.run_id, "task_id": "call me", "map_index": "3", "key": "1",
        "try": "2", "mac": mac,
    }  # fmt: skip


def test_the_action_url_is_what_the_receiver_verifies_twilios_signature_against() -> None:
    from twilio.request_validator import RequestValidator

    from airflow_provider_twilio.webhooks.config import WebhookConfig
    from airflow_provider_twilio.webhooks.signature import called_url, is_signed

    action = gather_url("twilio_default", TI, "#")
    token = "a" * 32
    params = {"CallSid": "CA" + "1" * 32, "Digits": "#"}
    signature = RequestValidator(token).compute_signature(action, params)
    assert RequestValidator(token).validate(action, params, signature)
    # What the api-server sees behind a proxy that strips /prefix: another host, the raw query as sent.
    config = WebhookConfig("twilio_default", "AC" + "0" * 32, token, BASE, False, None)
    parts = urlsplit(action)
    seen = called_url(
        config,
        scheme="http",
        host="10.0.0.5:8080",
        path=parts.path.removeprefix("/prefix"),
        query=parts.query,
        headers={},
    )
    assert seen == action and is_signed(config, seen, params, signature)
    other = gather_url("twilio_default", TI, "1")
    assert not is_signed(config, other, params, signature)  # the key is part of what Twilio signs


@pytest.mark.parametrize(
    ("fields", "words"),
    [
        ({"say": None, "twiml_document": "<Response/>"}, "require_keypress: works with say= only.*with twiml="),
        ({"say": None, "url": "https://example.com/t.xml"}, "require_keypress: works with say= only.*with url="),
        ({"say": "x" * 1900}, "say: 1900 characters; with require_keypress .* at most 4000"),
    ],
)
def test_keypress_is_refused_with_own_twiml_or_too_long_text(fields: dict[str, Any], words: str) -> None:
    action = gather_url("twilio_default", TI, "1")
    with pytest.raises(TwilioInputError, match=words):
        call(require_keypress="1", gather_action=action, **fields)


def test_the_receivers_answers() -> None:
    right = twiml.parse(answer_twiml("1", "1", recorded=True))
    assert [v.name for v in right] == ["Say", "Hangup"] and right[0].text.startswith("Acknowledged")
    wrong = twiml.parse(answer_twiml("#", "1", recorded=True))
    assert wrong[0].text == "You pressed pound, not 1. This alert is not acknowledged. Goodbye."
    lost = twiml.parse(answer_twiml("1", "1", recorded=False))
    assert "could not be recorded" in lost[0].text and lost[1].name == "Hangup"
