"""Apache Airflow provider for Twilio: messages, calls, replies, status and webhooks from DAGs."""

from __future__ import annotations

from typing import Any

__version__ = "0.1.0"


def get_provider_info() -> dict[str, Any]:
    """What Airflow's ProvidersManager reads through the ``apache_airflow_provider`` entry point."""
    from airflow_provider_twilio.connection_form import CONN_FIELDS, UI_FIELD_BEHAVIOUR

    return {
        "package-name": "airflow-provider-twilio",
        "name": "Twilio",
        "description": (
            "Send SMS, MMS and WhatsApp messages and place voice calls that escalate until someone answers or "
            "acknowledges with a keypress; wait for replies and for message delivery and call status; start "
            "DAGs from inbound texts and status callbacks (asset watchers); receive Twilio's signed webhooks "
            "on Airflow 3's api-server; and test it all offline against a Twilio emulator."
        ),
        "versions": [__version__],
        "integrations": [
            {
                "integration-name": "Twilio",
                "external-doc-url": "https://www.twilio.com/docs/messaging/api",
                "tags": ["service"],
            }
        ],
        "hooks": [{"integration-name": "Twilio", "python-modules": ["airflow_provider_twilio.hooks.twilio"]}],
        "operators": [
            {
                "integration-name": "Twilio",
                "python-modules": ["airflow_provider_twilio.operators.sms", "airflow_provider_twilio.operators.voice"],
            }
        ],
        "transfers": [
            {
                "source-integration-name": "Twilio",
                "target-integration-name": "Common IO",
                "python-module": "airflow_provider_twilio.transfers.logs",
            }
        ],
        "sensors": [
            {
                "integration-name": "Twilio",
                "python-modules": ["airflow_provider_twilio.sensors.sms", "airflow_provider_twilio.sensors.voice"],
            }
        ],
        "triggers": [
            {
                "integration-name": "Twilio",
                "python-modules": [
                    "airflow_provider_twilio.triggers.events",
                    "airflow_provider_twilio.triggers.sms",
                    "airflow_provider_twilio.triggers.status_events",
                    "airflow_provider_twilio.triggers.voice",
                ],
            }
        ],
        "notifications": [
            "airflow_provider_twilio.notifications.sms.TwilioSmsNotifier",
            "airflow_provider_twilio.notifications.voice.TwilioCallNotifier",
            "airflow_provider_twilio.notifications.hitl.TwilioHITLNotifier",
            "airflow_provider_twilio.notifications.hitl_call.TwilioHITLCallNotifier",
        ],
        "plugins": [
            {"name": "twilio_webhooks", "plugin-class": "airflow_provider_twilio.webhooks.plugin.TwilioWebhooksPlugin"}
        ],
        "extra-links": ["airflow_provider_twilio.operators.sms.TwilioConsoleMessagesLink"],
        "connection-types": [
            {
                "hook-class-name": "airflow_provider_twilio.hooks.twilio.TwilioHook",
                "hook-name": "Twilio",
                "connection-type": "twilio",
                "conn-fields": CONN_FIELDS,
                "ui-field-behaviour": UI_FIELD_BEHAVIOUR,
            }
        ],
    }
