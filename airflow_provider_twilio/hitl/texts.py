"""Every text a person gets: the request, and the one answer to each reply (confirmation, help, refusal).

The request fits in ``max_segments`` SMS segments: the body is cut (with "...") before anything else,
and a request that cannot fit even without its body is refused before any text is sent. Answers to
replies never quote the reply: they are built only from the request and the recorded response.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from airflow_provider_twilio.exceptions import TwilioInputError
from airflow_provider_twilio.hitl.markdown import strip_markdown
from airflow_provider_twilio.hitl.references import MARK
from airflow_provider_twilio.segments import count_segments

SUBJECT_IN_ANSWERS = 80
"""How much of the subject a confirmation quotes."""
ELLIPSIS = "..."
VIA_UI = "Airflow UI"


@dataclass(frozen=True)
class RequestText:
    subject: str
    body: str | None
    options: Sequence[str]
    multiple: bool
    reference: str
    link: str | None = None

    def render(self, max_segments: int) -> str:
        """The text for the people asked, cut to ``max_segments`` segments; TwilioInputError if it cannot fit."""
        if max_segments < 1:
            raise TwilioInputError(f"max_segments must be at least 1, got {max_segments}")
        body = strip_markdown(self.body or "")
        if _fits(self._compose(body), max_segments):
            return self._compose(body)
        if not _fits(self._compose(""), max_segments):
            raise TwilioInputError(
                f"The request text needs more than max_segments={max_segments} SMS segments even without its body; "
                "shorten the subject or the options, or raise max_segments"
            )
        low, high = 0, len(body)  # the longest cut of the body that fits: binary search, ~log2(len) counts
        while low < high:
            middle = (low + high + 1) // 2
            if _fits(self._compose(_cut(body, middle)), max_segments):
                low = middle
            else:
                high = middle - 1
        return self._compose(_cut(body, low))

    def _compose(self, body: str) -> str:
        lines = [self.subject.strip()]
        if body:
            lines.append(body)
        lines.append(numbered(self.options))
        how = "Reply with a number or an option"
        if self.multiple:
            how += "; several separated by commas"
        lines.append(f"{how}. Ref {MARK}{self.reference}")
        if self.link:
            lines.append(self.link)
        return "\n".join(lines)


def numbered(options: Sequence[str]) -> str:
    return "\n".join(f"{number} {option}" for number, option in enumerate(options, start=1))


def confirmation(chosen: Sequence[str], subject: str) -> str:
    return f"Recorded: {', '.join(chosen)} for '{_short(subject)}'"


def help_text(options: Sequence[str], reference: str | None, *, multiple: bool, several_pending: bool) -> str:
    choices = ", ".join(f"{number} {option}" for number, option in enumerate(options, start=1))
    text = f"Not understood. Reply with one of: {choices}"
    if multiple:
        text += " (several separated by commas)"
    if reference and several_pending:
        text += f", and the reference {MARK}{reference}"
    return text + "."


def which_request_help(references: Sequence[str]) -> str:
    listed = ", ".join(f"{MARK}{reference}" for reference in references)
    return f"You have several requests waiting; add the reference of the one you answer: {listed}."


def already_answered(by: str | None, via: str | None) -> str:
    """Who answered and how; nobody when Airflow took the defaults at the response timeout."""
    if by is None:
        return "Already answered: the time to answer ran out and the default was taken"
    return f"Already answered by {by} ({via or VIA_UI})"


def refusal() -> str:
    return "This number cannot answer this request; nothing was recorded."


def _short(subject: str) -> str:
    subject = " ".join(subject.split())
    return subject if len(subject) <= SUBJECT_IN_ANSWERS else subject[: SUBJECT_IN_ANSWERS - 3] + ELLIPSIS


def _cut(body: str, length: int) -> str:
    return "" if length <= 0 else body[:length].rstrip() + ELLIPSIS


def _fits(text: str, max_segments: int) -> bool:
    return count_segments(text).segments <= max_segments
