"""The one place message bodies are matched: compile the DAG author's pattern, match in bounded time.

The pattern is the DAG author's, but the body is anyone's: a pattern such as ``^(a+)+$`` backtracks
for seconds or hours on a 30-character SMS. Every match here goes through ``search_bounded``, which
uses the ``regex`` engine with a timeout (and releases the GIL while matching, so callers can run it
in a worker thread without stalling an event loop). A body that runs out of time counts as no match.

A body that is one of Twilio's keywords (STOP, START, HELP, ...; ``keywords.py``) matches only a
pattern that names that word: it is a person talking to Twilio, not a reply.
"""

from __future__ import annotations

import hashlib
import logging
import threading
from collections import OrderedDict
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any

from airflow_provider_twilio.exceptions import TwilioInputError
from airflow_provider_twilio.inbound.keywords import keyword_of, pattern_names
from airflow_provider_twilio.timing import parse_api_date

if TYPE_CHECKING:
    from regex import Match, Pattern

log = logging.getLogger(__name__)

INBOUND = "inbound"

# Seconds one body may take to match one pattern. An SMS is at most 1,600 characters and a sane
# pattern matches it in microseconds; only catastrophic backtracking gets anywhere near this.
MATCH_TIMEOUT = 0.1
# Bodies that ran out of time, remembered per process so each is tried (and logged) once per pattern.
MAX_TIMED_OUT = 4096


@dataclass(frozen=True)
class InboundMessage:
    """The fields of a received message that waiting needs; built from SDK objects or JSON dicts."""

    sid: str
    from_: str
    to: str
    body: str
    date_sent: datetime
    direction: str = INBOUND
    num_media: int = 0

    @classmethod
    def from_api(cls, record: Any) -> InboundMessage | None:
        """None for a record without a send date (not yet received)."""
        if isinstance(record, dict):
            get = record.get
            fields = {
                "sid": get("sid"),
                "from_": get("from"),
                "to": get("to"),
                "body": get("body"),
                "date_sent": get("date_sent"),
                "direction": get("direction"),
                "num_media": get("num_media"),
            }
        else:
            names = ("sid", "from_", "to", "body", "date_sent", "direction", "num_media")
            fields = {name: getattr(record, name, None) for name in names}
        date_sent = parse_api_date(fields["date_sent"])
        if date_sent is None:
            return None
        return cls(
            sid=str(fields["sid"]),
            from_=str(fields["from_"] or ""),
            to=str(fields["to"] or ""),
            body=str(fields["body"] or ""),
            date_sent=date_sent,
            direction=str(fields["direction"] or ""),
            num_media=_count(fields["num_media"]),
        )

    def as_xcom(self) -> dict[str, Any]:
        return {
            "sid": self.sid,
            "from": self.from_,
            "to": self.to,
            "body": self.body,
            "date_sent": self.date_sent.isoformat(),
        }


def _count(value: Any) -> int:
    """Twilio sends ``num_media`` as a string of digits; anything else counts as none."""
    try:
        return max(0, int(value))
    except (TypeError, ValueError):
        return 0


def compile_pattern(pattern: Any, ignore_case: bool = False, parameter: str = "pattern") -> Pattern[str]:
    """The DAG author's regex, compiled once; an invalid one fails before any request.

    Compiled with the ``regex`` engine in its ``re``-compatible mode (VERSION0), so patterns mean what
    they mean with ``re``.
    """
    import regex

    if not isinstance(pattern, str) or not pattern:
        raise TwilioInputError(f"{parameter}: expected a non-empty regular expression string, got {pattern!r}")
    try:
        return regex.compile(pattern, regex.VERSION0 | (regex.IGNORECASE if ignore_case else 0))
    except regex.error as err:
        raise TwilioInputError(f"{parameter}: {pattern!r} is not a valid regular expression: {err}") from None


class _TimedOut:
    """The (pattern, body) pairs that ran out of time: bounded, shared by every thread of the process."""

    def __init__(self, capacity: int) -> None:
        self.capacity = capacity
        self._keys: OrderedDict[tuple[str, int, bytes], None] = OrderedDict()
        self._lock = threading.Lock()

    @staticmethod
    def key(compiled: Pattern[str], text: str) -> tuple[str, int, bytes]:
        digest = hashlib.blake2b(text.encode("utf-8", "surrogatepass"), digest_size=16).digest()
        return compiled.pattern, compiled.flags, digest

    def __contains__(self, key: tuple[str, int, bytes]) -> bool:
        with self._lock:
            return key in self._keys

    def __len__(self) -> int:
        return len(self._keys)

    def add(self, key: tuple[str, int, bytes]) -> bool:
        """Remember ``key``; False if it was already known (another thread got there first)."""
        with self._lock:
            if key in self._keys:
                return False
            self._keys[key] = None
            while len(self._keys) > self.capacity:
                self._keys.popitem(last=False)
            return True


_timed_out = _TimedOut(MAX_TIMED_OUT)


def search_bounded(
    compiled: Pattern[str], text: str, *, timeout: float | None = None, subject: str = "a message body"
) -> Match[str] | None:
    """``compiled.search(text)`` that gives up after ``timeout`` seconds (default ``MATCH_TIMEOUT``).

    A search that runs out of time counts as no match. It is logged once, and the same body is not
    tried again with the same pattern in this process, so a hostile SMS read on every poll costs its
    time bound once. Blocking (for at most the bound), but the GIL is released while matching: async
    callers run it in a worker thread (the triggers through ``triggers/offloop.py``).
    """
    # Hashing the body to look it up costs a third of a short search: skipped while nothing has timed out.
    if _timed_out and _TimedOut.key(compiled, text) in _timed_out:
        return None
    limit = MATCH_TIMEOUT if timeout is None else timeout
    try:
        return compiled.search(text, timeout=limit, concurrent=True)
    except TimeoutError:
        if _timed_out.add(_TimedOut.key(compiled, text)):
            log.warning(
                "Matching %s (%d characters) against %r ran out of time (%.2f s); counted as no match",
                subject,
                len(text),
                compiled.pattern,
                limit,
            )
        return None


def ignored_keyword(message: InboundMessage, pattern: str | None = None) -> bool:
    """True for a keyword text (STOP, START, HELP, ...) that ``pattern`` does not name: never a reply."""
    keyword = keyword_of(message.body)
    return keyword is not None and (pattern is None or not pattern_names(pattern, keyword))


def match_result(compiled: Pattern[str], message: InboundMessage) -> dict[str, Any] | None:
    """The XCom for a message that matches, or None. Groups that did not take part are None.

    A keyword text the pattern does not name is no match, whatever the pattern (``.*`` included).
    """
    if ignored_keyword(message, compiled.pattern):
        return None
    found = search_bounded(compiled, message.body, subject=f"message {message.sid}")
    if found is None:
        return None
    return {
        "match_groups": found.groupdict(),
        "groups": list(found.groups()),
        "message": message.as_xcom(),
    }


def oldest_match(
    compiled: Pattern[str], messages: Iterable[InboundMessage]
) -> tuple[dict[str, Any] | None, list[InboundMessage]]:
    """The oldest matching message's result, and the messages older than it that did not match.

    Ignored keyword texts are in neither: nobody is told a STOP was not understood.

    Each message is bounded by ``MATCH_TIMEOUT``, so the whole call may block for that times the number
    of hostile messages: from async code, run it in a thread.
    """
    missed: list[InboundMessage] = []
    for message in sorted(messages, key=lambda m: m.date_sent):  # stable: keeps log order within a second
        result = match_result(compiled, message)
        if result is not None:
            return result, missed
        if not ignored_keyword(message, compiled.pattern):
            missed.append(message)
    return None, missed
