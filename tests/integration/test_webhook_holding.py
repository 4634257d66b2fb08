"""Held webhooks: what is kept of one, how it matches a watcher later, and how declared watchers are read.

The DAG file is the end-to-end test's (tests/e2e/webhook_dags/held_and_burst_dags.py), parsed by a
real ``DagBag`` and serialized as the dag-processor stores it.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from airflow_provider_twilio.webhooks import webhooks_supported

pytestmark = pytest.mark.skipif(
    not webhooks_supported(),
    reason="held webhooks need Airflow 3.3+: the webhook receiver and the asset state store",
)

DAG_FILE = Path(__file__).resolve().parents[1] / "e2e" / "webhook_dags" / "held_and_burst_dags.py"
ACCOUNT = "AC" + "0" * 32
NUMBER, SENDER = "+15005550006", "+15551230001"


def _text(sid: str, body: str, **extra: str) -> dict[str, str]:
    return {"MessageSid": sid, "AccountSid": ACCOUNT, "From": SENDER, "To": NUMBER, "Body": body, "NumMedia": "0",
            **extra}  # fmt: skip


def test_a_held_text_matches_a_watcher_as_the_receiver_would() -> None:
    from airflow_provider_twilio.triggers.events import TwilioInboundSmsEventTrigger
    from airflow_provider_twilio.webhooks.holding import Webhook

    held = Webhook.from_json(
        Webhook.received("sms", "twilio_default", NUMBER, _text("SM" + "1" * 32, "HELD 7")).to_json()
    )
    watcher = TwilioInboundSmsEventTrigger(pattern=r"^HELD (?P<n>\d+)$", source="webhook")
    key, payload = held.event_for(watcher.serialize()[1]) or ("", {})
    assert key.endswith(":webhook:SM" + "1" * 32)
    assert (payload["body"], payload["match_groups"], payload["date_sent"]) == ("HELD 7", {"n": "7"}, held.received_at)
    polling = TwilioInboundSmsEventTrigger(pattern=r"^HELD", source="poll").serialize()[1]
    other_connection = {**watcher.serialize()[1], "twilio_conn_id": "other"}
    other_number = {**watcher.serialize()[1], "to": "+15005550007"}
    assert [held.event_for(kwargs) for kwargs in (polling, other_connection, other_number)] == [None, None, None]
    odd_media = Webhook.received("sms", "twilio_default", NUMBER, _text("SM" + "2" * 32, "HELD 8", NumMedia="²"))
    assert (odd_media.event_for(watcher.serialize()[1]) or ("", {}))[1]["num_media"] == 0


def test_a_held_status_callback_fires_only_for_its_statuses() -> None:
    from airflow_provider_twilio.triggers.status_events import TwilioMessageStatusEventTrigger
    from airflow_provider_twilio.webhooks.holding import Webhook

    form = {"MessageSid": "SM" + "3" * 32, "MessageStatus": "read", "AccountSid": ACCOUNT, "ErrorCode": "30003"}
    held = Webhook.received("status", "twilio_default", None, form)
    _, payload = held.event_for(TwilioMessageStatusEventTrigger(statuses=["read"]).serialize()[1]) or ("", {})
    assert (payload["sid"], payload["status"], payload["error_code"]) == (form["MessageSid"], "read", 30003)
    assert held.event_for(TwilioMessageStatusEventTrigger().serialize()[1]) is None


def test_what_is_kept_is_bounded_and_keyed_per_message_and_status() -> None:
    from airflow_provider_twilio.webhooks.holding import MAX_FIELD_CHARS, Webhook

    text = _text("SM" + "4" * 32, "x" * 70_000, Secret="never kept")
    held = Webhook.received("sms", "twilio_default", NUMBER, text)
    assert len(held.fields["Body"]) == MAX_FIELD_CHARS and "Secret" not in held.fields
    assert len(held.key) <= 512  # the asset state store's key column
    assert held.key == Webhook.received("sms", "twilio_default", NUMBER, text).key  # a redelivery: one row
    assert held.key != Webhook.received("sms", "other", NUMBER, text).key
    sent = {"MessageSid": "SM" + "5" * 32, "MessageStatus": "sent"}
    read = {**sent, "MessageStatus": "read"}
    assert Webhook.received("status", "c", None, sent).key != Webhook.received("status", "c", None, read).key


def test_declared_watchers_are_read_from_the_serialized_dag_with_the_kwargs_airflow_registers() -> None:
    from airflow.dag_processing.dagbag import DagBag
    from airflow.serialization.serialized_objects import DagSerialization

    from airflow_provider_twilio.triggers.events import TwilioInboundSmsEventTrigger
    from airflow_provider_twilio.triggers.status_events import TwilioMessageStatusEventTrigger
    from airflow_provider_twilio.webhooks.holding import _watchers_in, canonical

    bag = DagBag(str(DAG_FILE))
    assert not bag.import_errors
    declared = [w for dag in bag.dags.values() for w in _watchers_in(DagSerialization.to_dict(dag))]
    expected = [
        ("twilio_held_texts", TwilioInboundSmsEventTrigger(pattern=r"^HELD (?P<n>\d+)$", source="webhook")),
        ("twilio_held_deliveries", TwilioMessageStatusEventTrigger(statuses=["read"])),
        ("twilio_burst_texts", TwilioInboundSmsEventTrigger(pattern=r"^BURST (?P<n>\d+)$", source="webhook")),
    ]
    identities = []
    for name, trigger in expected:
        classpath, kwargs = trigger.serialize()
        identities.append((name, name, classpath, canonical(kwargs)))
    assert sorted(w.identity for w in declared) == sorted(identities)
