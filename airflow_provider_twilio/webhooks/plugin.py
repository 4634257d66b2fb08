"""The Airflow plugin that mounts the webhook receiver at ``/twilio`` on Airflow 3's api-server.

Every Airflow process loads plugins (scheduler, triggerer, each task), but only the api-server mounts
FastAPI apps: the apps are built (and FastAPI imported) the first time the api-server asks for them.
The receiver needs Airflow 3.3+ (the asset state store); on 3.1+ (human-in-the-loop) the plugin also
mounts the inbox poller of the pull path (``answers/inbox.py``), an app with no routes whose lifespan
polls. On Airflow 2 (no FastAPI plugins) and 3.0 it registers with nothing to mount.
"""

from __future__ import annotations

from typing import Any

from airflow.plugins_manager import AirflowPlugin

from airflow_provider_twilio.plugin_apps import LazyApps
from airflow_provider_twilio.webhook_paths import URL_PREFIX

__all__ = ["URL_PREFIX", "TwilioWebhooksPlugin"]


def _hitl_supported() -> bool:
    """Airflow 3.1+: human-in-the-loop requests exist to be answered."""
    from importlib.util import find_spec

    try:
        return find_spec("airflow.models.hitl") is not None
    except ModuleNotFoundError:
        return False


def _receiver_apps() -> list[dict[str, Any]]:
    from airflow_provider_twilio.capabilities import webhooks_supported

    apps = []
    if _hitl_supported():
        from airflow_provider_twilio.answers import inbox

        apps.append({"app": inbox.create_app(), "url_prefix": inbox.URL_PREFIX, "name": "Twilio HITL inbox"})
    if webhooks_supported():
        from airflow_provider_twilio.webhooks.receiver import create_app

        apps.append({"app": create_app(), "url_prefix": URL_PREFIX, "name": "Twilio webhooks"})
    return apps


class TwilioWebhooksPlugin(AirflowPlugin):
    """Receives Twilio's signed webhooks: ``POST /twilio/<conn_id>/sms``, ``/status`` and ``/gather``."""

    name = "twilio_webhooks"
    fastapi_apps = LazyApps(_receiver_apps)  # type: ignore[assignment]
