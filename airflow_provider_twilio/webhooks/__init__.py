"""Twilio webhooks received by Airflow 3's api-server: the provider's plugin (see docs/webhooks.md)."""
