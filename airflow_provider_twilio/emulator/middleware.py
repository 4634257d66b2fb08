"""ASGI middleware for the Twilio API paths: request log, latency, faults and authentication."""

from __future__ import annotations

import asyncio
import base64
import json
import logging
import time
from typing import Any

from starlette.requests import ClientDisconnect

from airflow_provider_twilio.emulator.http.errors import ApiError, internal_error, too_many_requests, unauthorized
from airflow_provider_twilio.emulator.http.routing import DROP_CONNECTION
from airflow_provider_twilio.emulator.state import EmulatorState

log = logging.getLogger(__name__)

API_PREFIXES = ("/2010-04-01/", "/v2/")
"""The REST API (api.twilio.com) and Lookup v2 (lookups.twilio.com), both served on the emulator's one host."""
WRITE_METHODS = frozenset({"POST", "DELETE"})
"""Only writes commit something, so only they fail "before" or "after commit"."""

Scope = dict[str, Any]
Message = dict[str, Any]


def error_response_parts(error: ApiError) -> tuple[int, list[tuple[bytes, bytes]], bytes]:
    body = json.dumps(error.body(), separators=(",", ":")).encode()
    headers = [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode())]
    if error.status == 401:
        headers.append((b"www-authenticate", b'Basic realm="Twilio API"'))
    return error.status, headers, body


def _credentials(scope: Scope) -> tuple[str, str] | None:
    for name, value in scope.get("headers", ()):
        if name == b"authorization":
            scheme, _, encoded = value.decode("latin-1").partition(" ")
            if scheme.lower() != "basic":
                return None
            try:
                username, _, password = base64.b64decode(encoded.strip()).decode().partition(":")
            except ValueError:  # bad base64 (binascii.Error), non-ASCII header text, or not UTF-8 credentials
                return None
            return username, password
    return None


class TwilioApiMiddleware:
    """Wraps the Starlette app; only API requests (``API_PREFIXES``) are authenticated, logged, delayed and faulted."""

    def __init__(self, app: Any, state: EmulatorState) -> None:
        self.app = app
        self.state = state

    async def __call__(self, scope: Scope, receive: Any, send: Any) -> None:
        if scope["type"] != "http" or not scope["path"].startswith(API_PREFIXES):
            await self.app(scope, receive, send)
            return
        state = self.state
        record = {
            "method": scope["method"],
            "path": scope["path"],
            "query": scope.get("query_string", b"").decode("latin-1"),
            "status": 0,
            "response_bytes": 0,
            "time": time.time(),
        }

        logged = False

        def log_once() -> None:
            # Logged before the last byte goes out, so a client that has its answer finds it logged.
            nonlocal logged
            if not logged:
                logged = True
                state.log_request(record)

        async def logged_send(message: Message) -> None:
            if record.get("dropped"):
                return
            if message["type"] == "http.response.start":
                if scope.get(DROP_CONNECTION):
                    record["dropped"] = True
                    log_once()
                    await _drop(send)
                    return
                record["status"] = message["status"]
            elif message["type"] == "http.response.body":
                record["response_bytes"] += len(message.get("body", b""))
                if not message.get("more_body", False):
                    log_once()
            await send(message)

        try:
            await self._handle(scope, receive, logged_send)
        finally:
            log_once()

    async def _handle(self, scope: Scope, receive: Any, send: Any) -> None:
        faults = self.state.faults
        latency = faults.settings.latency
        if not faults.enter():
            if latency:
                await asyncio.sleep(latency)
            await _send_error(send, too_many_requests())
            return
        try:
            if latency:
                await asyncio.sleep(latency)
            if faults.throttled():
                await _send_error(send, too_many_requests())
                return
            credentials = _credentials(scope)
            if credentials is None or not self.state.authenticates(*credentials):
                await _send_error(send, unauthorized())
                return
            if scope["method"] in WRITE_METHODS and faults.fails_before_commit():
                await _send_error(send, internal_error())
                return
            await self.app(scope, receive, send)
        except ClientDisconnect:
            # Expected when a client times out during configured latency: one line, not a traceback.
            log.warning("%s %s: the client hung up before it was answered", scope["method"], scope["path"])
        finally:
            faults.leave()


async def _send_error(send: Any, error: ApiError) -> None:
    status, headers, body = error_response_parts(error)
    await send({"type": "http.response.start", "status": status, "headers": headers})
    await send({"type": "http.response.body", "body": body})


async def _drop(send: Any) -> None:
    """Close the connection without an answer, as a network failure after the commit would."""
    cycle = getattr(send, "__self__", None)
    transport = getattr(cycle, "transport", None)
    if transport is not None:
        transport.abort()
        # Let the server notice the lost connection, so it does not try to answer on it.
        for _ in range(10):
            if getattr(cycle, "disconnected", True):
                break
            await asyncio.sleep(0)
        return
    # The server hides its transport: start a response and fail mid-way, which truncates it.
    await send({"type": "http.response.start", "status": 200, "headers": [(b"content-length", b"100")]})
    raise RuntimeError("connection dropped by fault injection")
