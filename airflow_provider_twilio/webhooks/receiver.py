"""The FastAPI app the plugin mounts at ``/twilio`` on Airflow 3's api-server.

``POST /twilio/{conn_id}/sms`` (a number's "A message comes in" webhook),
``POST /twilio/{conn_id}/status`` (message status callbacks), ``POST /twilio/{conn_id}/gather``
(the key a person pressed on a call placed with ``require_keypress``) and ``POST /twilio/{conn_id}/choice``
(the option chosen by key on a human-in-the-loop call). Every request must carry
Twilio's signature for the URL Twilio called; anything else is refused before anything is recorded:

- a body over ``MAX_BODY_BYTES``: 413;
- no ``X-Twilio-Signature``: 403, before the connection is looked up;
- an unknown or unusable connection, a wrong signature, a body that is not a form: 403 (the same
  answer for all, so it does not tell which connections exist; see ``connections.py`` for what a
  lookup costs);
- a signed SMS or status form that is not exactly Twilio's, or another split of a message already
  received (``forms.py``, ``deliveries.py``): 400;
- a signed gather request that names no task instance, key or call: 400.

An accepted SMS is then offered to Airflow's human-in-the-loop requests waiting for an answer by text
(``webhooks/hitl.py``, ``answers/``).

An accepted SMS or status webhook is answered with empty TwiML, so Twilio sends no reply; a
keypress with TwiML that tells the person whether it acknowledged the alert, then hangs up.
"""

from __future__ import annotations

import logging
import re
from collections.abc import AsyncIterator, Callable, Mapping
from contextlib import asynccontextmanager
from datetime import datetime, timezone
from functools import partial
from typing import Any
from urllib.parse import parse_qsl

from fastapi import FastAPI, Request
from fastapi.responses import Response

from airflow_provider_twilio.webhooks.config import WebhookConfig
from airflow_provider_twilio.webhooks.connections import settings

log = logging.getLogger(__name__)

MAX_BODY_BYTES = 64 * 1024
"""Twilio's largest SMS webhook (1,600 characters, 10 media URLs) is well under 32 KiB percent-encoded."""
MAX_CONN_ID = 250
"""Airflow's own limit on a connection id: a longer one is refused before any lookup."""
CONTENT_LENGTH = re.compile(r"[0-9]{1,12}")
IDEMPOTENCY_TOKEN = "i-twilio-idempotency-token"
EMPTY_TWIML = '<?xml version="1.0" encoding="UTF-8"?><Response/>'

INBOUND_CLASSPATH = "airflow_provider_twilio.triggers.events.TwilioInboundSmsEventTrigger"
STATUS_CLASSPATH = "airflow_provider_twilio.triggers.status_events.TwilioMessageStatusEventTrigger"


class Refused(Exception):
    def __init__(self, status: int, reason: str) -> None:
        super().__init__(reason)
        self.status = status
        self.reason = reason


async def _read_body(request: Request) -> bytes:
    declared = request.headers.get("content-length")
    if declared is not None and (not CONTENT_LENGTH.fullmatch(declared) or int(declared) > MAX_BODY_BYTES):
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

    signature = request.headers.get("x-twilio-signature")
    if not signature or len(conn_id) > MAX_CONN_ID:
        raise Refused(403, "signature missing" if not signature else "unknown connection")
    config = settings.get(conn_id)
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
    if not is_signed(config, url, form, signature):
        raise Refused(403, "signature missing or invalid")
    return config, form


def _received_path(request: Request) -> str:
    """The path as the api-server received it (mounting at /twilio does not change it), still percent-encoded."""
    raw = request.scope.get("raw_path")
    return raw.decode("latin-1") if raw else str(request.scope["path"])


def _inbound_events(config: WebhookConfig, form: Any, token: str | None = None) -> int:
    from airflow_provider_twilio.inbound.matching import InboundMessage
    from airflow_provider_twilio.triggers.events import TwilioInboundSmsEventTrigger
    from airflow_provider_twilio.webhooks.forms import BadForm, inbound_form

    try:
        text = inbound_form(form, config.account_sid)
    except BadForm as err:
        raise Refused(400, str(err)) from None
    message = InboundMessage(
        sid=text.sid,
        from_=text.from_,
        to=text.to,
        body=text.body,
        date_sent=datetime.now(timezone.utc),
        num_media=text.num_media,
    )

    def watches(kwargs: dict[str, Any]) -> bool:
        """Whether a watcher takes this connection's texts by webhook (to any of its numbers)."""
        return kwargs.get("source") == "webhook" and kwargs.get("twilio_conn_id") == config.conn_id

    def event_for(kwargs: dict[str, Any]) -> tuple[str, dict[str, Any]] | None:
        if not watches(kwargs) or (kwargs.get("to") or config.default_to) != message.to:
            return None
        return TwilioInboundSmsEventTrigger(**kwargs).webhook_event(message)

    return _record_once(INBOUND_CLASSPATH, watches, event_for, f"sms:{text.sid}", form, token)


def _status_events(config: WebhookConfig, form: Any, token: str | None = None) -> int:
    from airflow_provider_twilio.triggers.status_events import TwilioMessageStatusEventTrigger
    from airflow_provider_twilio.webhooks.forms import BadForm, status_form

    try:
        status = status_form(form, config.account_sid)
    except BadForm as err:
        raise Refused(400, str(err)) from None

    def watches(kwargs: dict[str, Any]) -> bool:
        return kwargs.get("twilio_conn_id") == config.conn_id

    def event_for(kwargs: dict[str, Any]) -> tuple[str, dict[str, Any]] | None:
        return TwilioMessageStatusEventTrigger(**kwargs).webhook_event(form) if watches(kwargs) else None

    return _record_once(STATUS_CLASSPATH, watches, event_for, f"status:{status.sid}:{status.status}", form, token)


def _record_once(
    classpath: str,
    watches: Callable[[dict[str, Any]], bool],
    event_for: Callable[[dict[str, Any]], tuple[str, dict[str, Any]] | None],
    key: str,
    form: Any,
    token: str | None,
) -> int:
    """Record a well-formed webhook unless it is a redelivery this worker recorded, or a re-cut (400)."""
    from airflow_provider_twilio.webhooks.deliveries import ReCut, hold_to_first_split, recent
    from airflow_provider_twilio.webhooks.forms import split_digest
    from airflow_provider_twilio.webhooks.recording import record_events

    digest = split_digest(form)
    if recent.seen(token, digest):
        return 0
    try:
        recorded = record_events(classpath, event_for, first_split=hold_to_first_split(classpath, watches, key, digest))
    except ReCut:
        raise Refused(400, "an earlier delivery of this message had other parameters") from None
    recent.add(token, digest)
    return recorded


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


def _and_hitl_answers(handle: Handler) -> Handler:
    """Then offer the text to Airflow's HITL requests that wait for an answer by text (``webhooks/hitl.py``)."""
    from airflow_provider_twilio.webhooks.hitl import offer_text

    def handle_and_answer(config: WebhookConfig, form: Any, query: Mapping[str, str]) -> tuple[str, str]:
        note, answer = handle(config, form, query)
        return f"{note}; as a HITL answer: {offer_text(config, form)}", answer

    return handle_and_answer


def _keypress(config: WebhookConfig, form: Any, query: Mapping[str, str]) -> tuple[str, str]:
    """Record the key if the call is one the named task instance placed and still waits on (see keypresses.py).

    Every refusal past the request's own shape gets the same "could not be recorded" TwiML whatever the
    reason, so the answer tells nothing about which DAGs, runs or tasks exist.
    """
    from airflow_provider_twilio.voice.keypress import UNRECORDED_TWIML, answer_twiml
    from airflow_provider_twilio.webhooks.keypresses import BadGather, Outcome, parse, record_keypress

    try:
        keypress = parse(query, form)
    except BadGather as err:
        raise Refused(400, str(err)) from None
    outcome, why = record_keypress(keypress, config.conn_id)
    pressed = f"{keypress.call_sid} pressed {keypress.digits or 'nothing'} (expected {keypress.expected})"
    if outcome is Outcome.REFUSED:
        return f"{pressed}: nothing recorded, {why}", UNRECORDED_TWIML
    return f"{pressed}: {outcome.value}", answer_twiml(keypress.digits, keypress.expected, True)


def _choice(config: WebhookConfig, form: Any, query: Mapping[str, str]) -> tuple[str, str]:
    """A key pressed on a human-in-the-loop call (see hitl_keypress.py); the same refusals as a keypress."""
    from airflow_provider_twilio.webhooks.hitl_keypress import answer_choice
    from airflow_provider_twilio.webhooks.keypresses import BadGather

    try:
        return answer_choice(config.conn_id, query, form)
    except BadGather as err:
        raise Refused(400, str(err)) from None


def create_app() -> FastAPI:
    from starlette.concurrency import run_in_threadpool

    from airflow_provider_twilio.webhooks import hitl, upkeep

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        # Only a serving api-server worker runs the upkeep and applies HITL answers held before a
        # restart: merely building the app (a probe, a CLI command) starts no thread that touches the
        # metadata DB. The upkeep also serves deployments whose watchers all poll (their events are
        # re-queued too), so it starts here rather than with the first webhook.
        upkeep.ensure_running()
        await run_in_threadpool(hitl.start)
        try:
            yield
        finally:
            await run_in_threadpool(upkeep.stop)

    app = FastAPI(title="Twilio webhooks", docs_url=None, redoc_url=None, openapi_url=None, lifespan=lifespan)

    async def receive(request: Request, conn_id: str, handle: Handler, kind: str) -> Response:
        try:
            body = await _read_body(request)
            if not request.headers.get("x-twilio-signature"):
                raise Refused(403, "signature missing")  # before any lookup, and without a thread
            config, form = await run_in_threadpool(verify, request, conn_id, body)
            note, answer = await run_in_threadpool(handle, config, form, request.query_params)
        except Refused as refused:
            log.info("Refused a %s webhook for %s (%d): %s", kind, conn_id, refused.status, refused.reason)
            return Response(status_code=refused.status)
        log.info("Accepted a %s webhook for %s: %s", kind, conn_id, note)
        return Response(content=answer, media_type="text/xml")

    @app.post("/{conn_id}/sms")
    async def inbound_sms(request: Request, conn_id: str) -> Response:
        record = partial(_inbound_events, token=request.headers.get(IDEMPOTENCY_TOKEN))
        return await receive(request, conn_id, _and_hitl_answers(_asset_events(record, "sms")), "sms")

    @app.post("/{conn_id}/status")
    async def status_callback(request: Request, conn_id: str) -> Response:
        record = partial(_status_events, token=request.headers.get(IDEMPOTENCY_TOKEN))
        return await receive(request, conn_id, _asset_events(record, "status"), "status")

    @app.post("/{conn_id}/gather")
    async def keypress(request: Request, conn_id: str) -> Response:
        return await receive(request, conn_id, _keypress, "gather")

    @app.post("/{conn_id}/choice")
    async def choice(request: Request, conn_id: str) -> Response:
        return await receive(request, conn_id, _choice, "choice")

    return app
