"""What TwilioCallOperator checks before any call: each bad value named with what would be valid."""

from __future__ import annotations

from typing import Any

import pytest

from airflow_provider_twilio.exceptions import TwilioInputError
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


def test_mode_and_keypress() -> None:
    assert check_mode("all") == "all"
    with pytest.raises(TwilioInputError, match="mode: 'sequential' is not one of until_acknowledged, all"):
        check_mode("sequential")
    check_keypress(None, None, "twilio_default")
    with pytest.raises(TwilioInputError, match="require_keypress: '11' is not one keypad key"):
        check_keypress("11", "https://airflow.example.com", "twilio_default")
    with pytest.raises(TwilioInputError, match="connection 'twilio_default' has no extra 'webhook_base_url'"):
        check_keypress("1", None, "twilio_default")
    with pytest.raises(TwilioInputError, match="does not record <Gather> keypresses"):
        check_keypress("1", "https://airflow.example.com", "twilio_default")
