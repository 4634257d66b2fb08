"""The FastAPI app the plugin mounts at ``/twilio`` on Airflow 3's api-server.

``POST /twilio/{conn_id}/sms`` (a number's "A message comes in" webhook),
``POST /twilio/{conn_id}/status`` (message status callbacks) and ``POST /twilio/{conn_id}/gather``
(the key a person pressed on a call placed with ``require_keypress``). Every request must carry
Twilio's signature for the URL Twilio called; anything else is refused before anything is recorded:

- a body over ``MAX_BODY_BYTES``: 413;
- an unknown or unusable connection, a missing or wrong signature, a body that is not a form: 403
  (the same answer for all, so it does not tell which connections exist);
- a signed gather request that names no task instance, key or call: 400.

An accepted SMS or status webhook is answered with empty TwiML, so Twilio sends no reply; a
keypress with TwiML that tells the person whether it acknowledged the alert, then hangs up.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Mapping
from datetime import datetime, timezone
from typing import Any
from urllib.parse import parse_qsl

from fastapi import FastAPI, Request
from fastapi.responses import Response

from airflow_provider_twilio.webhooks.config import WebhookConfig

log = logging.getLogger(__name__)

MAX_BODY_BYTES = 64 * 1024
"""Twilio's largest SMS webhook (1,600 characters, 10 media URLs) is well under 32 KiB percent-encoded."""
CONFIG_TTL = 10.0
"""Seconds a connection's webhook settings are reused: a rotated token is in force within this."""
EMPTY_TWIML = '<?xml version="1.0" encoding="UTF-8"?><Response/>'

INBOUND_CLASSPATH = "airflow_provider_twilio.triggers.events.TwilioInboundSmsEventTrigger"
STATUS_CLASSPATH = "airflow_provider_twilio.triggers.status_events.TwilioMessageStatusEventTrigger"


class Refused(Exception):
    def __init__(self, status: int, reason: str) -> None:
        super().__init__(reason)
        self.status = status
        self.reason = reason


class _Configs:
    """Each connection's webhook settings for ``CONFIG_TTL`` seconds (None: unknown or unusable)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._cache: dict[str, tuple[float, WebhookConfig | None]] = {}

    def get(self, conn_id: str) -> WebhookConfig | None:
        now = time.monotonic()
        with self._lock:
            cached = self._cache.get(conn_id)
        if cached is not None and now - cached[0] < CONFIG_TTL:
            return cached[1]
        config = _load(conn_id)
        with self._lock:
            if len(self._cache) > 1024:
                self._cache.clear()
            self._cache[conn_id] = (now, config)
        return config


def _load(conn_id: str) -> WebhookConfig | None:
    from airflow.exceptions import AirflowNotFoundException
    from airflow.models.connection import Connection

    from airflow_provider_twilio.exceptions import TwilioConnectionConfigError

    try:
        conn = Connection.get_connection_from_secrets(conn_id)
    except AirflowNotFoundException:
        return None
    if conn.conn_type != "twilio":
        return None
    try:
        return WebhookConfig.from_connection(conn)
    except TwilioConnectionConfigError as err:
        log.warning("Refusing webhooks for %s: %s", conn_id, err)  # the error never holds a secret
        return None


configs = _Configs()


async def _read_body(request: Request) -> bytes:
    declared = request.headers.get("content-length")
    if declared is not None and (not declared.isdigit() or int(declared) > MAX_BODY_BYTES):
        raise Refused(413, "body too large")
    chunks, size = [], 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > MAX_BODY_BYTES:
            raise Refused(413, "body too large")
        chunks.append(chunk)
    return b"".join(chunks)


def _form(body: bytes) -> Any:
    from starlette.datastructures import ImmutableMultiDict

    try:
        return ImmutableMultiDict(parse_qsl(body.decode("utf-8"), keep_blank_values=True, strict_parsing=False))
    except (UnicodeDecodeError, ValueError):
        raise Refused(403, "body is not a UTF-8 form") from None


def verify(request: Request, conn_id: str, body: bytes) -> tuple[WebhookConfig, Any]:
    """The connection's settings and the form, if the request is Twilio's for the URL it called; else Refused."""
    from airflow_provider_twilio.webhooks.signature import called_url, is_signed

    config = configs.get(conn_id)
    if config is None:
        raise Refused(403, "unknown connection")
    form = _form(body)
    url = called_url(
        config,
        scheme=request.url.scheme,
        host=request.headers.get("host", request.url.netloc),
        path=_received_path(request),
        query=request.url.query,
        headers=request.headers,
    )
    if not is_signed(config, url, form, request.headers.get("x-twilio-signature")):
        raise Refused(403, "signature missing or invalid")
    return config, form


def _received_path(request: Request) -> str:
    """The path as the api-server received it (mounting at /twilio does not change it), still percent-encoded."""
    raw = request.scope.get("raw_path")
    return raw.decode("latin-1") if raw else str(request.scope["path"])


def _inbound_events(config: WebhookConfig, form: Any) -> int:
    from airflow_provider_twilio.inbound.matching import InboundMessage
    from airflow_provider_twilio.triggers.events import TwilioInboundSmsEventTrigger
    from airflow_provider_twilio.webhooks.recording import record_events

    num_media = form.get("NumMedia") or "0"
    message = InboundMessage(
        sid=form.get("MessageSid") or form.get("SmsMessageSid") or "",
        from_=form.get("From") or "",
        to=form.get("To") or "",
        body=form.get("Body") or "",
        date_sent=datetime.now(timezone.utc),
        num_media=int(num_media) if num_media.isdigit() else 0,
    )
    if not message.sid:
        return 0

    def event_for(kwargs: dict[str, Any]) -> tuple[str, dict[str, Any]] | None:
        if kwargs.get("source") != "webhook" or kwargs.get("twilio_conn_id") != config.conn_id:
            return None
        if (kwargs.get("to") or config.default_to) != message.to:
            return None
        return TwilioInboundSmsEventTrigger(**kwargs).webhook_event(message)

    return record_events(INBOUND_CLASSPATH, event_for)


def _status_events(config: WebhookConfig, form: Any) -> int:
    from airflow_provider_twilio.triggers.status_events import TwilioMessageStatusEventTrigger
    from airflow_provider_twilio.webhooks.recording import record_events

    def event_for(kwargs: dict[str, Any]) -> tuple[str, dict[str, Any]] | None:
        if kwargs.get("twilio_conn_id") != config.conn_id:
            return None
        return TwilioMessageStatusEventTrigger(**kwargs).webhook_event(form)

    return record_events(STATUS_CLASSPATH, event_for)


Handler = Callable[[WebhookConfig, Any, Mapping[str, str]], "tuple[str, str]"]
"""Given the verified connection, form and query: what to log, and the TwiML to answer."""


def _asset_events(record: Callable[[WebhookConfig, Any], int], kind: str) -> Handler:
    """Record the webhook's events; hold it for declared watchers not registered yet (503 if it cannot be kept)."""
    from airflow_provider_twilio.webhooks import holding, upkeep

    def handle(config: WebhookConfig, form: Any, query: Mapping[str, str]) -> tuple[str, str]:
        upkeep.ensure_running()
        pending = holding.Pending(holding.Webhook.received(kind, config.conn_id, config.default_to, form))
        token = holding.current.set(pending)
        try:
            recorded = record(config, form)
        except holding.HoldingFull as full:
            raise Refused(503, str(full)) from None
        finally:
            holding.current.reset(token)
        note = f"{form.get('MessageSid')}: {recorded} new asset event(s), held for {pending.held} waiting watcher(s)"
        return note, EMPTY_TWIML

    return handle


def _keypress(config: WebhookConfig, form: Any, query: Mapping[str, str]) -> tuple[str, str]:
    from airflow_provider_twilio.voice.keypress import answer_twiml
    from airflow_provider_twilio.webhooks.keypresses import BadGather, parse, record_keypress

    try:
        keypress = parse(query, form)
    except BadGather as err:
        raise Refused(400, str(err)) from None
    recorded = record_keypress(keypress)
    outcome = {True: "recorded", False: "already recorded", None: "no such task instance"}[recorded]
    note = f"{keypress.call_sid} pressed {keypress.digits or 'nothing'} (expected {keypress.expected}): {outcome}"
    return note, answer_twiml(keypress.digits, keypress.expected, recorded is not None)


def create_app() -> FastAPI:
    from starlette.concurrency import run_in_threadpool

    from airflow_provider_twilio.webhooks import upkeep

    app = FastAPI(title="Twilio webhooks", docs_url=None, redoc_url=None, openapi_url=None)
    upkeep.ensure_running()  # also for deployments whose watchers all poll: their events are re-queued too

    async def receive(request: Request, conn_id: str, handle: Handler, kind: str) -> Response:
        try:
            body = await _read_body(request)
            config, form = await run_in_threadpool(verify, request, conn_id, body)
            note, answer = await run_in_threadpool(handle, config, form, request.query_params)
        except Refused as refused:
            log.info("Refused a %s webhook for %s (%d): %s", kind, conn_id, refused.status, refused.reason)
            return Response(status_code=refused.status)
        log.info("Accepted a %s webhook for %s: %s", kind, conn_id, note)
        return Response(content=answer, media_type="text/xml")

    @app.post("/{conn_id}/sms")
    async def inbound_sms(request: Request, conn_id: str) -> Response:
        return await receive(request, conn_id, _asset_events(_inbound_events, "sms"), "sms")

    @app.post("/{conn_id}/status")
    async def status_callback(request: Request, conn_id: str) -> Response:
        return await receive(request, conn_id, _asset_events(_status_events, "status"), "status")

    @app.post("/{conn_id}/gather")
    async def keypress(request: Request, conn_id: str) -> Response:
        return await receive(request, conn_id, _keypress, "gather")

    return app
