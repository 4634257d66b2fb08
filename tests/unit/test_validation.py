from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest

from airflow_provider_twilio.exceptions import ErrorType, TwilioInputError, TwilioMissingInputError
from airflow_provider_twilio.sending.validation import validate_batch

MG = "MG" + "a" * 32
HX = "HX" + "b" * 32
NOW = datetime(2030, 1, 1, 12, 0, tzinfo=timezone.utc)


def batch(**overrides):
    args = {"to": "+14155550100", "body": "hello", "from_": "+15005550006", "now": NOW}
    args.update(overrides)
    return validate_batch(**args)


def rejects(match, cls=TwilioInputError, **overrides):
    with pytest.raises(cls, match=match) as info:
        batch(**overrides)
    return info.value


def test_valid_request_builds_sdk_kwargs():
    result = batch(to=["+14155550100", "+14155550101"], status_callback="https://hooks.example.com/s")
    assert result.recipients == ("+14155550100", "+14155550101")
    assert result.request.create_kwargs("+14155550101") == {
        "to": "+14155550101",
        "from_": "+15005550006",
        "body": "hello",
        "status_callback": "https://hooks.example.com/s",
    }


def test_sender_falls_back_to_connection_defaults():
    assert batch(from_=None, default_from="+15005550006").request.from_ == "+15005550006"
    request = batch(from_=None, default_messaging_service_sid=MG).request
    assert request.messaging_service_sid == MG and request.from_ is None
    assert batch(from_=None, messaging_service_sid=MG, default_from="+15005550006").request.from_ is None


def test_no_sender():
    error = rejects("no sender", cls=TwilioMissingInputError, from_=None)
    assert error.error_type is ErrorType.MISSING_INPUT


def test_bad_sender_and_service():
    rejects("from_: '1234' is not an E.164 number.*5- or 6-digit short code", from_="1234")
    rejects("from_: '1234567' is not an E.164 number.*alphanumeric sender ID", from_="1234567")
    rejects("messaging_service_sid.*MG followed", from_=None, messaging_service_sid="MG123")
    assert batch(from_="ACME Corp").request.from_ == "ACME Corp"


@pytest.mark.parametrize("code", ["12345", "123456", " 89898 "])
def test_short_codes_are_senders(code):
    request = batch(from_=code).request
    assert request.from_ == code.strip()
    assert request.create_kwargs("+14155550100")["from_"] == code.strip()
    assert batch(from_=None, default_from=code).request.from_ == code.strip()


def test_whatsapp_sender_cannot_text_sms_numbers():
    error = rejects(
        r"to: '\+14155550101' is an SMS number, but from_ 'whatsapp:\+15005550006' is a WhatsApp sender "
        r"\(Twilio error 21910\); send SMS from the plain number '\+15005550006', or address the recipient as "
        r"'whatsapp:\+14155550101'",
        from_="whatsapp:+15005550006",
        to=["whatsapp:+14155550100", "+14155550101"],
    )
    assert error.error_type is ErrorType.INVALID_INPUT
    rejects("the connection's default_from 'whatsapp:", from_=None, default_from="whatsapp:+15005550006")
    assert batch(from_="whatsapp:+15005550006", to="whatsapp:+14155550100").recipients == ("whatsapp:+14155550100",)


@pytest.mark.parametrize(("sender", "kind"), [("ACME", "an alphanumeric sender ID"), ("12345", "a short code")])
def test_whatsapp_needs_a_phone_number_sender(sender, kind):
    rejects(
        rf"to: 'whatsapp:\+14155550100' is a WhatsApp address, but from_ '{sender}' is {kind}; WhatsApp messages "
        "need a phone number sender",
        from_=sender,
        to=["+14155550101", "whatsapp:+14155550100"],
    )


@pytest.mark.parametrize(
    ("to", "from_"),
    [
        ("+15005550006", "+15005550006"),
        ("whatsapp:+15005550006", "+15005550006"),
        ("whatsapp:+15005550006", "whatsapp:+15005550006"),
    ],
)
def test_recipient_cannot_be_the_sender(to, from_):
    others = "whatsapp:+14155550100" if to.startswith("whatsapp:") else "+14155550100"
    rejects(r"to: .*\+15005550006' is the sender itself \(from_\); .*21266", to=[others, to], from_=from_)


def test_messaging_service_skips_sender_pairing():
    result = batch(from_=None, messaging_service_sid=MG, to=["whatsapp:+14155550100", "+15005550006"])
    assert result.recipients == ("whatsapp:+14155550100", "+15005550006")


def test_no_content():
    error = rejects("nothing to send", cls=TwilioMissingInputError, body="")
    assert error.error_type is ErrorType.MISSING_INPUT
    assert batch(body=None, media_url="https://example.com/cat.jpg").request.media_url == (
        "https://example.com/cat.jpg",
    )
    assert batch(body=None, content_sid=HX).request.content_sid == HX


def test_body_length_limit():
    assert batch(body="a" * 1600).segments.segments == 11
    rejects("1601 characters is over Twilio's limit of 1600", body="a" * 1601)


@pytest.mark.parametrize(
    ("value", "shown"),
    [
        (5, "int 5"),
        ({"https://example.com/a.jpg": 1}, "dict {'https://example.com/a.jpg': 1}"),
        ({"https://example.com/a.jpg"}, "set"),
        (b"https://example.com/a.jpg", "bytes"),
    ],
)
def test_media_url_must_be_a_url_or_a_list(value, shown):
    error = rejects(r"media_url: expected a URL or a list of up to 10 URLs, got ", media_url=value)
    assert shown in str(error)


def test_media_url_rules():
    rejects("at most 10", media_url=[f"https://example.com/{i}.jpg" for i in range(11)])
    rejects(r"media_url\[1\]: expected a URL string, got int 5", media_url=["https://example.com/a.jpg", 5])
    rejects("media_url.*http:// or https://", media_url="ftp://example.com/a.jpg")
    rejects(r"media_url\[1\]", media_url=["https://example.com/a.jpg", "file:///etc/passwd"])
    urls = batch(media_url='["https://example.com/a.jpg", "http://example.com/b.png"]').request.media_url
    assert urls == ("https://example.com/a.jpg", "http://example.com/b.png")


def test_content_variables_must_be_a_json_object():
    assert batch(content_sid=HX, content_variables={"1": "Ana"}).request.content_variables == '{"1":"Ana"}'
    assert batch(content_sid=HX, content_variables='{"1": "Ana"}').request.content_variables == '{"1":"Ana"}'
    rejects("not a JSON object", content_sid=HX, content_variables='["Ana"]')
    rejects("not valid JSON", content_sid=HX, content_variables="{1: Ana}")
    rejects("without content_sid", content_variables={"1": "Ana"})
    rejects("Content SID", content_sid="HX12")


@pytest.mark.parametrize("value", [0, 36001, -5, "abc", 1.5, True])
def test_validity_period_range(value):
    rejects("validity_period", validity_period=value)


def test_validity_period_accepted():
    assert batch(validity_period=1).request.validity_period == 1
    assert batch(validity_period="36000").request.validity_period == 36000


def test_send_at_needs_messaging_service():
    rejects("needs a Messaging Service", send_at=NOW + timedelta(hours=1))


def test_send_at_uses_default_messaging_service():
    request = batch(
        from_=None, default_from="+15005550006", default_messaging_service_sid=MG, send_at=NOW + timedelta(hours=1)
    ).request
    assert request.messaging_service_sid == MG
    assert request.create_kwargs("+14155550100")["schedule_type"] == "fixed"


@pytest.mark.parametrize(
    "when",
    [
        NOW + timedelta(minutes=5),
        NOW + timedelta(minutes=1),
        NOW + timedelta(days=35, seconds=1),
        NOW - timedelta(days=1),
    ],
)
def test_send_at_window(when):
    rejects("more than 5 minutes and at most 35 days", from_=None, messaging_service_sid=MG, send_at=when)


def test_send_at_forms():
    ok = batch(from_=None, messaging_service_sid=MG, send_at="2030-01-02T09:00:00Z").request.send_at
    assert ok == datetime(2030, 1, 2, 9, tzinfo=timezone.utc)
    assert batch(from_=None, messaging_service_sid=MG, send_at=NOW + timedelta(days=35)).request.send_at
    rejects("no time zone", from_=None, messaging_service_sid=MG, send_at="2030-01-02T09:00:00")
    rejects("ISO 8601", from_=None, messaging_service_sid=MG, send_at="tomorrow")


@pytest.mark.parametrize(
    "url",
    [
        "ftp://example.com/cb",
        "https://",
        "https://exa mple.com/cb",
        "https://-bad-.example.com",
        "https://nodot/cb",
        "example.com/cb",
        "https://example.com:99999/cb",
    ],
)
def test_status_callback_must_be_http_url_with_valid_host(url):
    rejects("status_callback", status_callback=url)


@pytest.mark.parametrize("url", ["http://localhost:8080/cb", "https://127.0.0.1/cb", "https://a.b-c.example.org/x?y=1"])
def test_status_callback_valid(url):
    assert batch(status_callback=url).request.status_callback == url


def test_max_segments():
    assert batch(body="a" * 306, max_segments=2).segments.segments == 2
    error = rejects("needs 3 GSM-7 segments.*max_segments=2", body="a" * 307, max_segments=2)
    assert error.error_type is ErrorType.INVALID_INPUT
    rejects("needs 2 UCS-2 segments.*outside GSM-7", body="ü" + "é" * 69 + "😀", max_segments=1)
    rejects("max_segments", max_segments=0)


def test_whatsapp_recipient_gets_whatsapp_sender():
    request = batch(to=["whatsapp:+14155550100", "+14155550101"]).request
    assert request.create_kwargs("whatsapp:+14155550100")["from_"] == "whatsapp:+15005550006"
    assert request.create_kwargs("+14155550101")["from_"] == "+15005550006"


def test_bad_recipient_is_raised_before_anything_else():
    rejects("to: 'nope'", to="nope")


def test_non_text_body():
    rejects("body: expected text, got bytes", body=b"hello")
    rejects("body: expected text, got bool", body=True)
    rejects(r"body: expected text, got list \['a'\]", body=["a"])


def test_numbers_in_text_fields_are_text():
    """render_template_as_native_obj=True renders "{{ params.rows }}" as an int: it means the digits."""
    result = batch(body=1204)
    assert result.request.body == "1204"
    assert result.request.create_kwargs("+14155550100")["body"] == "1204"
    assert batch(body=2.5).request.body == "2.5"
    assert batch(from_=89898).request.from_ == "89898"


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("body", "Report \ud83d ready"),
        ("media_url", "https://example.com/\udcff.jpg"),
        ("status_callback", "https://example.com/cb\udc80"),
    ],
)
def test_lone_surrogates_are_refused_by_name(field, value):
    error = rejects(rf"{field}: character \d+ is a lone surrogate \(U\+D[89A-F][0-9A-F]{{2}}\)", **{field: value})
    assert "cannot be sent as UTF-8" in str(error)


def test_lone_surrogate_in_content_variables_is_refused():
    rejects(r"content_variables: character \d+ is a lone surrogate", content_sid=HX, content_variables={"1": "\udc00"})
