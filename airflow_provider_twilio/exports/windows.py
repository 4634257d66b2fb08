"""Time windows of an export and where each one's file goes.

A scheduled run exports its data interval and, for ``status_lookback``, the earlier windows of the
same length, so their rows carry statuses that changed since; each window always writes the same
file (``date=<start day>/part-<start>_<end>``), so a re-run rewrites, never duplicates.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from airflow_provider_twilio.exceptions import TwilioInputError
from airflow_provider_twilio.timing import as_utc, parse_since

MAX_WINDOWS = 1000
"""A lookback longer than this many intervals is refused: it would re-read too much on every run."""
MAX_MANUAL_SPAN = timedelta(days=366)


@dataclass(frozen=True)
class Window:
    """``[start, end)`` in UTC, whole seconds."""

    start: datetime
    end: datetime

    @property
    def partition(self) -> str:
        return f"date={self.start:%Y-%m-%d}"

    @property
    def name(self) -> str:
        return f"part-{self.start:%Y%m%dT%H%M%SZ}_{self.end:%Y%m%dT%H%M%SZ}"

    def holds(self, moment: datetime | None) -> bool:
        return moment is not None and self.start <= moment < self.end


def _whole_second(moment: datetime) -> datetime:
    return as_utc(moment).replace(microsecond=0)


def scheduled_windows(start: datetime, end: datetime, status_lookback: timedelta) -> list[Window]:
    """The interval first, then each earlier window of the same length that starts within the lookback."""
    start, end = _whole_second(start), _whole_second(end)
    if end <= start:
        raise TwilioInputError(f"the data interval {start.isoformat()} to {end.isoformat()} is empty")
    if status_lookback < timedelta(0):
        raise TwilioInputError(f"status_lookback must not be negative; got {status_lookback}")
    length = end - start
    if status_lookback / length > MAX_WINDOWS:
        raise TwilioInputError(
            f"status_lookback {status_lookback} covers more than {MAX_WINDOWS} intervals of {length}: "
            "use a shorter lookback or a longer schedule"
        )
    windows = [Window(start, end)]
    floor = start - status_lookback
    while windows[-1].start - length >= floor:
        windows.append(Window(windows[-1].start - length, windows[-1].start))
    return windows


def manual_window(since: Any, until: Any) -> Window:
    """``since``/``until`` of a run with no data interval (ISO-8601 strings or datetimes), checked."""
    if since in (None, "") or until in (None, ""):
        raise TwilioInputError(
            "this run has no data interval: give since and until (ISO-8601, e.g. '2026-11-22T00:00:00Z'), "
            "as arguments or as params"
        )
    start, end = _whole_second(parse_since(since, "since")), _whole_second(parse_since(until, "until"))
    if end <= start:
        raise TwilioInputError(f"until ({end.isoformat()}) must be after since ({start.isoformat()})")
    if end - start > MAX_MANUAL_SPAN:
        raise TwilioInputError(f"since to until spans {end - start}; at most {MAX_MANUAL_SPAN.days} days per run")
    return Window(start, end)


def parse_lookback(value: Any) -> timedelta:
    """A timedelta, or seconds as a number."""
    if isinstance(value, timedelta):
        return value
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return timedelta(seconds=value)
    raise TwilioInputError(f"status_lookback must be a timedelta or seconds; got {value!r}")


def one_second_before(moment: datetime) -> datetime:
    """Twilio's date filters include their bound, to the second: ``[start, end)`` asks up to ``end - 1 s``."""
    return moment - timedelta(seconds=1)
