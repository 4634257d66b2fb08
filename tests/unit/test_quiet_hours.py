"""Quiet hours: the window, a number's time zones (the most cautious when it has several), the waves, and the
checks the operator and notifier run when built."""

from __future__ import annotations

from datetime import datetime, time, timedelta, timezone

import pytest

from airflow_provider_twilio.exceptions import TwilioInputError
from airflow_provider_twilio.sending.quiet_hours import (
    QuietHours,
    checked_policy,
    checked_quiet_hours,
    local_window,
    next_opening,
    time_zones_for,
)
from airflow_provider_twilio.sending.quiet_waves import QuietWaves
from airflow_provider_twilio.sending.validation import validate_batch

NIGHT = QuietHours(time(21), time(8))
IDAHO = "+12085550100"  # area code 208: Boise (Mountain) and Los Angeles (Pacific)
ALASKA = "+19075550100"  # area code 907: Anchorage and Adak


def utc(*args: int) -> datetime:
    return datetime(*args, tzinfo=timezone.utc)


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (("21:00", "08:00"), NIGHT),
        (["21:00", "08:00"], NIGHT),
        ((time(21), time(8)), NIGHT),
        ((" 12:30", "14:00 "), QuietHours(time(12, 30), time(14))),
        (None, None),
    ],
)
def test_quiet_hours_accepted(value: object, expected: QuietHours | None) -> None:
    assert checked_quiet_hours(value) == expected


@pytest.mark.parametrize(
    ("value", "names"),
    [
        ("21:00-08:00", "expected a (start, end) pair"),
        (("21:00",), "expected a (start, end) pair"),
        (("21:00", "08:00", "09:00"), "expected a (start, end) pair"),
        (("25:00", "08:00"), "'25:00' is not a local time as 'HH:MM'"),
        (("9pm", "08:00"), "'9pm' is not a local time"),
        (("21:00:00", "08:00"), "'21:00:00' is not a local time"),
        (("21:00+02:00", "08:00"), "is not a local time"),
        ((21, 8), "21 is not a local time"),
        (("21:00", "21:00"), "start and end are the same time"),
    ],
)
def test_quiet_hours_refused_naming_parameter_value_and_what_is_valid(value: object, names: str) -> None:
    with pytest.raises(TwilioInputError) as raised:
        checked_quiet_hours(value)
    message = str(raised.value)
    assert message.startswith(f"quiet_hours: {value!r} is not valid") and names in message
    assert "('21:00', '08:00')" in message


def test_policy_is_defer_or_skip() -> None:
    assert checked_policy("defer") == "defer" and checked_policy("skip") == "skip"
    with pytest.raises(TwilioInputError, match=r"quiet_hours_policy: 'later' is not valid; expected 'defer' .* 'skip'"):
        checked_policy("later")


def test_operator_and_notifier_refuse_bad_values_when_built() -> None:
    from airflow_provider_twilio.notifications.sms import TwilioSmsNotifier
    from airflow_provider_twilio.operators.sms import TwilioSendSmsOperator

    with pytest.raises(TwilioInputError, match=r"^quiet_hours: \('21:00', '8am'\) is not valid"):
        TwilioSendSmsOperator(task_id="t", to="+15551230001", body="hi", quiet_hours=("21:00", "8am"))
    with pytest.raises(TwilioInputError, match=r"^quiet_hours_policy: 'wait' is not valid"):
        TwilioSendSmsOperator(
            task_id="t", to="+15551230001", body="hi", quiet_hours=("21:00", "08:00"), quiet_hours_policy="wait"
        )
    with pytest.raises(TwilioInputError, match=r"^quiet_hours: '21:00' is not valid"):
        TwilioSmsNotifier(to="+15551230001", body="hi", quiet_hours="21:00")
    built = TwilioSendSmsOperator(task_id="t", to="+15551230001", body="hi", quiet_hours=("21:00", "08:00"))
    assert built.quiet_hours == NIGHT and built.quiet_hours_policy == "defer"


@pytest.mark.parametrize(
    ("local", "quiet"),
    [
        (time(20, 59), False),
        (time(21), True),
        (time(23, 59), True),
        (time(0), True),
        (time(7, 59), True),
        (time(8), False),
    ],
)
def test_a_window_across_midnight(local: time, quiet: bool) -> None:
    assert NIGHT.is_quiet_at(local) is quiet


def test_a_window_within_one_day() -> None:
    lunch = QuietHours(time(12), time(14))
    assert [lunch.is_quiet_at(time(h)) for h in (11, 12, 13, 14)] == [False, True, True, False]


def test_time_zones_from_country_and_region() -> None:
    assert time_zones_for("+12125550100") == ("America/New_York",)
    assert time_zones_for("+442079460123") == ("Europe/London",)
    assert time_zones_for("whatsapp:+81312345678") == ("Asia/Tokyo",)
    assert set(time_zones_for(IDAHO)) == {"America/Boise", "America/Los_Angeles"}
    assert time_zones_for("+15551230150") == ()  # fictional 555 numbers: no known zone
    assert time_zones_for("not a number") == ()


def test_one_zone_open_and_quiet_with_daylight_saving() -> None:
    new_york = ("America/New_York",)
    assert local_window("+12125550100", new_york, NIGHT, utc(2026, 7, 1, 12, 30)).is_open  # 08:30 EDT
    summer = local_window("+12125550100", new_york, NIGHT, utc(2026, 7, 1, 11, 30))  # 07:30 EDT
    assert not summer.is_open and summer.opens_at == utc(2026, 7, 1, 12)
    winter = local_window("+12125550100", new_york, NIGHT, utc(2026, 1, 15, 11, 30))  # 06:30 EST
    assert winter.opens_at == utc(2026, 1, 15, 13)
    assert "06:30 in America/New_York" in winter.detail and "opens 2026-01-15T13:00Z (08:00" in winter.detail


def test_a_region_across_zones_is_quiet_if_quiet_in_any() -> None:
    zones = time_zones_for(IDAHO)
    morning = local_window(IDAHO, zones, NIGHT, utc(2026, 1, 15, 15, 30))  # 08:30 Boise, 07:30 Los Angeles
    assert not morning.is_open and morning.quiet_zones == ("America/Los_Angeles",)
    assert morning.opens_at == utc(2026, 1, 15, 16)  # when Los Angeles reaches 08:00
    assert "(of the 2 zones this number may be in)" in morning.detail
    evening = local_window(IDAHO, zones, NIGHT, utc(2026, 1, 16, 4, 30))  # 21:30 Boise, 20:30 Los Angeles
    assert not evening.is_open and evening.quiet_zones == ("America/Boise",)
    assert evening.opens_at == utc(2026, 1, 16, 16)  # open in both only once Los Angeles reaches 08:00
    assert local_window(IDAHO, zones, NIGHT, utc(2026, 1, 15, 16)).is_open


def test_the_window_opens_when_open_in_all_zones() -> None:
    zones = time_zones_for(ALASKA)
    assert next_opening(NIGHT, zones, utc(2026, 1, 15, 10)) == utc(2026, 1, 15, 18)  # Adak (UTC-10) 08:00


def test_zones_that_never_share_an_open_moment_never_open() -> None:
    short_day = QuietHours(time(12), time(8))  # open 08:00-12:00 local only
    window = local_window("+1", ("Asia/Tokyo", "America/New_York"), short_day, utc(2026, 1, 15, 0))
    assert not window.is_open and window.never_opens and "never all outside quiet hours" in window.detail


def test_a_number_with_no_zone_is_never_open() -> None:
    window = local_window("+15551230150", (), NIGHT, utc(2026, 1, 15, 12))
    assert window.never_opens and "no known time zone" in window.detail


ZONES = {
    "+81312345678": ("Asia/Tokyo",),
    "+442079460123": ("Europe/London",),
    "+12125550148": ("America/New_York",),
    "+15551230150": (),
}


def batch() -> object:
    return validate_batch(to=list(ZONES), body="hi", from_="+15005550006")


def test_waves_defer_the_quiet_and_skip_the_unknown() -> None:
    waves = QuietWaves(NIGHT, "defer", utc(2025, 1, 15, 2), zones_for=ZONES.__getitem__)
    first = waves.narrow(batch())  # type: ignore[arg-type]
    assert first.recipients == ("+81312345678",)
    assert waves.resume_at == utc(2025, 1, 15, 8)
    assert waves.done["+15551230150"]["status"] == "skipped"
    waves.merge(list(ZONES), [{"to": "+81312345678", "sid": "SM1", "status": "queued"}])

    second = QuietWaves.resumed(waves.state(), NIGHT, "defer", utc(2025, 1, 15, 2), zones_for=ZONES.__getitem__)
    assert second.now == utc(2025, 1, 15, 8) and second.waves == 2  # a clock behind the trigger's is moved on
    assert second.narrow(batch()).recipients == ("+442079460123",)  # Tokyo (17:00, open) is not sent again
    assert second.resume_at == utc(2025, 1, 15, 13)


def test_waves_skip_policy_skips_every_quiet_recipient() -> None:
    waves = QuietWaves(NIGHT, "skip", utc(2025, 1, 15, 2), zones_for=ZONES.__getitem__)
    assert waves.narrow(batch()).recipients == ("+81312345678",)  # type: ignore[arg-type]
    assert waves.resume_at is None
    assert {to: r["error_type"] for to, r in waves.done.items()} == dict.fromkeys(list(ZONES)[1:], "QUIET_HOURS")


def test_quiet_hours_with_send_at_is_refused_before_sending() -> None:
    scheduled = validate_batch(
        to=list(ZONES),
        body="hi",
        messaging_service_sid="MG" + "0" * 32,
        send_at=datetime.now(timezone.utc) + timedelta(days=1),
    )
    waves = QuietWaves(NIGHT, "defer", utc(2025, 1, 15, 2), zones_for=ZONES.__getitem__)
    with pytest.raises(TwilioInputError, match="quiet_hours cannot be combined with send_at"):
        waves.narrow(scheduled)
