"""The Starlette application: Twilio's API routes, the control routes and the fault middleware."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import Response

from airflow_provider_twilio.emulator import control
from airflow_provider_twilio.emulator.http.errors import ApiError
from airflow_provider_twilio.emulator.http.routing import http_error
from airflow_provider_twilio.emulator.middleware import TwilioApiMiddleware
from airflow_provider_twilio.emulator.resources import (
    accounts,
    calls,
    incoming_phone_numbers,
    lookups,
    media,
    messages,
    recordings,
    requests,
)
from airflow_provider_twilio.emulator.state import EmulatorState


async def _api_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, ApiError)
    return requests.error_response(exc)


async def _http_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, HTTPException)
    return requests.error_response(*http_error(request, exc))


def create_app(state: EmulatorState) -> TwilioApiMiddleware:
    """The ASGI app; the middleware sits outside Starlette so it sees the server's own ``send``."""

    @asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        state.loop = asyncio.get_running_loop()
        yield
        state.loop = None

    app = Starlette(
        routes=[
            *accounts.ROUTES,
            *messages.ROUTES,
            *media.ROUTES,
            *calls.ROUTES,
            *recordings.ROUTES,
            *incoming_phone_numbers.ROUTES,
            *lookups.ROUTES,
            *control.ROUTES,
        ],
        exception_handlers={ApiError: _api_error, HTTPException: _http_error},
        lifespan=lifespan,
    )
    app.state.emulator = state
    return TwilioApiMiddleware(app, state)


def run_config_kwargs() -> dict[str, Any]:
    """uvicorn settings shared by the embedded server and the CLI."""
    return {"log_level": "warning", "access_log": False, "lifespan": "on", "timeout_graceful_shutdown": 2}
