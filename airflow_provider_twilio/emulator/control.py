"""``/_emulator/`` endpoints: the Python API's operations for tests and demos in other processes.

JSON in, JSON out, no authentication (the emulator listens on loopback by default).
"""

from __future__ import annotations

import json
from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from airflow_provider_twilio.emulator import operations
from airflow_provider_twilio.emulator.http.errors import ApiError
from airflow_provider_twilio.emulator.http.routing import resource
from airflow_provider_twilio.emulator.resources.requests import state_of
from airflow_provider_twilio.emulator.simulation import settings


async def _json(request: Request) -> dict[str, Any]:
    raw = await request.body()
    if not raw.strip():
        return {}
    try:
        data = json.loads(raw)
    except ValueError:
        raise ApiError(400, 20001, "The request body is not JSON") from None
    if not isinstance(data, dict):
        raise ApiError(400, 20001, "The request body must be a JSON object")
    return data


def _bad(err: Exception) -> ApiError:
    return ApiError(400, 20001, str(err))


async def inbound(request: Request) -> Response:
    data = await _json(request)
    try:
        message = operations.inject_inbound(
            state_of(request),
            from_=str(data.get("from") or data.get("from_") or ""),
            to=str(data.get("to") or ""),
            body=str(data.get("body") or ""),
            media_urls=[str(url) for url in data.get("media_urls") or ()],
        )
    except (TypeError, ValueError) as err:
        raise _bad(err) from None
    return JSONResponse(message, status_code=201)


async def messages(request: Request) -> Response:
    return JSONResponse({"messages": operations.messages(state_of(request))})


async def configure(request: Request) -> Response:
    data = await _json(request)
    try:
        operations.configure(state_of(request), **data)
    except (TypeError, ValueError) as err:
        raise _bad(err) from None
    return JSONResponse(settings.current(state_of(request)))


async def get_settings(request: Request) -> Response:
    return JSONResponse(settings.current(state_of(request)))


async def add_auto_reply(request: Request) -> Response:
    data = await _json(request)
    try:
        times = data.get("times")
        state_of(request).add_auto_reply(
            to=str(data["to"]),
            body=str(data["body"]),
            delay=float(data.get("delay", 1.0)),
            times=None if times is None else int(times),
        )
    except KeyError as err:
        raise ApiError(400, 20001, f"Missing field {err.args[0]!r}") from None
    except (TypeError, ValueError) as err:
        raise _bad(err) from None
    return JSONResponse(_auto_replies(request), status_code=201)


def _auto_replies(request: Request) -> dict[str, Any]:
    rules = state_of(request).auto_replies()
    return {"auto_replies": [{"to": r.to, "body": r.body, "delay": r.delay, "times_left": r.times_left} for r in rules]}


async def list_auto_replies(request: Request) -> Response:
    return JSONResponse(_auto_replies(request))


async def reset(request: Request) -> Response:
    state_of(request).reset()
    return Response(status_code=204)


async def requests(request: Request) -> Response:
    return JSONResponse({"requests": state_of(request).request_log()})


async def clear_requests(request: Request) -> Response:
    state_of(request).clear_request_log()
    return Response(status_code=204)


async def create_api_key(request: Request) -> Response:
    sid, secret = state_of(request).create_api_key()
    return JSONResponse({"sid": sid, "secret": secret}, status_code=201)


async def rotate_auth_token(request: Request) -> Response:
    return JSONResponse({"auth_token": state_of(request).rotate_auth_token()}, status_code=201)


async def webhooks(request: Request) -> Response:
    return JSONResponse({"webhooks": state_of(request).webhook_log()})


async def add_call_behaviour(request: Request) -> Response:
    data = await _json(request)
    try:
        operations.add_call_behaviour(
            state_of(request),
            to=str(data["to"]),
            answer=str(data.get("answer", "human")),
            digits=None if data.get("digits") is None else str(data["digits"]),
            after=float(data.get("after", 0.1)),
            talk=None if data.get("talk") is None else float(data["talk"]),
        )
    except KeyError as err:
        raise ApiError(400, 20001, f"Missing field {err.args[0]!r}") from None
    except (TypeError, ValueError) as err:
        raise _bad(err) from None
    return Response(status_code=204)


async def calls(request: Request) -> Response:
    return JSONResponse({"calls": operations.calls(state_of(request))})


async def seed(request: Request) -> Response:
    """``{"messages": [...]}``, ``{"calls": [...]}`` or ``{"recordings": [...]}``: history stored in one request."""
    kind = request.path_params["kind"]
    seeders = {
        "messages": operations.seed_messages,
        "calls": operations.seed_calls,
        "recordings": operations.seed_recordings,
    }
    if kind not in seeders:
        raise ApiError(404, 20404, f"Nothing to seed called {kind!r}; use messages, calls or recordings")
    data = await _json(request)
    try:
        count = seeders[kind](state_of(request), data.get(kind))
    except (TypeError, ValueError) as err:
        raise _bad(err) from None
    return JSONResponse({"seeded": count}, status_code=201)


async def message_status(request: Request) -> Response:
    data = await _json(request)
    try:
        message = operations.set_message_status(
            state_of(request), request.path_params["sid"], str(data.get("status")), data.get("error_code")
        )
    except KeyError:
        raise ApiError(404, 20404, f"No message {request.path_params['sid']}") from None
    except (TypeError, ValueError) as err:
        raise _bad(err) from None
    return JSONResponse(message)


ROUTES = [
    resource("/_emulator/seed/{kind}", POST=seed),
    resource("/_emulator/messages/{sid}/status", POST=message_status),
    resource("/_emulator/inbound", POST=inbound),
    resource("/_emulator/messages", GET=messages),
    resource("/_emulator/configure", GET=get_settings, POST=configure),
    resource("/_emulator/auto_replies", GET=list_auto_replies, POST=add_auto_reply),
    resource("/_emulator/reset", POST=reset),
    resource("/_emulator/requests", GET=requests, DELETE=clear_requests),
    resource("/_emulator/api_keys", POST=create_api_key),
    resource("/_emulator/auth_token", POST=rotate_auth_token),
    resource("/_emulator/webhooks", GET=webhooks),
    resource("/_emulator/call_behaviours", POST=add_call_behaviour),
    resource("/_emulator/calls", GET=calls),
]
