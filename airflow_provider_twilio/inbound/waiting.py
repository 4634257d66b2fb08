"""What one waiting sensor wants from an inbox: checked once at task start, then applied to each poll."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from functools import cached_property
from typing import TYPE_CHECKING, Any

from airflow_provider_twilio.inbound.echoes import Reply
from airflow_provider_twilio.inbound.matching import InboundMessage, oldest_match
from airflow_provider_twilio.inbound.replies import fill_reply, reply_values
from airflow_provider_twilio.timing import second_floor

if TYPE_CHECKING:
    from regex import Pattern

__all__ = ["MAX_REPLY_CHARS", "ReplyWait", "build_wait", "fit"]

# Twilio's limit for a message body; a reply quoting a long message is cut to fit.
MAX_REPLY_CHARS = 1600


def fit(text: str) -> str:
    return text if len(text) <= MAX_REPLY_CHARS else text[: MAX_REPLY_CHARS - 1] + "\u2026"


@dataclass(frozen=True)
class ReplyWait:
    """A validated wait: which messages count, how they are matched and answered."""

    regex: Pattern[str]
    to: str
    senders: tuple[str, ...] | None
    since: datetime
    echo: str | None = None
    echo_error: str | None = None

    @property
    def single_sender(self) -> str | None:
        """The server-side ``From`` filter, when there is exactly one sender."""
        return self.senders[0] if self.senders and len(self.senders) == 1 else None

    @cached_property
    def _floor(self) -> datetime:
        return second_floor(self.since)

    def counts(self, message: InboundMessage) -> bool:
        if message.to != self.to or message.date_sent < self._floor:
            return False
        return self.senders is None or message.from_ in self.senders

    def evaluate(self, messages: Iterable[InboundMessage]) -> tuple[dict[str, Any] | None, list[Reply]]:
        """The oldest match (if any) and the error replies owed for messages that did not match.

        Error replies go only to senders named in ``from_``, and not when a valid answer followed in
        the same batch: the sender already got it right.
        """
        result, missed = oldest_match(self.regex, (m for m in messages if self.counts(m)))
        if result is not None or not self.echo_error or self.senders is None:
            return result, []
        template = self.echo_error
        return None, [Reply(message, fit(fill_reply(template, reply_values(message.as_xcom())))) for message in missed]

    def echo_reply(self, result: dict[str, Any]) -> Reply | None:
        """The confirmation owed for a match, if ``echo`` is set."""
        if not self.echo:
            return None
        xcom_message = result["message"]
        message = InboundMessage(
            sid=xcom_message["sid"],
            from_=xcom_message["from"],
            to=xcom_message["to"],
            body=xcom_message["body"],
            date_sent=datetime.fromisoformat(xcom_message["date_sent"]),
        )
        return Reply(message, fit(fill_reply(self.echo, reply_values(xcom_message, result))))


def build_wait(
    *,
    pattern: Any,
    to: Any,
    from_: Any = None,
    since: Any,
    ignore_case: bool = False,
    echo: Any = None,
    echo_error: Any = None,
) -> ReplyWait:
    """Check every argument before any request; each problem names its parameter and value."""
    from airflow_provider_twilio.addresses import parse_numbers
    from airflow_provider_twilio.exceptions import TwilioInputError, TwilioMissingInputError
    from airflow_provider_twilio.inbound.matching import compile_pattern
    from airflow_provider_twilio.inbound.replies import MESSAGE_FIELDS, available_names, validate_reply
    from airflow_provider_twilio.timing import parse_since

    regex = compile_pattern(pattern, ignore_case)
    numbers = parse_numbers(to, "to")
    if len(numbers) != 1:
        raise TwilioMissingInputError(
            f"to: expected the one number replies are sent to, got {to!r}; set `to` or the connection's "
            "default_from extra"
        )
    senders = parse_numbers(from_, "from_") if from_ not in (None, "", []) else []
    if from_ not in (None, "", []) and not senders:
        raise TwilioInputError(f"from_: no phone number found in {from_!r}")
    if echo_error is not None and not senders:
        raise TwilioInputError(
            "echo_error: needs from_, the numbers allowed to answer; error replies are only sent to them"
        )
    return ReplyWait(
        regex=regex,
        to=numbers[0],
        senders=tuple(senders) or None,
        since=parse_since(since),
        echo=validate_reply(echo, "echo", available_names(regex)),
        echo_error=validate_reply(echo_error, "echo_error", MESSAGE_FIELDS),
    )
