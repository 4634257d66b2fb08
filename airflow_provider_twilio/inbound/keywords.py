"""Twilio's opt-out, opt-in and help keywords: the one place that decides whether a text is one.

Twilio acts on these itself (support.twilio.com, "Twilio support for opt-out keywords (SMS STOP
filtering)"): after STOP it refuses to text that phone from that number (error 21610) until the phone
sends START, and it answers HELP. Such a text is a person talking to Twilio, not an answer to a DAG:
every door that reads replies (sensors, event triggers, webhooks, HITL answering) asks ``keyword_of``
and ignores a keyword unless the DAG author named that word literally (``pattern_names``).

A text is a keyword when its whole body is the word, in any case, with surrounding whitespace and
punctuation ignored ("Stop", " stop. ", "STOP!"); "STOP PLEASE" or "please stop" is not.
"""

from __future__ import annotations

import enum
import functools
import re
from collections.abc import Iterable

__all__ = ["KEYWORDS", "Keyword", "keyword_of", "options_name", "pattern_names"]


class Keyword(str, enum.Enum):
    OPT_OUT = "opt_out"
    OPT_IN = "opt_in"
    HELP = "help"


KEYWORDS: dict[str, Keyword] = {
    **dict.fromkeys(("STOP", "STOPALL", "UNSUBSCRIBE", "CANCEL", "END", "QUIT"), Keyword.OPT_OUT),
    **dict.fromkeys(("START", "YES", "UNSTOP"), Keyword.OPT_IN),
    **dict.fromkeys(("HELP", "INFO"), Keyword.HELP),
}
"""Twilio's default keywords (long codes and toll-free numbers), by what they do."""

_LONGEST = max(map(len, KEYWORDS))
# Anything that is neither a letter nor a digit, around the word: whitespace, punctuation, emoji.
_SURROUNDING = re.compile(r"^[\W_]+|[\W_]+$")
# A backslash escape in a pattern (\s, \b, \.): not part of a word the author wrote.
_ESCAPE = re.compile(r"\\.")


def keyword_of(body: str) -> str | None:
    """The keyword ``body`` is (upper case), or None. Bounded: a long body is not looked at."""
    if len(body) > 4 * _LONGEST:  # room for surrounding whitespace and punctuation; never a whole SMS
        return None
    return _short_keyword(body)


@functools.lru_cache(maxsize=4096)
def _short_keyword(body: str) -> str | None:
    """Remembered: every trigger waiting on an inbox asks about the same few texts each poll."""
    word = _SURROUNDING.sub("", body)
    # ASCII only: a long s (U+017F) upper-cases to S, but "\u017ftop" is not the word Twilio looks for.
    return word.upper() if word.isascii() and word.upper() in KEYWORDS else None


def pattern_names(pattern: str, keyword: str) -> bool:
    """Whether the DAG author's pattern spells ``keyword`` out as a word (any case): the explicit opt-in.

    ``^(YES|NO)$`` names YES, so a bare "yes" may match it; ``.*``, ``^\\w+$`` or ``[Ss]top`` name
    nothing, so a keyword never matches them.
    """
    words = re.findall(r"[A-Za-z]+", _ESCAPE.sub(" ", pattern))
    return keyword.upper() in {word.upper() for word in words}


def options_name(options: Iterable[str], keyword: str) -> bool:
    """Whether one of a request's options is ``keyword`` itself (any case): an option "Yes" opts in "YES"."""
    return any(keyword_of(option) == keyword for option in options)
