"""Quiet hours: whether it is night where a recipient lives, and when their window opens.

The local time comes from the number: country and region (``phonenumbers``' time-zone map). A
region that spans several zones is judged by the most cautious of them: quiet if it is quiet in ANY
of its zones, open only when it is open in ALL. A number with no known zone, or whose zones never
share an open moment, cannot be texted at a known-safe time, so it is never sent (skipped).
Every function takes ``now``: there is no hidden clock.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta, timezone
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from airflow_provider_twilio.addresses import split_channel
from airflow_provider_twilio.exceptions import TwilioInputError

QUIET_HOURS = "QUIET_HOURS"
"""The ``error_type`` of a recipient skipped because it is night where they live."""
POLICIES = ("defer", "skip")
_EXAMPLE = "('21:00', '08:00')"
_UNKNOWN_ZONE = "Etc/Unknown"


@dataclass(frozen=True)
class QuietHours:
    """Local times from ``start`` (inclusive) to ``end`` (exclusive) when nobody is texted; may span midnight."""

    start: time
    end: time

    @property
    def label(self) -> str:
        return f"{self.start:%H:%M}-{self.end:%H:%M}"

    def is_quiet_at(self, local: time) -> bool:
        local = local.replace(tzinfo=None)
        if self.start < self.end:
            return self.start <= local < self.end
        return local >= self.start or local < self.end


def _clock_time(value: Any, parameter: str, whole: Any) -> time:
    if isinstance(value, time):
        return value.replace(tzinfo=None)
    if isinstance(value, str):
        try:
            parsed = time.fromisoformat(value.strip())
        except ValueError:
            parsed = None
        if parsed is not None and parsed.tzinfo is None and len(value.strip()) == 5:
            return parsed
    raise TwilioInputError(
        f"{parameter}: {whole!r} is not valid; {value!r} is not a local time as 'HH:MM' (24-hour clock, e.g. "
        f"'21:00'). Expected a (start, end) pair such as {_EXAMPLE}, or None for no quiet hours"
    )


def checked_quiet_hours(value: Any, parameter: str = "quiet_hours") -> QuietHours | None:
    """A ``(start, end)`` pair of 'HH:MM' local times (or ``datetime.time``), or None; a clear error otherwise."""
    if value is None:
        return None
    if isinstance(value, QuietHours):
        return value
    if isinstance(value, (str, bytes)) or not isinstance(value, Sequence) or len(value) != 2:
        raise TwilioInputError(
            f"{parameter}: {value!r} is not valid; expected a (start, end) pair of local times such as "
            f"{_EXAMPLE} (quiet from 21:00 until 08:00 where each recipient lives), or None for no quiet hours"
        )
    start, end = (_clock_time(item, parameter, value) for item in value)
    if start == end:
        raise TwilioInputError(
            f"{parameter}: {value!r} is not valid; start and end are the same time, so the window is empty or the "
            f"whole day. Expected two different times such as {_EXAMPLE}"
        )
    return QuietHours(start, end)


def checked_policy(value: Any, parameter: str = "quiet_hours_policy") -> str:
    if value not in POLICIES:
        raise TwilioInputError(
            f"{parameter}: {value!r} is not valid; expected 'defer' (wait until the recipient's window opens, "
            "freeing the worker slot) or 'skip' (report quiet recipients as skipped)"
        )
    return str(value)


def time_zones_for(address: str) -> tuple[str, ...]:
    """The IANA zones of the number behind ``address`` (``whatsapp:`` included); ``()`` when none is known."""
    import phonenumbers
    from phonenumbers import timezone as number_zones

    _prefix, number = split_channel(address)
    try:
        parsed = phonenumbers.parse(number, None)
    except phonenumbers.NumberParseException:
        return ()
    zones = []
    for name in number_zones.time_zones_for_number(parsed):
        if name == _UNKNOWN_ZONE:
            continue
        try:
            ZoneInfo(name)
        except (ZoneInfoNotFoundError, ValueError):
            continue
        zones.append(name)
    return tuple(zones)


@dataclass(frozen=True)
class LocalWindow:
    """Where a recipient stands at ``now``: open, quiet until ``opens_at``, or never safely textable.

    It depends only on the zones, so recipients with the same zones share one (``to`` is the first judged)."""

    to: str
    zones: tuple[str, ...]
    quiet_zones: tuple[str, ...]
    opens_at: datetime | None
    """When the window opens in all the number's zones (UTC); None when open now, or when it never does."""
    detail: str

    @property
    def is_open(self) -> bool:
        return bool(self.zones) and not self.quiet_zones

    @property
    def never_opens(self) -> bool:
        return not self.is_open and self.opens_at is None


def _local(moment: datetime, zone: str) -> datetime:
    return moment.astimezone(ZoneInfo(zone))


def _quiet_zones(hours: QuietHours, zones: Sequence[str], moment: datetime) -> tuple[str, ...]:
    return tuple(zone for zone in zones if hours.is_quiet_at(_local(moment, zone).time()))


def _openings(hours: QuietHours, zone: str, after: datetime) -> list[datetime]:
    """The moments (UTC) the window opens in ``zone`` over the next few days, from ``after``."""
    first: date = _local(after, zone).date() - timedelta(days=1)
    found = []
    for day in range(4):
        local = datetime.combine(first + timedelta(days=day), hours.end, tzinfo=ZoneInfo(zone))
        moment = local.astimezone(timezone.utc)
        if moment > after:
            found.append(moment)
    return found


def next_opening(hours: QuietHours, zones: Sequence[str], now: datetime) -> datetime | None:
    """The first moment after ``now`` when it is not quiet in any of ``zones``; None if there is none."""
    candidates = sorted({moment for zone in zones for moment in _openings(hours, zone, now)})
    return next((moment for moment in candidates if not _quiet_zones(hours, zones, moment)), None)


def local_window(to: str, zones: Sequence[str], hours: QuietHours, now: datetime) -> LocalWindow:
    """Judge ``to`` at ``now`` (aware) by every one of its ``zones``, the most cautious answer winning."""
    now = now.astimezone(timezone.utc)
    zones = tuple(zones)
    if not zones:
        return LocalWindow(
            to,
            zones,
            (),
            None,
            f"quiet hours {hours.label}: no known time zone for this number, so its local time "
            "cannot be known; not sent",
        )
    quiet = _quiet_zones(hours, zones, now)
    if not quiet:
        return LocalWindow(to, zones, (), None, "")
    opens = next_opening(hours, zones, now)
    where = ", ".join(f"{_local(now, zone):%H:%M} in {zone}" for zone in quiet)
    span = f" (of the {len(zones)} zones this number may be in)" if len(zones) > 1 else ""
    if opens is None:
        when = "its zones are never all outside quiet hours at once; not sent"
    else:
        when = f"the window opens {opens:%Y-%m-%dT%H:%M}Z ({_local(opens, quiet[0]):%H:%M} in {quiet[0]})"
    return LocalWindow(to, zones, quiet, opens, f"quiet hours {hours.label}: local time {where}{span}; {when}")
