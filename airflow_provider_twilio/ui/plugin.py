"""The Airflow plugin that adds the Twilio view: tabs on DAG runs and task instances, and a page.

Airflow 3.1+ shows plugin views in its UI (``external_views``). On Airflow 2.11 and 3.0 the plugin
registers nothing: no app, no views. The app is built (and FastAPI imported) only when the api-server
asks for it; other processes that load plugins only read the view descriptions.

Its routes live under ``/twilio/ui``, inside the webhook receiver's ``/twilio``: Airflow mounts plugin
apps in the order it loads them, so this plugin's entry point comes first (``pyproject.toml``).
"""

from __future__ import annotations

from functools import cache
from typing import Any

from airflow.plugins_manager import AirflowPlugin

from airflow_provider_twilio.plugin_apps import LazyApps
from airflow_provider_twilio.ui.paths import DASHBOARD_ROUTE, RUN_ROUTE, TASK_ROUTE, URL_PREFIX

UI_NEEDS = "The Twilio view needs Airflow 3.1 or later (plugin views in the UI)"


@cache
def ui_supported() -> bool:
    from airflow import __version__
    from packaging.version import Version

    return Version(Version(__version__).base_version) >= Version("3.1")


def external_views() -> list[dict[str, Any]]:
    if not ui_supported():
        return []
    return [
        {
            "name": "Twilio",
            "href": URL_PREFIX + "/runs/{DAG_ID}/{RUN_ID}",
            "url_route": RUN_ROUTE,
            "destination": "dag_run",
        },
        {
            "name": "Twilio",
            "href": URL_PREFIX + "/runs/{DAG_ID}/{RUN_ID}/tasks/{TASK_ID}/{MAP_INDEX}",
            "url_route": TASK_ROUTE,
            "destination": "task_instance",
        },
        {
            "name": "Twilio (24 h)",
            "href": URL_PREFIX + "/dashboard",
            "url_route": DASHBOARD_ROUTE,
            "destination": "nav",
            "category": "browse",
        },
    ]


def _view_apps() -> list[dict[str, Any]]:
    if not ui_supported():
        return []
    from airflow_provider_twilio.ui.app import create_app

    return [{"app": create_app(), "url_prefix": URL_PREFIX, "name": "Twilio view"}]


class TwilioUiPlugin(AirflowPlugin):
    """The Twilio tab on DAG runs and task instances, and the 24-hour page (Airflow 3.1+)."""

    name = "twilio_ui"
    fastapi_apps = LazyApps(_view_apps)  # type: ignore[assignment]
    external_views = external_views()
