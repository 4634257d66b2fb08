"""Times on Twilio's logs: one-second dates, clock skew between Twilio and us, and where a window starts.

Twilio renders dates with one-second resolution, so a message created in the same second as a window
opened carries a date up to a second earlier than the window's exact start; and Twilio's clock and
ours may differ a little more.
"""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from email.utils import parsedate_to_datetime
from typing import Any

from airflow_provider_twilio.exceptions import TwilioInputError

DATE_RESOLUTION = timedelta(seconds=1)
CLOCK_SKEW = timedelta(seconds=1)
WINDOW_MARGIN = DATE_RESOLUTION + CLOCK_SKEW


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


def second_floor(moment: datetime) -> datetime:
    """The earliest one-second date a message received at or after ``moment`` can carry (UTC)."""
    return as_utc(moment).replace(microsecond=0)


def lookback_floor(since: datetime) -> datetime:
    """The oldest ``date_created`` that can still belong to something we created at or after ``since``.

    Wider than ``second_floor`` by the clock skew and one more second: used to find our own earlier
    sends, where missing one means sending twice.
    """
    return since.replace(microsecond=0) - WINDOW_MARGIN


def is_before(record: Any, floor: datetime) -> bool:
    """Whether ``record`` (a message or call) was created before ``floor``; unknown dates are not."""
    created = record.date_created
    return created is not None and created < floor


def created_before(record: Any, moment: datetime) -> bool:
    """Certainly created before ``moment`` (our clock): its whole second ended a clock skew earlier."""
    created = record.date_created
    return created is not None and created + WINDOW_MARGIN <= moment


def created_after(record: Any, moment: datetime) -> bool:
    """Certainly created after ``moment`` (our clock): its second began a clock skew later."""
    created = record.date_created
    return created is not None and created >= moment + CLOCK_SKEW
