"""The Airflow plugin that adds the Twilio view: tabs on DAG runs and task instances, a page, and a card.

Airflow 3.1+ shows plugin views in its UI (``external_views``) and React apps (``react_apps``), the
only kind its home dashboard takes: the card is one, a plain script the app serves. On Airflow 2.11
and 3.0 the plugin registers nothing: no app, no views, no card. The app is built (and FastAPI
imported) only when the api-server asks for it; other processes that load plugins only read the view
descriptions.

Its routes live under ``/twilio/ui``, inside the webhook receiver's ``/twilio``: Airflow mounts plugin
apps in the order it loads them, so this plugin's entry point comes first (``pyproject.toml``).
"""

from __future__ import annotations

from functools import cache
from typing import Any

from airflow.plugins_manager import AirflowPlugin

from airflow_provider_twilio.plugin_apps import LazyApps
from airflow_provider_twilio.ui.paths import CARD_BUNDLE, DASHBOARD_ROUTE, RUN_ROUTE, TASK_ROUTE, URL_PREFIX

CARD_NAME = "Twilio (24 h)"  # also the global the card's script registers itself under
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


def react_apps() -> list[dict[str, Any]]:
    """The home dashboard's card: Airflow imports the script and renders what it registers under the name."""
    if not ui_supported():
        return []
    return [{"name": CARD_NAME, "bundle_url": URL_PREFIX + CARD_BUNDLE, "destination": "dashboard"}]


def _view_apps() -> list[dict[str, Any]]:
    if not ui_supported():
        return []
    from airflow_provider_twilio.ui.app import create_app

    return [{"app": create_app(), "url_prefix": URL_PREFIX, "name": "Twilio view"}]


class TwilioUiPlugin(AirflowPlugin):
    """The Twilio tab on DAG runs and task instances, the 24-hour page and its card on the home dashboard (3.1+)."""

    name = "twilio_ui"
    fastapi_apps = LazyApps(_view_apps)  # type: ignore[assignment]
    external_views = external_views()
    react_apps = react_apps()
