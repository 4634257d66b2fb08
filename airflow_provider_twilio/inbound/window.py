"""Times on the message log: the start of the waiting window and Twilio's one-second dates."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from email.utils import parsedate_to_datetime
from typing import Any

from airflow_provider_twilio.exceptions import TwilioInputError

# Twilio renders dates with one-second resolution, so a message received in the same second as the
# window opened carries a date up to a second earlier than the window's exact start.
DATE_RESOLUTION = timedelta(seconds=1)


def as_utc(moment: datetime) -> datetime:
    """Aware UTC; a naive datetime is taken to be UTC already, as Airflow stores them."""
    if moment.tzinfo is None:
        return moment.replace(tzinfo=timezone.utc)
    return moment.astimezone(timezone.utc)


def parse_since(value: Any, parameter: str = "since") -> datetime:
    """A datetime or an ISO-8601 string, as aware UTC; a clear error otherwise."""
    if isinstance(value, datetime):
        return as_utc(value)
    if isinstance(value, str):
        text = value.strip()
        if text.endswith(("Z", "z")):
            text = text[:-1] + "+00:00"
        try:
            return as_utc(datetime.fromisoformat(text))
        except ValueError:
            pass
    raise TwilioInputError(
        f"{parameter}: {value!r} is not a datetime or an ISO-8601 timestamp like '2026-11-22T14:05:00+00:00'"
    )


def parse_api_date(value: Any) -> datetime | None:
    """A date from the SDK (already a datetime) or raw JSON (RFC 2822), as aware UTC."""
    if value is None or value == "":
        return None
    if isinstance(value, datetime):
        return as_utc(value)
    try:
        return as_utc(parsedate_to_datetime(str(value)))
    except (TypeError, ValueError):
        return parse_since(str(value), "date")


def window_floor(moment: datetime) -> datetime:
    """The earliest one-second date a message received at or after ``moment`` can carry."""
    return as_utc(moment).replace(microsecond=0)
