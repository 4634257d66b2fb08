"""Helpers shared by the API routes: the account check, form parsing and Twilio-style answers."""

from __future__ import annotations

import asyncio
import contextlib
from typing import Any
from urllib.parse import parse_qsl

from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from airflow_provider_twilio.emulator.http.errors import ApiError, bad_request, internal_error, not_found
from airflow_provider_twilio.emulator.http.routing import DROP_CONNECTION
from airflow_provider_twilio.emulator.model.message_rules import Form
from airflow_provider_twilio.emulator.model.message_store import Message
from airflow_provider_twilio.emulator.state import EmulatorState


def state_of(request: Request) -> EmulatorState:
    return request.app.state.emulator  # type: ignore[no-any-return]


def error_response(error: ApiError, headers: dict[str, str] | None = None) -> JSONResponse:
    if error.status == 401:
        headers = {**(headers or {}), "WWW-Authenticate": 'Basic realm="Twilio API"'}
    return JSONResponse(error.body(), status_code=error.status, headers=headers)


def account_of(request: Request) -> EmulatorState:
    state = state_of(request)
    if request.path_params["account_sid"] != state.account_sid:
        raise not_found(request.url.path)
    return state


def message_of(request: Request) -> tuple[EmulatorState, Message]:
    """The account's message named by the ``sid`` path parameter; 404 if there is none."""
    state = account_of(request)
    message = state.store.get(request.path_params["sid"])
    if message is None:
        raise not_found(request.url.path)
    return state, message


async def read_form(request: Request) -> Form:
    body = await request.body()
    try:
        text = body.decode("utf-8")
    except UnicodeDecodeError:
        raise bad_request(20001, "The request body is not UTF-8: send form fields as UTF-8, percent-encoded.") from None
    return Form(parse_qsl(text, keep_blank_values=True))


def answer_created(request: Request, state: EmulatorState, resource: dict[str, Any]) -> Response:
    """``201``, unless ``fail_after_commit`` turns it into a 500 or a dropped connection."""
    fault = state.faults.fails_after_commit()
    if fault == "500":
        raise internal_error()
    if fault == "drop":
        request.scope[DROP_CONNECTION] = True
    return JSONResponse(resource, status_code=201)


async def never_answer(request: Request, wait: float) -> Response:
    """Hold the request unanswered until the client hangs up, or for ``wait`` seconds and then drop it.

    For ``late_commit``: the client sees a timeout (or, if it waits longer, a dropped connection).
    """

    async def client_gone() -> None:
        while (await request.receive())["type"] != "http.disconnect":
            pass

    with contextlib.suppress(asyncio.TimeoutError):
        await asyncio.wait_for(client_gone(), wait)
    request.scope[DROP_CONNECTION] = True
    return Response(status_code=500)  # never sent: the connection is dropped instead
