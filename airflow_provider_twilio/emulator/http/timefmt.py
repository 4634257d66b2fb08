"""Twilio's date formats: RFC 2822 in responses (one-second resolution); ISO 8601 and others in list filters."""

from __future__ import annotations

import time
from datetime import date, datetime, timedelta, timezone
from email.utils import parsedate_to_datetime
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


_ZONES = {"UT": 0, "UTC": 0, "GMT": 0, "Z": 0, "EST": -5, "EDT": -4, "CST": -6, "CDT": -5, "MST": -7, "MDT": -6}
_ZONES |= {"PST": -8, "PDT": -7}
"""The zone names RFC 2822 knows (hours from UTC), for ``06/11/2019 22:05:25 MST``."""


def parse_filter_date(text: str) -> tuple[float, bool] | None:
    """A ``DateSent``-style filter value as (UTC epoch seconds, whole_day); None if it is not a date.

    Accepts ``YYYY-MM-DD``, the SDK's ``YYYY-MM-DDTHH:MM:SSZ`` (also with an offset or fractional
    seconds), and the forms in the spec's examples: ``2019-06-11 22:05:25.000``,
    ``06/11/2019 22:05:25 MST`` and RFC 2822 (``Wed, 19 Jun 2019 22:04:00 -0000``). A value at
    exactly 00:00:00 UTC stands for that whole day: that is how the SDK sends a ``date``.
    """
    text = text.strip()
    if len(text) == 10 and text[4] == "-":
        try:
            day = date.fromisoformat(text)
        except ValueError:
            return None
        return datetime(day.year, day.month, day.day, tzinfo=timezone.utc).timestamp(), True
    moment = _iso_timestamp(text) or _us_timestamp(text) or _rfc2822_timestamp(text)
    if moment is None:
        return None
    try:
        at = moment.timestamp()
    except (OverflowError, ValueError):
        return None
    return at, at % 86400 == 0


def _aware(moment: datetime) -> datetime:
    return moment.replace(tzinfo=timezone.utc) if moment.tzinfo is None else moment


def _iso_timestamp(text: str) -> datetime | None:
    try:
        return _aware(datetime.fromisoformat(text.replace("Z", "+00:00").replace(" ", "T", 1)))
    except ValueError:
        return None


def _us_timestamp(text: str) -> datetime | None:
    """``MM/DD/YYYY HH:MM:SS`` with an optional zone name or ``+HHMM`` offset (GMT when absent)."""
    stamp, _, zone = text.partition(" ")
    clock, _, zone = zone.partition(" ")
    try:
        moment = datetime.strptime(f"{stamp} {clock}", "%m/%d/%Y %H:%M:%S")
    except ValueError:
        return None
    if not zone:
        return moment.replace(tzinfo=timezone.utc)
    if zone.upper() in _ZONES:
        return moment.replace(tzinfo=timezone(timedelta(hours=_ZONES[zone.upper()])))
    try:
        return datetime.strptime(f"{stamp} {clock} {zone}", "%m/%d/%Y %H:%M:%S %z")
    except ValueError:
        return None


def _rfc2822_timestamp(text: str) -> datetime | None:
    try:
        return _aware(parsedate_to_datetime(text))
    except (TypeError, ValueError, IndexError):
        return None


def rfc2822_seconds(text: str | None) -> float | None:
    """The epoch seconds of a date the API rendered (``start_time``, ``end_time``); None for null."""
    moment = None if text is None else _rfc2822_timestamp(text)
    return None if moment is None else moment.timestamp()


def parse_send_at(text: str) -> float | None:
    """``SendAt`` in ISO 8601 with a time; None if unparseable."""
    if len(text.strip()) <= 10:
        return None
    moment = _iso_timestamp(text.strip())
    try:
        return None if moment is None else moment.timestamp()
    except (OverflowError, ValueError):
        return None
