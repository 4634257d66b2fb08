"""Airflow's own api-server app with the Twilio view mounted as the plugin mounts it, and users' tokens.

The app is Airflow's (``airflow.api_fastapi.app.create_app``) with its configured auth manager (the
simple auth manager); tokens are signed by that auth manager for a user of a given role, as
``POST /auth/token`` would sign them after a login.
"""

from __future__ import annotations

from typing import Any


def api_server_app(cache: Any = None) -> Any:
    """Airflow's api-server app, the view's app mounted first at ``/twilio/ui`` (as the plugin's entry point is)."""
    from airflow.api_fastapi.app import create_app
    from starlette.routing import Mount

    from airflow_provider_twilio.ui.app import URL_PREFIX
    from airflow_provider_twilio.ui.app import create_app as create_view

    app = create_app("core")
    app.router.routes.insert(0, Mount(URL_PREFIX, app=create_view(cache)))
    return app


def token_for(username: str, role: str | None) -> str:
    from airflow.api_fastapi.app import get_auth_manager
    from airflow.api_fastapi.auth.managers.simple.user import SimpleAuthManagerUser

    return str(get_auth_manager().generate_jwt(SimpleAuthManagerUser(username=username, role=role)))


def bearer(username: str, role: str | None) -> dict[str, str]:
    return {"Authorization": f"Bearer {token_for(username, role)}"}
