"""Webhooks to the account's receivers: inbound messages to a number's SmsUrl, and the TwiML they answer.

An inbound message to a number with an ``SmsUrl`` is sent there as Twilio sends it (signed form
POST, or GET when ``SmsMethod`` says so); ``twiml_messages`` reads the ``<Message>`` verbs of the
answer, which the message lifecycle sends as replies. ``configure(duplicate_webhooks=True)``
delivers every webhook twice, as Twilio does when it retries (after a timeout, or with connection
overrides).
"""

from __future__ import annotations

import logging
import time
import xml.etree.ElementTree as ET
from collections.abc import Mapping

from airflow_provider_twilio.emulator import numbers
from airflow_provider_twilio.emulator.callbacks import Answer, send_signed
from airflow_provider_twilio.emulator.state import EmulatorState
from airflow_provider_twilio.emulator.store import API_VERSION, Message
from airflow_provider_twilio.emulator.urls import UnsupportedUrl

log = logging.getLogger(__name__)


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
    number = state.phone_numbers.by_number(numbers.split_channel(message.to)[1])
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
