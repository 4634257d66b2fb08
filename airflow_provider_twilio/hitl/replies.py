"""Reading a text reply: which options it chooses, and which request it names.

An option is chosen by its text (any case, spaces as written) or its number in the request text; with
``multiple``, several are separated by commas. A request's reference (``#K7Q2``) may come first or last.
A reply longer than ``MAX_REPLY_CHARS`` is not read at all, and nothing here is quadratic.
"""

from __future__ import annotations

from collections.abc import Collection, Sequence
from dataclasses import dataclass

from airflow_provider_twilio.hitl.references import as_reference

MAX_REPLY_CHARS = 1600
"""Twilio's own limit on a message body: anything longer is not a reply a person typed."""
_TRAILING = ".!"


@dataclass(frozen=True)
class Reply:
    chosen: tuple[str, ...]
    """The options chosen, in the request's spelling, each once; empty when the reply chooses none."""
    reference: str | None
    """The reference the reply names, if it names one of those it was offered."""
    problem: str | None
    """Why the reply chooses nothing, in words for the log (never sent back)."""

    @property
    def is_valid(self) -> bool:
        return self.problem is None


def split_reference(body: str, references: Collection[str], options: Sequence[str] = ()) -> tuple[str | None, str]:
    """The reference named first or last among ``references``, and the rest of the reply."""
    words = body.split()
    if not words:
        return None, ""
    option_words = {_folded(option) for option in options}
    for index in (0, len(words) - 1):
        reference = as_reference(words[index])
        if reference in references and _folded(words[index]) not in option_words:
            rest = words[1:] if index == 0 else words[:-1]
            return reference, " ".join(rest)
    return None, " ".join(words)


def read_reply(body: str, options: Sequence[str], *, multiple: bool, references: Collection[str] = ()) -> Reply:
    """The options ``body`` chooses, or the problem that makes it choose none."""
    if len(body) > MAX_REPLY_CHARS:
        return Reply((), None, f"longer than {MAX_REPLY_CHARS} characters")
    reference, rest = split_reference(body, references, options)
    items = [item for item in (rest.split(",") if multiple else [rest])]
    by_text = {_folded(option): option for option in options}
    chosen: list[str] = []
    for item in items:
        word = _folded(item).rstrip(_TRAILING)
        if not word and multiple and len(items) > 1:
            continue
        option = _by_number(word, options) or by_text.get(word)
        if option is None:
            return Reply((), reference, "names no option" if word else "is empty")
        if option not in chosen:
            chosen.append(option)
    if not chosen:
        return Reply((), reference, "is empty")
    return Reply(tuple(chosen), reference, None)


def _folded(text: str) -> str:
    return " ".join(text.split()).casefold()


def _by_number(word: str, options: Sequence[str]) -> str | None:
    # isascii() first: other scripts' digits are not numbers a keypad types.
    if word.isascii() and word.isdigit() and len(word) <= 3 and 1 <= int(word) <= len(options):
        return options[int(word) - 1]
    return None
