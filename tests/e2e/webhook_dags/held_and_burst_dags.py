"""DAGs for the held-webhook and burst tests: two created paused (their watchers are not registered
until the test unpauses them) and one that receives bursts of texts."""

from __future__ import annotations

import pendulum
from airflow.providers.standard.operators.empty import EmptyOperator
from airflow.sdk import DAG, Asset, AssetWatcher

from airflow_provider_twilio.triggers.events import TwilioInboundSmsEventTrigger
from airflow_provider_twilio.triggers.status_events import TwilioMessageStatusEventTrigger

held_texts = Asset(
    "twilio_held_texts",
    watchers=[
        AssetWatcher(
            name="held_texts_by_webhook",
            trigger=TwilioInboundSmsEventTrigger(pattern=r"^HELD (?P<n>\d+)$", source="webhook"),
        )
    ],
)
held_deliveries = Asset(
    "twilio_held_deliveries",
    watchers=[AssetWatcher(name="held_deliveries", trigger=TwilioMessageStatusEventTrigger(statuses=["read"]))],
)
burst_texts = Asset(
    "twilio_burst_texts",
    watchers=[
        AssetWatcher(
            name="burst_texts_by_webhook",
            trigger=TwilioInboundSmsEventTrigger(pattern=r"^BURST (?P<n>\d+)$", source="webhook"),
        )
    ],
)

start = pendulum.datetime(2026, 1, 1)

with DAG("webhook_held_texts", schedule=[held_texts], start_date=start, catchup=False, is_paused_upon_creation=True):
    EmptyOperator(task_id="deploy")

with DAG(
    "webhook_held_deliveries", schedule=[held_deliveries], start_date=start, catchup=False, is_paused_upon_creation=True
):
    EmptyOperator(task_id="note")

with DAG("webhook_burst", schedule=[burst_texts], start_date=start, catchup=False):
    EmptyOperator(task_id="handle")
