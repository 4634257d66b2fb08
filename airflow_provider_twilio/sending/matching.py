"""Recognising, in Twilio's message log, a message we may already have sent."""

from __future__ import annotations

from typing import Any

from airflow_provider_twilio.sending.validation import MessageRequest


def is_same_message(message: Any, to: str, request: MessageRequest) -> bool:
    """Same recipient, same sender (number or Messaging Service), same body where Twilio keeps it verbatim."""
    if message.to != to or not str(message.direction or "").startswith("outbound"):
        return False
    if request.messaging_service_sid:
        if message.messaging_service_sid != request.messaging_service_sid:
            return False
    elif message.from_ != request.sender_for(to):
        return False
    if request.body_is_exact:
        return (message.body or "") == (request.body or "")
    return True
