"""Twilio's date formats: RFC 2822 in responses (one-second resolution), ISO 8601 in list filters."""

from __future__ import annotations

import time
from datetime import date, datetime, timezone
from functools import lru_cache

_DAYS = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")
_MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")


def rfc2822(timestamp: float | None) -> str | None:
    """``Sat, 22 Nov 2026 14:20:00 +0000``, independent of the process locale."""
    if timestamp is None:
        return None
    return _format_second(int(timestamp))


@lru_cache(maxsize=8192)
def _format_second(second: int) -> str:
    # Cached: messages created in the same second share their rendered dates.
    t = time.gmtime(second)
    return (
        f"{_DAYS[t.tm_wday]}, {t.tm_mday:02d} {_MONTHS[t.tm_mon - 1]} {t.tm_year} "
        f"{t.tm_hour:02d}:{t.tm_min:02d}:{t.tm_sec:02d} +0000"
    )


def parse_filter_date(text: str) -> tuple[float, bool] | None:
    """A ``DateSent`` value as (UTC epoch seconds, is_date_only); None if it is not a date.

    Accepts ``YYYY-MM-DD`` and the full timestamps the SDK sends (``YYYY-MM-DDTHH:MM:SSZ``,
    also with an offset or fractional seconds).
    """
    text = text.strip()
    if len(text) == 10:
        try:
            day = date.fromisoformat(text)
        except ValueError:
            return None
        return datetime(day.year, day.month, day.day, tzinfo=timezone.utc).timestamp(), True
    try:
        moment = datetime.fromisoformat(text.replace("Z", "+00:00").replace(" ", "T"))
    except ValueError:
        return None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=timezone.utc)
    return moment.timestamp(), False


def parse_send_at(text: str) -> float | None:
    """``SendAt`` in ISO 8601; None if unparseable."""
    parsed = parse_filter_date(text)
    if parsed is None or parsed[1]:
        return None
    return parsed[0]
