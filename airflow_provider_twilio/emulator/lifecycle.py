"""What happens after a message is accepted: status callbacks and simulated replies."""

from __future__ import annotations

import asyncio
import time
from typing import Any

from airflow_provider_twilio.emulator.callbacks import status_params
from airflow_provider_twilio.emulator.messages import build_inbound
from airflow_provider_twilio.emulator.state import EmulatorState
from airflow_provider_twilio.emulator.store import Message, Step
from airflow_provider_twilio.emulator.webhooks import deliver, deliver_inbound


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
        deliver_inbound(state, reply)

    return fire
