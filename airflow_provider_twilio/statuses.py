"""Twilio's message and call statuses, and the defaults for what counts as done: plain tuples, cheap to import."""

from __future__ import annotations

MESSAGE_STATUSES = (
    "queued",
    "sending",
    "sent",
    "failed",
    "delivered",
    "undelivered",
    "receiving",
    "received",
    "accepted",
    "scheduled",
    "read",
    "partially_delivered",
    "canceled",
)
"""Twilio's message statuses (the spec's ``message_enum_status``, in its order)."""

MESSAGE_SUCCESS = ("delivered",)
"""What a message status wait counts as success by default."""
MESSAGE_FAILURE = ("failed", "undelivered", "canceled")
"""What a message status wait counts as failure by default."""
DELIVERY_FAILURES = ("failed", "undelivered")
"""The statuses of a message Twilio accepted but could not deliver."""

CALL_STATUSES = ("queued", "ringing", "in-progress", "completed", "busy", "failed", "no-answer", "canceled")
"""Twilio's call statuses (the spec's ``call_enum_status``)."""
FINAL_CALL_STATUSES = ("completed", "busy", "failed", "no-answer", "canceled")
"""A call in one of these has ended and never changes again."""

CALL_SUCCESS = ("completed", "busy", "no-answer", "canceled")
"""What a call status wait counts as success by default: the call ended without failing."""
CALL_FAILURE = ("failed",)
"""What a call status wait counts as failure by default."""
