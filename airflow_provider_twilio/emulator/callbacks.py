"""Status callbacks, POSTed and signed the way Twilio signs webhooks (``X-Twilio-Signature``)."""

from __future__ import annotations

import asyncio
import base64
import hashlib
import hmac
import logging
import urllib.error
import urllib.request
from collections.abc import Mapping
from dataclasses import dataclass
from urllib.parse import urlencode

from airflow_provider_twilio.emulator.store import API_VERSION, Message, Step

log = logging.getLogger(__name__)

CALLBACK_TIMEOUT = 5.0


def signature(auth_token: str, url: str, params: Mapping[str, str]) -> str:
    """Base64 HMAC-SHA1 over the URL followed by every parameter name and value, sorted by name."""
    payload = url + "".join(f"{key}{params[key]}" for key in sorted(params))
    digest = hmac.new(auth_token.encode(), payload.encode(), hashlib.sha1).digest()
    return base64.b64encode(digest).decode()


def status_params(message: Message, step: Step) -> dict[str, str]:
    """The form Twilio posts to a message's StatusCallback."""
    params = {
        "AccountSid": message.account_sid,
        "ApiVersion": API_VERSION,
        "From": message.sender_at(step.at) or "",
        "MessageSid": message.sid,
        "MessageStatus": step.status,
        "SmsSid": message.sid,
        "SmsStatus": step.status,
        "To": message.to,
    }
    if message.messaging_service_sid:
        params["MessagingServiceSid"] = message.messaging_service_sid
    if step.error_code is not None:
        params["ErrorCode"] = str(step.error_code)
        params["ErrorMessage"] = step.error_message or ""
    return params


MAX_ANSWER_BYTES = 64 * 1024


@dataclass(frozen=True)
class Answer:
    """What the receiver answered: its HTTP status and (the start of) its body."""

    status: int
    content_type: str
    body: bytes


def _send(url: str, body: bytes | None, headers: dict[str, str], method: str) -> Answer:
    request = urllib.request.Request(url, data=body, headers=headers, method=method)
    try:
        with urllib.request.urlopen(request, timeout=CALLBACK_TIMEOUT) as response:
            content_type = response.headers.get("Content-Type", "")
            return Answer(int(response.status), content_type, response.read(MAX_ANSWER_BYTES))
    except urllib.error.HTTPError as err:
        return Answer(int(err.code), err.headers.get("Content-Type", ""), b"")


async def send_signed(url: str, params: Mapping[str, str], auth_token: str, method: str = "POST") -> Answer | None:
    """Send ``params`` to ``url`` as Twilio does: a signed form POST, or a signed GET with them in the query.

    The answer, or None if the receiver could not be reached.
    """
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
