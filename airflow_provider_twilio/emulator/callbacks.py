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
        "From": message.from_,
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


def _post(url: str, body: bytes, headers: dict[str, str]) -> int:
    request = urllib.request.Request(url, data=body, headers=headers, method="POST")
    try:
        with urllib.request.urlopen(request, timeout=CALLBACK_TIMEOUT) as response:
            return int(response.status)
    except urllib.error.HTTPError as err:
        return int(err.code)


async def post_signed(url: str, params: Mapping[str, str], auth_token: str) -> int | None:
    """POST ``params`` to ``url``; the HTTP status, or None if the receiver could not be reached."""
    headers = {
        "Content-Type": "application/x-www-form-urlencoded; charset=utf-8",
        "X-Twilio-Signature": signature(auth_token, url, params),
        "User-Agent": "TwilioProxy/1.1",
        "I-Twilio-Idempotency-Token": hashlib.sha1(urlencode(sorted(params.items())).encode()).hexdigest(),
    }
    try:
        return await asyncio.to_thread(_post, url, urlencode(params).encode(), headers)
    except OSError as err:
        log.warning("Status callback to %s failed: %s", url, err)
        return None
