"""Twilio webhooks received by Airflow 3's api-server: the provider's plugin (see docs/webhooks.md)."""

from __future__ import annotations

# Defined below the Airflow-facing packages, so triggers and voice can ask without importing this package.
from airflow_provider_twilio.capabilities import WEBHOOKS_NEED as NEEDS
from airflow_provider_twilio.capabilities import webhooks_supported

__all__ = ["NEEDS", "webhooks_supported"]
