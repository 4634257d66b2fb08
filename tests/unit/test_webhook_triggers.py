"""What webhook watchers accept: the inbound trigger's webhook mode and the status trigger (Airflow 3)."""

from __future__ import annotations

from datetime import datetime, timezone

import pytest

from airflow_provider_twilio.webhooks import webhooks_supported

pytestmark = pytest.mark.skipif(
    not webhooks_supported(), reason="webhook watchers need Airflow 3.3+ (FastAPI plugins and the asset state store)"
)

US, ANN, BOB = "+15005550006", "+15551230981", "+15551230982"


def message(body: str, sender: str = ANN, sid: str = "SM" + "1" * 32):  # type: ignore[no-untyped-def]
    from airflow_provider_twilio.inbound.matching import InboundMessage

    return InboundMessage(
        sid=sid, from_=sender, to=US, body=body, date_sent=datetime(2026, 11, 22, tzinfo=timezone.utc)
    )


def test_a_webhook_watcher_fires_with_the_polled_payload_for_matching_texts_only() -> None:
    from airflow_provider_twilio.inbound.matching import compile_pattern, match_result
    from airflow_provider_twilio.triggers.events import TwilioInboundSmsEventTrigger, payload

    watcher = TwilioInboundSmsEventTrigger(to=US, pattern=r"^RUN (?P<job>\w+)$", from_=[ANN], source="webhook")
    assert watcher.serialize()[1]["source"] == "webhook"
    assert watcher.shared_stream_key() is None
    text = message("RUN nightly")
    key, fired = watcher.webhook_event(text)  # type: ignore[misc]
    assert fired == payload(text, match_result(compile_pattern(r"^RUN (?P<job>\w+)$"), text))  # type: ignore[arg-type]
    assert fired["match_groups"] == {"job": "nightly"} and key.endswith(":webhook:" + text.sid)
    assert watcher.webhook_event(message("RUN nightly", sender=BOB)) is None
    assert watcher.webhook_event(message("hello")) is None
    other = TwilioInboundSmsEventTrigger(to=US, pattern=r"^RUN", source="webhook")
    assert other.webhook_event(text)[0] != key  # type: ignore[index]


def test_source_must_be_poll_or_webhook() -> None:
    from airflow_provider_twilio.exceptions import TwilioInputError
    from airflow_provider_twilio.triggers.events import TwilioInboundSmsEventTrigger

    with pytest.raises(TwilioInputError, match="source: expected one of poll, webhook, got 'push'"):
        TwilioInboundSmsEventTrigger(to=US, source="push")


def test_the_status_watcher_fires_on_delivery_failures_once_per_message_and_status() -> None:
    from airflow_provider_twilio.triggers.status_events import TwilioMessageStatusEventTrigger

    watcher = TwilioMessageStatusEventTrigger()
    assert watcher.serialize()[1] == {"statuses": ["failed", "undelivered"], "twilio_conn_id": "twilio_default"}
    form = {"MessageSid": "SM" + "2" * 32, "MessageStatus": "undelivered", "ErrorCode": "30003", "To": ANN, "From": US}
    key, fired = watcher.webhook_event(form)  # type: ignore[misc]
    assert fired == {
        "sid": form["MessageSid"],
        "status": "undelivered",
        "error_code": 30003,
        "error_message": None,
        "to": ANN,
        "from": US,
        "account_sid": None,
    }
    assert key.endswith(f":webhook:{form['MessageSid']}:undelivered")
    assert watcher.webhook_event({**form, "MessageStatus": "delivered"}) is None
    assert watcher.webhook_event({**form, "MessageSid": ""}) is None


def test_status_watcher_statuses_are_checked() -> None:
    from airflow_provider_twilio.exceptions import TwilioInputError
    from airflow_provider_twilio.triggers.status_events import TwilioMessageStatusEventTrigger

    with pytest.raises(TwilioInputError, match="'lost'"):
        TwilioMessageStatusEventTrigger(statuses=["failed", "lost"])
    with pytest.raises(TwilioInputError, match="statuses"):
        TwilioMessageStatusEventTrigger(statuses=[])
