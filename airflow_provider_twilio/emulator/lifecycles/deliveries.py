"""Webhooks to the account's receivers, signed the way Twilio signs them (``X-Twilio-Signature``).

``send_signed`` is the one way the emulator sends a request anywhere: it opens only absolute
http(s) URLs (``urls.require_http_url``), through an opener that has no handler for any other scheme
and follows HTTP redirects only to http(s) URLs. ``deliver`` sends one webhook and notes it in the
webhook log (twice with ``configure(duplicate_webhooks=True)``, as Twilio does when it retries after a
timeout, or with connection overrides). An inbound message to a number with an ``SmsUrl`` is sent
there as Twilio sends it (signed form POST, or GET when ``SmsMethod`` says so); ``twiml_messages``
reads the ``<Message>`` verbs of the answer, which the message lifecycle sends as replies.
"""

from __future__ import annotations

import asyncio
import base64
import hashlib
import hmac
import logging
import time
import urllib.error
import urllib.request
import xml.etree.ElementTree as ET
from collections.abc import Mapping
from dataclasses import dataclass
from http.client import HTTPMessage
from typing import IO, Any
from urllib.parse import urlencode, urljoin

from airflow_provider_twilio.emulator.http.urls import UnsupportedUrl, require_http_url
from airflow_provider_twilio.emulator.model.addresses import split_channel
from airflow_provider_twilio.emulator.model.message_store import API_VERSION, Message
from airflow_provider_twilio.emulator.state import EmulatorState

log = logging.getLogger(__name__)

CALLBACK_TIMEOUT = 5.0


def signature(auth_token: str, url: str, params: Mapping[str, str]) -> str:
    """Base64 HMAC-SHA1 over the URL followed by every parameter name and value, sorted by name."""
    payload = url + "".join(f"{key}{params[key]}" for key in sorted(params))
    digest = hmac.new(auth_token.encode(), payload.encode(), hashlib.sha1).digest()
    return base64.b64encode(digest).decode()


MAX_ANSWER_BYTES = 64 * 1024


@dataclass(frozen=True)
class Answer:
    """What the receiver answered: its HTTP status and (the start of) its body."""

    status: int
    content_type: str
    body: bytes


class _RedirectsToHttpOnly(urllib.request.HTTPRedirectHandler):
    """Follows a redirect only to an absolute http(s) URL; any other target raises ``UnsupportedUrl``."""

    def http_error_302(
        self, req: urllib.request.Request, fp: IO[bytes], code: int, msg: str, headers: HTTPMessage
    ) -> Any:
        target = headers.get("location") or headers.get("uri")
        if target is not None:
            try:
                require_http_url(urljoin(req.full_url, target.strip()))
            except (UnsupportedUrl, ValueError):
                fp.close()
                raise UnsupportedUrl(target) from None
        return super().http_error_302(req, fp, code, msg, headers)

    http_error_301 = http_error_303 = http_error_307 = http_error_308 = http_error_302


def _http_only_opener() -> urllib.request.OpenerDirector:
    """``urlopen``'s opener without its file, ftp and data handlers."""
    opener = urllib.request.OpenerDirector()
    for handler in (
        urllib.request.ProxyHandler(),
        urllib.request.HTTPHandler(),
        urllib.request.HTTPSHandler(),
        urllib.request.HTTPDefaultErrorHandler(),
        _RedirectsToHttpOnly(),
        urllib.request.HTTPErrorProcessor(),
    ):
        opener.add_handler(handler)
    return opener


_OPENER = _http_only_opener()


def _send(url: str, body: bytes | None, headers: dict[str, str], method: str) -> Answer:
    request = urllib.request.Request(url, data=body, headers=headers, method=method)
    try:
        with _OPENER.open(request, timeout=CALLBACK_TIMEOUT) as response:
            content_type = response.headers.get("Content-Type", "")
            return Answer(int(response.status), content_type, response.read(MAX_ANSWER_BYTES))
    except urllib.error.HTTPError as err:
        return Answer(int(err.code), err.headers.get("Content-Type", ""), b"")


async def send_signed(url: str, params: Mapping[str, str], auth_token: str, method: str = "POST") -> Answer | None:
    """Send ``params`` to ``url`` as Twilio does: a signed form POST, or a signed GET with them in the query.

    The answer, or None if the receiver could not be reached. ``UnsupportedUrl`` if ``url`` (or a
    redirect it answers) is not an absolute http(s) URL: nothing is sent there.
    """
    require_http_url(url)
    headers = {
        "User-Agent": "TwilioProxy/1.1",
        "I-Twilio-Idempotency-Token": hashlib.sha1(urlencode(sorted(params.items())).encode()).hexdigest(),
    }
    if method == "GET":
        url = url + ("&" if "?" in url else "?") + urlencode(params)
        headers["X-Twilio-Signature"] = signature(auth_token, url, {})
        body = None
    else:
        headers["Content-Type"] = "application/x-www-form-urlencoded; charset=utf-8"
        headers["X-Twilio-Signature"] = signature(auth_token, url, params)
        body = urlencode(params).encode()
    try:
        return await asyncio.to_thread(_send, url, body, headers, method)
    except OSError as err:
        log.warning("Webhook to %s failed: %s", url, err)
        return None


async def post_signed(url: str, params: Mapping[str, str], auth_token: str) -> int | None:
    """POST ``params`` to ``url``; the HTTP status, or None if the receiver could not be reached."""
    answer = await send_signed(url, params, auth_token)
    return None if answer is None else answer.status


def inbound_params(message: Message) -> dict[str, str]:
    """The form of Twilio's "A message comes in" webhook."""
    params = {
        "ToCountry": "US",
        "SmsMessageSid": message.sid,
        "NumMedia": str(len(message.media_urls)),
        "SmsSid": message.sid,
        "SmsStatus": "received",
        "Body": message.body,
        "To": message.to,
        "NumSegments": str(message.num_segments),
        "MessageSid": message.sid,
        "AccountSid": message.account_sid,
        "From": message.from_,
        "ApiVersion": API_VERSION,
    }
    for index, url in enumerate(message.media_urls):
        params[f"MediaUrl{index}"] = url
        params[f"MediaContentType{index}"] = "image/jpeg"
    return params


async def deliver(
    state: EmulatorState, kind: str, url: str, params: Mapping[str, str], method: str = "POST"
) -> list[Answer]:
    """Send one webhook (twice with ``duplicate_webhooks``); every delivery is noted in ``state.webhook_log``.

    A URL that is not http(s) (the API refuses such URLs when they are set) is logged and sent nothing.
    """
    answers: list[Answer] = []
    for attempt in range(2 if state.duplicate_webhooks else 1):
        try:
            answer = await send_signed(url, params, state.auth_token, method)
        except UnsupportedUrl as err:
            log.warning("%s webhook not sent: %s", kind, err)
            return answers
        state.note_webhook(
            {
                "kind": kind,
                "url": url,
                "method": method,
                "attempt": attempt + 1,
                "sid": params.get("MessageSid") or params.get("CallSid"),
                "status": None if answer is None else answer.status,
                "time": time.time(),
            }
        )
        if answer is not None:
            answers.append(answer)
    return answers


def sms_webhook(state: EmulatorState, message: Message) -> tuple[str, str] | None:
    """The ``SmsUrl`` and ``SmsMethod`` of the number ``message`` went to; None if it has no ``SmsUrl``."""
    number = state.phone_numbers.by_number(split_channel(message.to)[1])
    if number is None or not number.sms_url:
        return None
    return number.sms_url, number.sms_method


def twiml_messages(body: bytes) -> list[dict[str, str]]:
    """The ``<Message>`` verbs of a TwiML answer (text or ``<Body>``, optional ``to``/``from``); [] if not TwiML."""
    if not body.strip():
        return []
    try:
        root = ET.fromstring(body)
    except ET.ParseError:
        return []
    if root.tag != "Response":
        return []
    found = []
    for verb in root.findall("Message"):
        text = verb.findtext("Body")
        if text is None:
            text = verb.text or ""
        found.append({"body": text.strip(), "to": verb.get("to", ""), "from": verb.get("from", "")})
    return found
