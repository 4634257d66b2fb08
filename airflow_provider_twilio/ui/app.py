"""The view's api-server app, mounted at ``/twilio/ui``: two pages and the JSON they read.

- ``GET /runs/{dag_id}/{run_id}`` (and ``.../tasks/{task_id}/{map_index}``): the Twilio tab;
- ``GET /api/runs/{dag_id}/{run_id}``: its timeline as JSON (``task_id``, ``map_index``, ``offset``,
  ``limit`` up to ``MAX_LIMIT``), the same data for scripts;
- ``GET /dashboard`` and ``GET /api/dashboard``: the last 24 hours over the DAGs the user may read;
- ``GET /static/twilio-card.js``: the home dashboard's card, a script that reads ``/api/dashboard``.

Every route that holds data authenticates and authorizes first (``access.py``); pages hold no data,
only the run's ids, and render what the JSON holds as text. The card's script holds none at all and
is served to anyone, as Airflow serves its own UI's scripts.
"""

import html
from importlib.resources import files
from typing import Any

from fastapi import FastAPI, HTTPException, Query, Request
from fastapi.responses import HTMLResponse, Response
from starlette.concurrency import run_in_threadpool

from airflow_provider_twilio.ui import access, dashboard
from airflow_provider_twilio.ui.lists import TTL, ListCache
from airflow_provider_twilio.ui.paths import CARD_BUNDLE, URL_PREFIX
from airflow_provider_twilio.ui.service import run_timeline

__all__ = ["URL_PREFIX", "create_app"]

MAX_LIMIT = 1_000


def create_app(cache: ListCache | None = None) -> FastAPI:
    """The app; FastAPI is imported with this module, which only the api-server's plugin loading imports."""
    lists = cache or ListCache()
    app = FastAPI(title="Twilio view", docs_url=None, redoc_url=None, openapi_url=None)
    app.state.lists = lists

    @app.get("/runs/{dag_id}/{run_id}", response_class=HTMLResponse)
    async def run_page(request: Request, dag_id: str, run_id: str) -> str:
        user = await access.authenticated_user(request)
        await run_in_threadpool(access.require_dag_read, user, dag_id)  # reads the DAG's team
        return _page("run", {"dag-id": dag_id, "run-id": run_id})

    @app.get("/runs/{dag_id}/{run_id}/tasks/{task_id}/{map_index}", response_class=HTMLResponse)
    async def task_page(request: Request, dag_id: str, run_id: str, task_id: str, map_index: int) -> str:
        user = await access.authenticated_user(request)
        await run_in_threadpool(access.require_dag_read, user, dag_id)  # reads the DAG's team
        return _page("run", {"dag-id": dag_id, "run-id": run_id, "task-id": task_id, "map-index": str(map_index)})

    @app.get("/api/runs/{dag_id}/{run_id}")
    async def run_data(
        request: Request,
        dag_id: str,
        run_id: str,
        task_id: str | None = None,
        map_index: int | None = None,
        offset: int = Query(0, ge=0),
        limit: int = Query(MAX_LIMIT, ge=1, le=MAX_LIMIT),
    ) -> dict[str, Any]:
        user = await access.authenticated_user(request)
        await run_in_threadpool(access.require_dag_read, user, dag_id)  # reads the DAG's team
        data = await run_in_threadpool(run_timeline, lists, user, dag_id, run_id, task_id, map_index)
        if data is None:
            raise HTTPException(status_code=404, detail="No such DAG run")
        events = data.pop("events")
        page = events[offset : offset + limit]
        following = offset + len(page)
        return {
            **data,
            "events": page,
            "total": len(events),
            "offset": offset,
            "next_offset": following if following < len(events) else None,
            "refresh_seconds": TTL,
        }

    @app.get("/dashboard", response_class=HTMLResponse)
    async def dashboard_page(request: Request) -> str:
        await access.authenticated_user(request)
        return _page("dashboard", {})

    @app.get("/api/dashboard")
    async def dashboard_data(request: Request) -> dict[str, Any]:
        user = await access.authenticated_user(request)
        return dict(await run_in_threadpool(dashboard.summary, lists, user))

    @app.get(CARD_BUNDLE)
    async def dashboard_card() -> Response:
        # A module script must come as JavaScript; "no-cache" lets an upgraded provider's card show at once.
        headers = {"Cache-Control": "no-cache", "X-Content-Type-Options": "nosniff"}
        return Response(_asset("twilio-card.js"), media_type="text/javascript", headers=headers)

    return app


def _asset(name: str) -> str:
    return files("airflow_provider_twilio.ui").joinpath("static").joinpath(name).read_text(encoding="utf-8")


def _page(name: str, data: dict[str, str]) -> str:
    """The page's HTML with its script and style inlined, and the ids as escaped data attributes."""
    attributes = " ".join(f'data-{key}="{html.escape(value, quote=True)}"' for key, value in data.items())
    return (
        _asset(f"{name}.html")
        .replace("<!--style-->", f"<style>{_asset('view.css')}</style>")
        .replace("<!--script-->", f"<script>{_asset('common.js')}\n{_asset(f'{name}.js')}</script>")
        .replace("data-view", attributes)
    )
