"""The modules DAG files import at parse time, and the libraries they must not load then.

tests/unit/test_import_cost.py checks that none of them loads a heavy library;
benchmarks/import_cost.py measures what each adds to DAG parsing.
"""

from __future__ import annotations

PUBLIC_MODULES = (
    "airflow_provider_twilio.hooks.twilio",
    "airflow_provider_twilio.operators.sms",
    "airflow_provider_twilio.sensors.sms",
    "airflow_provider_twilio.triggers.sms",
    "airflow_provider_twilio.notifications.sms",
    "airflow_provider_twilio.triggers.events",  # AssetWatcher triggers are built in DAG files
    "airflow_provider_twilio.triggers.status_events",
    "airflow_provider_twilio.operators.voice",
    "airflow_provider_twilio.sensors.voice",
    "airflow_provider_twilio.triggers.voice",
    "airflow_provider_twilio.notifications.voice",
    "airflow_provider_twilio.notifications.hitl",
    "airflow_provider_twilio.notifications.hitl_call",
    "airflow_provider_twilio.transfers.logs",
    "airflow_provider_twilio.webhooks.plugin",  # every Airflow process loads plugins
)
HEAVY = ("twilio", "requests", "aiohttp", "phonenumbers", "regex", "pyarrow")
