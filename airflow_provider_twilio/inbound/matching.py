"""Compile the reply pattern and pick the oldest inbound message that matches it."""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from airflow_provider_twilio.exceptions import TwilioInputError
from airflow_provider_twilio.inbound.window import parse_api_date

INBOUND = "inbound"


@dataclass(frozen=True)
class InboundMessage:
    """The fields of a received message that waiting needs; built from SDK objects or JSON dicts."""

    sid: str
    from_: str
    to: str
    body: str
    date_sent: datetime
    direction: str = INBOUND

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
            }
        else:
            fields = {name: getattr(record, name, None) for name in ("sid", "from_", "to", "body", "date_sent")}
            fields["direction"] = getattr(record, "direction", None)
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
        )

    def as_xcom(self) -> dict[str, Any]:
        return {
            "sid": self.sid,
            "from": self.from_,
            "to": self.to,
            "body": self.body,
            "date_sent": self.date_sent.isoformat(),
        }


def compile_pattern(pattern: Any, ignore_case: bool = False, parameter: str = "pattern") -> re.Pattern[str]:
    """The DAG author's regex, compiled once; an invalid one fails before any request."""
    if not isinstance(pattern, str) or not pattern:
        raise TwilioInputError(f"{parameter}: expected a non-empty regular expression string, got {pattern!r}")
    try:
        return re.compile(pattern, re.IGNORECASE if ignore_case else 0)
    except re.error as err:
        raise TwilioInputError(f"{parameter}: {pattern!r} is not a valid regular expression: {err}") from None


def match_result(regex: re.Pattern[str], message: InboundMessage) -> dict[str, Any] | None:
    """The XCom for a message that matches, or None. Groups that did not take part are None."""
    found = regex.search(message.body)
    if found is None:
        return None
    return {
        "match_groups": found.groupdict(),
        "groups": list(found.groups()),
        "message": message.as_xcom(),
    }


def oldest_match(
    regex: re.Pattern[str], messages: Iterable[InboundMessage]
) -> tuple[dict[str, Any] | None, list[InboundMessage]]:
    """The oldest matching message's result, and the messages older than it that did not match."""
    missed: list[InboundMessage] = []
    for message in sorted(messages, key=lambda m: m.date_sent):  # stable: keeps log order within a second
        result = match_result(regex, message)
        if result is not None:
            return result, missed
        missed.append(message)
    return None, missed
