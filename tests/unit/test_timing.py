"""Two floors with two meanings, one home: a second floor for waiting, a wider look-back for our own sends."""

from __future__ import annotations

import re
from datetime import datetime, timedelta, timezone
from pathlib import Path
from types import SimpleNamespace

import pytest

from airflow_provider_twilio import timing
from airflow_provider_twilio.timing import (
    CLOCK_SKEW,
    DATE_RESOLUTION,
    as_utc,
    created_after,
    created_before,
    is_before,
    lookback_floor,
    second_floor,
)

UTC = timezone.utc
MOMENT = datetime(2026, 11, 22, 14, 0, 1, 500000, tzinfo=UTC)


def record(created: datetime | None) -> SimpleNamespace:
    return SimpleNamespace(date_created=created)


def test_second_floor_truncates_to_the_second_in_utc() -> None:
    assert second_floor(MOMENT) == datetime(2026, 11, 22, 14, 0, 1, tzinfo=UTC)
    plus_one = MOMENT.astimezone(timezone(timedelta(hours=1)))
    assert second_floor(plus_one) == datetime(2026, 11, 22, 14, 0, 1, tzinfo=UTC)
    assert second_floor(plus_one).tzinfo == UTC
    assert second_floor(MOMENT.replace(tzinfo=None)) == datetime(2026, 11, 22, 14, 0, 1, tzinfo=UTC)


def test_lookback_floor_reaches_back_over_resolution_and_skew() -> None:
    assert lookback_floor(MOMENT) == datetime(2026, 11, 22, 13, 59, 59, tzinfo=UTC)
    assert lookback_floor(MOMENT) == second_floor(MOMENT) - DATE_RESOLUTION - CLOCK_SKEW
    assert lookback_floor(MOMENT) < second_floor(MOMENT)


def test_one_date_resolution_everywhere() -> None:
    """Only timing.py defines the API's date resolution and the floors; every other module imports them."""
    package = Path(timing.__file__).parent
    defining = {
        str(path.relative_to(package))
        for path in package.rglob("*.py")
        if re.search(r"^(DATE_RESOLUTION\s*=|def (window_floor|second_floor|lookback_floor)\b)", path.read_text(), re.M)
    }
    assert defining == {"timing.py"}


@pytest.mark.parametrize(
    ("created", "before"),
    [(None, False), (MOMENT - timedelta(seconds=3), True), (second_floor(MOMENT), False)],
)
def test_is_before(created: datetime | None, before: bool) -> None:
    assert is_before(record(created), second_floor(MOMENT)) is before


def test_created_before_and_after_leave_a_margin_for_the_clocks() -> None:
    floor = second_floor(MOMENT)
    assert created_before(record(floor - timedelta(seconds=2)), floor)
    assert not created_before(record(floor - timedelta(seconds=1)), floor)
    assert created_after(record(floor + timedelta(seconds=1)), floor)
    assert not created_after(record(floor), floor)
    assert not created_before(record(None), floor)
    assert not created_after(record(None), floor)


def test_as_utc_takes_naive_as_utc() -> None:
    assert as_utc(datetime(2026, 1, 1)) == datetime(2026, 1, 1, tzinfo=UTC)
