"""Twilio's default opt-out handling: STOP blocks a phone for one sender, START lifts it, HELP is answered.

The emulator's own copy of Twilio's keyword rules, written from Twilio's documentation ("Twilio support
for opt-out keywords (SMS STOP filtering)"), independent of the provider's ``inbound/keywords.py`` so
each checks the other. A keyword is the whole body, any case, surrounding whitespace and punctuation
ignored. The block is per (phone, Twilio number); every Messaging Service here sends from the one pool
number, so a STOP to that number blocks the services too.
"""

from __future__ import annotations

import threading

from airflow_provider_twilio.emulator.http.errors import bad_request

OPT_OUT = frozenset({"STOP", "STOPALL", "UNSUBSCRIBE", "CANCEL", "END", "QUIT"})
OPT_IN = frozenset({"START", "YES", "UNSTOP"})
HELP = frozenset({"HELP", "INFO"})

STOP_REPLY = (
    "You have successfully been unsubscribed. You will not receive any more messages from this number. "
    "Reply START to resubscribe."
)
START_REPLY = (
    "You have successfully been re-subscribed to messages from this number. Reply HELP for help. "
    "Reply STOP to unsubscribe. Msg&Data Rates May Apply."
)
HELP_REPLY = "Reply STOP to unsubscribe. Msg&Data Rates May Apply."

OPTED_OUT_CODE = 21610


def keyword(body: str) -> str | None:
    """The keyword ``body`` is, upper case, or None."""
    if len(body) > 64:
        return None
    start, end = 0, len(body)
    while start < end and not body[start].isalnum():
        start += 1
    while end > start and not body[end - 1].isalnum():
        end -= 1
    word = body[start:end].upper()
    return word if word in OPT_OUT | OPT_IN | HELP else None


class OptOuts:
    """Which phones told which Twilio number STOP; thread-safe."""

    def __init__(self) -> None:
        self._blocked: set[tuple[str, str]] = set()
        self._lock = threading.Lock()

    def receive(self, *, phone: str, number: str, body: str) -> str | None:
        """Apply a text ``phone`` sent to ``number``; returns the automatic answer Twilio sends, if any.

        START (or YES, UNSTOP) is answered only when it lifts a block, and HELP only when not blocked:
        a phone that said STOP gets nothing more until it opts back in.
        """
        word = keyword(body)
        if word is None:
            return None
        pair = (phone, number)
        with self._lock:
            blocked = pair in self._blocked
            if word in OPT_OUT:
                self._blocked.add(pair)
                return STOP_REPLY
            if word in OPT_IN:
                self._blocked.discard(pair)
                return START_REPLY if blocked else None
            return None if blocked else HELP_REPLY

    def check(self, *, to: str, sender: str) -> None:
        """Refuse, as Twilio does with 21610, a message to a phone that told ``sender`` STOP."""
        with self._lock:
            blocked = (to, sender) in self._blocked
        if blocked:
            raise bad_request(
                OPTED_OUT_CODE, f"Attempt to send to unsubscribed recipient {to}: it replied STOP to {sender}."
            )

    def blocked(self) -> list[tuple[str, str]]:
        with self._lock:
            return sorted(self._blocked)

    def reset(self) -> None:
        with self._lock:
            self._blocked.clear()
