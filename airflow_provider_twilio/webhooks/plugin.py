"""The Airflow plugin that mounts the webhook receiver at ``/twilio`` on Airflow 3's api-server.

Every Airflow process loads plugins (scheduler, triggerer, each task), but only the api-server mounts
FastAPI apps: the app is built (and FastAPI imported) the first time the api-server asks for it. On
Airflow 2 (no FastAPI plugins) and 3.0-3.2 (no asset state store) it registers with nothing to mount.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from functools import cached_property
from typing import Any, overload

from airflow.plugins_manager import AirflowPlugin

from airflow_provider_twilio.webhook_paths import URL_PREFIX

__all__ = ["URL_PREFIX", "TwilioWebhooksPlugin"]


class _ReceiverApps(Sequence[dict[str, Any]]):
    """``fastapi_apps`` whose one entry is created on first access."""

    @cached_property
    def _apps(self) -> list[dict[str, Any]]:
        from airflow_provider_twilio.capabilities import webhooks_supported

        if not webhooks_supported():
            return []
        from airflow_provider_twilio.webhooks.receiver import create_app

        return [{"app": create_app(), "url_prefix": URL_PREFIX, "name": "Twilio webhooks"}]

    @overload
    def __getitem__(self, index: int) -> dict[str, Any]: ...
    @overload
    def __getitem__(self, index: slice) -> Sequence[dict[str, Any]]: ...
    def __getitem__(self, index: int | slice) -> Any:
        return self._apps[index]

    def __len__(self) -> int:
        return len(self._apps)

    def __iter__(self) -> Iterator[dict[str, Any]]:
        return iter(self._apps)


class TwilioWebhooksPlugin(AirflowPlugin):
    """Receives Twilio's signed webhooks: ``POST /twilio/<conn_id>/sms``, ``/status`` and ``/gather``."""

    name = "twilio_webhooks"
    fastapi_apps = _ReceiverApps()  # type: ignore[assignment]
