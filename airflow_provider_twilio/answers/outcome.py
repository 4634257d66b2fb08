"""What became of one inbound text or keypress offered to the resolver."""

from __future__ import annotations

import enum
from dataclasses import dataclass

from airflow_provider_twilio.answers.pending import PendingRequest


class Result(str, enum.Enum):
    ANSWERED = "answered"
    """Recorded as the request's response (the task is resumed); confirmed by text."""
    HELD = "held"
    """A valid answer that came before the task was parked: kept, and recorded once it is (``held.py``)."""
    ALREADY_ANSWERED = "already_answered"
    """The request had its response (from the UI or someone else): nothing recorded."""
    INVALID = "invalid"
    """The reply names no option, or no request among several: nothing recorded; one help text.
    A keyword text (STOP, START, HELP, ...; ``inbound/keywords.py``) is INVALID too, with no text at all."""
    REFUSED = "refused"
    """Not a respondent, or not among the assigned users: nothing recorded; one refusal per request."""
    DUPLICATE = "duplicate"
    """This message or call was handled before: nothing done again, nothing sent again."""
    NOT_FOR_US = "not_for_us"
    """No pending request on this connection and number: left to whatever else reads the inbox."""


@dataclass(frozen=True)
class Outcome:
    result: Result
    request: PendingRequest | None = None
    chosen: tuple[str, ...] = ()
    reply: str | None = None
    """The text sent back to the phone, if any (keypresses get none: the call speaks for itself)."""
    answered_by: str | None = None
    """For ANSWERED and ALREADY_ANSWERED: the name of the Airflow user whose response it is."""
