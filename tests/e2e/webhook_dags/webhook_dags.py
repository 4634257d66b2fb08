"""DAGs for the webhook end-to-end test: a text starts one, a delivery failure starts the other."""

from __future__ import annotations

import pendulum
from airflow.providers.standard.operators.empty import EmptyOperator
from airflow.sdk import DAG, Asset, AssetWatcher

from airflow_provider_twilio.triggers.events import TwilioInboundSmsEventTrigger
from airflow_provider_twilio.triggers.status_events import TwilioMessageStatusEventTrigger

texts = Asset(
    "twilio_deploy_texts",
    watchers=[
        AssetWatcher(
            name="deploy_texts_by_webhook",
            trigger=TwilioInboundSmsEventTrigger(pattern=r"^DEPLOY (?P<version>\S+)$", source="webhook"),
        )
    ],
)
failures = Asset(
    "twilio_delivery_failures",
    watchers=[AssetWatcher(name="delivery_failures", trigger=TwilioMessageStatusEventTrigger())],
)

with DAG("webhook_deploy", schedule=[texts], start_date=pendulum.datetime(2026, 1, 1), catchup=False):
    EmptyOperator(task_id="deploy")

with DAG("webhook_delivery_failure", schedule=[failures], start_date=pendulum.datetime(2026, 1, 1), catchup=False):
    EmptyOperator(task_id="alert")
