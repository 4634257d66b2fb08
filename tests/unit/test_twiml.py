"""TwiML building and checking: what a call runs, and what is refused before any call is made."""

from __future__ import annotations

import pytest

from airflow_provider_twilio import twiml


def test_built_twiml_parses_back_with_text_escaped() -> None:
    document = twiml.response(
        twiml.gather(
            twiml.say("Disk <full> & hot", voice="Polly.Joanna", language="en-US", loop=2),
            action="https://hooks.example.com/twilio/gather?a=1&b=2",
            num_digits=1,
            timeout=7,
        ),
        "<Hangup/>",
    )
    verbs = twiml.parse(document)
    assert [verb.name for verb in verbs] == ["Gather", "Hangup"]
    gather = verbs[0]
    assert gather.attrs["action"] == "https://hooks.example.com/twilio/gather?a=1&b=2"
    assert (gather.attrs["numDigits"], gather.attrs["timeout"]) == ("1", "7")
    (say,) = gather.nested
    assert say.text == "Disk <full> & hot"
    assert say.attrs == {"voice": "Polly.Joanna", "language": "en-US", "loop": "2"}


@pytest.mark.parametrize(
    ("document", "code", "words"),
    [
        ("<Response><Say>unclosed</Response>", 12100, "not well-formed"),
        ("<Reply><Say>x</Say></Reply>", 12100, "root element"),
        ("", 12100, "not well-formed"),
        ('<!DOCTYPE r [<!ENTITY a "aaaa">]><Response><Say>&a;</Say></Response>', 12100, "DOCTYPE"),
        ("<Response><say>lower case</say></Response>", 12200, "<say> is not a TwiML verb"),
        ("<Response><Gather><Hangup/></Gather></Response>", 12200, "allowed in <Gather>"),
        ("<Response><Say></Say></Response>", 12200, "needs text"),
        ("<Response><Pause><Say>x</Say></Pause></Response>", 12200, "cannot contain"),
    ],
)
def test_bad_twiml_is_refused_with_twilios_code(document: str, code: int, words: str) -> None:
    with pytest.raises(twiml.TwimlError, match=words) as info:
        twiml.parse(document)
    assert info.value.code == code


def test_at_call_time_unknown_verbs_are_skipped_as_twilio_does() -> None:
    verbs = twiml.parse("<Response><Sayy>x</Sayy><Say>hello</Say></Response>", strict=False)
    assert [(verb.name, verb.text) for verb in verbs] == [("Say", "hello")]
    with pytest.raises(twiml.TwimlError):
        twiml.parse("<Response><Say>x</Response>", strict=False)  # not XML: refused either way


def test_twilio_verbs_beyond_the_emulated_ones_are_valid() -> None:
    verbs = twiml.parse("<Response><Dial>+15551230001</Dial><Record/></Response>")
    assert [verb.name for verb in verbs] == ["Dial", "Record"]
