"""Where the view lives: its app's prefix on the api-server and its routes in Airflow's UI."""

from __future__ import annotations

from urllib.parse import quote

URL_PREFIX = "/twilio/ui"
RUN_ROUTE, TASK_ROUTE, DASHBOARD_ROUTE = "twilio-run", "twilio-task", "twilio-dashboard"
CARD_BUNDLE = "/static/twilio-card.js"  # the home dashboard's card, under the app's prefix


def tab_href(dag_id: str, run_id: str) -> str:
    """A run's Twilio tab in Airflow's UI."""
    return f"/dags/{quote(dag_id, safe='')}/runs/{quote(run_id, safe='')}/plugin/{RUN_ROUTE}"
