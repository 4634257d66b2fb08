"""What happens after a message is accepted or received: status callbacks, webhooks and replies."""

from __future__ import annotations

import asyncio
import logging
import time
from typing import Any

from airflow_provider_twilio.emulator.http.errors import ApiError
from airflow_provider_twilio.emulator.lifecycles.deliveries import (
    Answer,
    deliver,
    inbound_params,
    sms_webhook,
    twiml_messages,
)
from airflow_provider_twilio.emulator.model.message_rules import Form, OutboundRequest, build_inbound
from airflow_provider_twilio.emulator.model.message_store import API_VERSION, Message, Step
from airflow_provider_twilio.emulator.state import EmulatorState

log = logging.getLogger(__name__)

AUTOMATIC_REPLY = "outbound-reply"
"""The direction of Twilio's own answers to keywords, as its message log shows them."""


def after_accept(state: EmulatorState, message: Message) -> None:
    """Schedule the message's status callbacks and any auto reply to it."""
    now = time.time()
    if message.status_callback:
        steps = message.timeline[1:]
        if steps:
            state.call_later(steps[0].at - now, _report_steps(state, message, steps))
    if message.timeline[-1].status != "delivered":
        return  # a handset that never got the message does not answer it
    queued_at = next(step.at for step in message.timeline if step.status == "queued")
    for rule in state.take_auto_replies_for(message.to):
        state.call_later(queued_at - now + rule.delay, _reply(state, message, rule.body))


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


def _report_steps(state: EmulatorState, message: Message, steps: list[Step]) -> Any:
    """Post the steps' callbacks one after another, each at its time: a receiver sees them in order.

    Scheduled separately, two posts due close together could overtake each other on a busy machine.
    """
    generation = state.store.generation

    async def report() -> None:
        for step in steps:
            await asyncio.sleep(max(step.at - time.time(), 0.0))
            current = state.store.get(message.sid)
            # A reset, a cancelled or a deleted message stops reporting the steps it no longer takes.
            if state.store.generation != generation or current is None:
                return
            if step not in current.timeline or not current.status_callback:
                continue
            await deliver(state, "status", current.status_callback, status_params(current, step))

    return report


def _reply(state: EmulatorState, message: Message, body: str) -> Any:
    def fire() -> None:
        current = state.store.get(message.sid)
        if current is None or current.step_at(time.time()).status == "canceled":
            return
        sender = message.to
        reply = state.store.add(
            lambda seq, created_at: build_inbound(
                seq, created_at, account_sid=state.account_sid, from_=sender, to=message.from_, body=body
            )
        )
        receive(state, reply)

    return fire


def receive(state: EmulatorState, message: Message) -> None:
    """Honour a keyword (STOP, START, HELP) as Twilio does; then, if the number ``message`` went to has an
    ``SmsUrl``, deliver it there (keywords too, as Twilio does) and send the TwiML replies."""
    _honour_keyword(state, message)
    webhook = sms_webhook(state, message)
    if webhook is None:
        return
    url, method = webhook

    async def send() -> None:
        for answer in await deliver(state, "sms", url, inbound_params(message), method):
            if 200 <= answer.status < 300:
                _send_replies(state, message, answer)

    state.call_later(0.0, send)


def _send_replies(state: EmulatorState, message: Message, answer: Answer) -> None:
    for verb in twiml_messages(answer.body):
        form = Form([("To", verb["to"] or message.from_), ("From", verb["from"] or message.to), ("Body", verb["body"])])
        try:
            outbound = OutboundRequest(form, account_sid=state.account_sid, status_delay=state.status_delay)
        except ApiError as err:
            log.warning("TwiML reply to %s not sent: %s", message.sid, err.message)
            continue
        after_accept(state, state.store.add(outbound.build))


def _honour_keyword(state: EmulatorState, message: Message) -> None:
    """Record an opt-out or opt-in, and store Twilio's automatic answer, sent from the number to the phone."""
    answer = state.opt_outs.receive(phone=message.from_, number=message.to, body=message.body)
    if answer is None:
        return
    form = Form([("To", message.from_), ("From", message.to), ("Body", answer)])
    try:
        outbound = OutboundRequest(form, account_sid=state.account_sid, status_delay=state.status_delay)
    except ApiError as err:
        log.warning("Automatic answer to %s not sent: %s", message.sid, err.message)
        return

    def build(seq: int, created_at: float) -> Message:
        reply = outbound.build(seq, created_at)
        reply.direction = AUTOMATIC_REPLY
        return reply

    after_accept(state, state.store.add(build))
