"""Recognising, in Twilio's message log, a message we may already have sent."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from airflow_provider_twilio.sending.validation import MessageRequest

# Twilio dates have one-second resolution, and its clock and ours may differ a little.
DATE_RESOLUTION = timedelta(seconds=1)
CLOCK_SKEW = timedelta(seconds=1)
WINDOW_MARGIN = DATE_RESOLUTION + CLOCK_SKEW


def window_floor(since: datetime) -> datetime:
    """The oldest ``date_created`` that can still belong to something sent at or after ``since``."""
    return since.replace(microsecond=0) - WINDOW_MARGIN


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


def is_before(message: Any, floor: datetime) -> bool:
    created = message.date_created
    return created is not None and created < floor


def created_before(message: Any, moment: datetime) -> bool:
    """Certainly created before ``moment`` (our clock): its whole second ended a clock skew earlier."""
    created = message.date_created
    return created is not None and created + WINDOW_MARGIN <= moment


def created_after(message: Any, moment: datetime) -> bool:
    """Certainly created after ``moment`` (our clock): its second began a clock skew later."""
    created = message.date_created
    return created is not None and created >= moment + CLOCK_SKEW
