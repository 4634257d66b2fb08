"""One route per path, dispatching on the method, and Twilio-shaped answers for Starlette's own 404 and 405.

With one route per path, a method the path lacks gets ``405`` whose ``Allow`` lists every method the
path has (separate routes per method would each answer for themselves).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from airflow_provider_twilio.emulator.http.errors import ApiError, not_found

Endpoint = Callable[[Request], Awaitable[Response]]

DROP_CONNECTION = "twilio_emulator.drop_connection"
"""Scope key a route sets to have the connection closed instead of answered (the middleware does it)."""


def resource(path: str, **endpoints: Endpoint) -> Route:
    """``resource(path, GET=list_things, POST=create_thing)``; HEAD is answered like GET."""

    async def dispatch(request: Request) -> Response:
        method = "GET" if request.method == "HEAD" else request.method
        return await endpoints[method](request)

    return Route(path, dispatch, methods=list(endpoints))


def http_error(request: Request, exc: HTTPException) -> tuple[ApiError, dict[str, str] | None]:
    """Starlette's routing errors as Twilio errors: 404 (20404) and 405 (20004) with a sorted ``Allow``."""
    if exc.status_code == 404:
        return not_found(request.url.path), None
    if exc.status_code == 405:
        allowed = sorted(method.strip() for method in (exc.headers or {}).get("Allow", "").split(",") if method.strip())
        allow = ", ".join(allowed)
        message = f"Method {request.method} is not allowed on {request.url.path}; it accepts {allow}."
        return ApiError(405, 20004, message), {"Allow": allow}
    return ApiError(exc.status_code, 20001, str(exc.detail)), None
