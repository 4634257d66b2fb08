"""Who may read the view: Airflow's auth manager decides, as for Airflow's own API.

Airflow mounts plugin apps without authentication, so every route here resolves the user itself:
the JWT from ``Authorization: Bearer`` or the UI's ``_token`` cookie (401 without a valid one), then
``is_authorized_dag`` for reading the DAG's runs (403 otherwise). Numbers are shown in full only to a
user who may edit the Twilio connections the run used (who could read them there anyway).
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

BEARER = "bearer "


def _token(request: Any) -> str | None:
    from airflow.api_fastapi.auth.managers.base_auth_manager import COOKIE_NAME_JWT_TOKEN

    header = request.headers.get("authorization", "")
    if header[: len(BEARER)].lower() == BEARER:
        return str(header[len(BEARER) :].strip()) or None
    cookie = request.cookies.get(COOKIE_NAME_JWT_TOKEN)
    return str(cookie) if cookie else None


async def authenticated_user(request: Any) -> Any:
    """The Airflow user behind the request; 401 when there is none."""
    from airflow.api_fastapi.app import get_auth_manager
    from fastapi import HTTPException

    token = _token(request)
    if token is None:
        raise HTTPException(status_code=401, detail="Not authenticated")
    try:
        return await get_auth_manager().get_user_from_token(token)
    except Exception:  # expired, badly signed, revoked: all the same to the caller
        raise HTTPException(status_code=401, detail="Invalid or expired token") from None


def _dag_details(dag_id: str) -> Any:
    from airflow.api_fastapi.auth.managers.models.resource_details import DagDetails
    from airflow.models.dag import DagModel

    team_name = DagModel.get_team_name(dag_id) if hasattr(DagModel, "get_team_name") else None
    return DagDetails(id=dag_id, team_name=team_name)


def require_dag_read(user: Any, dag_id: str) -> None:
    """403 unless the user may read the DAG's runs and their XComs."""
    from airflow.api_fastapi.app import get_auth_manager
    from airflow.api_fastapi.auth.managers.models.resource_details import DagAccessEntity
    from fastapi import HTTPException

    manager = get_auth_manager()
    details = _dag_details(dag_id)
    for entity in (DagAccessEntity.RUN, DagAccessEntity.XCOM):
        if not manager.is_authorized_dag(method="GET", access_entity=entity, details=details, user=user):
            raise HTTPException(status_code=403, detail="Forbidden")


def readable_dag_ids(user: Any) -> set[str]:
    from airflow.api_fastapi.app import get_auth_manager

    return set(get_auth_manager().get_authorized_dag_ids(user=user, method="GET"))


def may_see_numbers(user: Any, conn_ids: Iterable[str]) -> bool:
    """True when the user may edit every one of these connections."""
    from airflow.api_fastapi.app import get_auth_manager
    from airflow.api_fastapi.auth.managers.models.resource_details import ConnectionDetails

    manager = get_auth_manager()
    return all(
        manager.is_authorized_connection(method="PUT", details=ConnectionDetails(conn_id=conn_id), user=user)
        for conn_id in set(conn_ids) or {"twilio_default"}
    )
