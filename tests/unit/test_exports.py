"""The export core's small parts: windows and their files, argument checks, rows, and the writers."""

from __future__ import annotations

import io
import json
from datetime import datetime, timedelta, timezone
from decimal import Decimal
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest

from airflow_provider_twilio.exceptions import TwilioInputError
from airflow_provider_twilio.exports.export import ExportSpec, export_window
from airflow_provider_twilio.exports.schema import Schema, to_row
from airflow_provider_twilio.exports.windows import Window, manual_window, scheduled_windows
from airflow_provider_twilio.exports.writers import JsonLines

DAY = datetime(2026, 11, 20, tzinfo=timezone.utc)


def test_a_daily_run_rewrites_the_days_within_its_lookback() -> None:
    windows = scheduled_windows(DAY, DAY + timedelta(days=1), timedelta(days=3))
    assert [w.start.day for w in windows] == [20, 19, 18, 17]
    assert all(w.end - w.start == timedelta(days=1) for w in windows)
    assert windows[0].partition == "date=2026-11-20"
    assert windows[0].name == "part-20261120T000000Z_20261121T000000Z"


def test_an_hourly_run_has_its_own_file_in_its_days_partition() -> None:
    start = DAY + timedelta(hours=5)
    (window,) = scheduled_windows(start, start + timedelta(hours=1), timedelta(0))
    assert (window.partition, window.name) == ("date=2026-11-20", "part-20261120T050000Z_20261120T060000Z")


def test_a_window_holds_its_start_but_not_its_end() -> None:
    window = Window(DAY, DAY + timedelta(days=1))
    assert window.holds(DAY) and not window.holds(DAY + timedelta(days=1)) and not window.holds(None)


@pytest.mark.parametrize(
    ("since", "until", "problem"),
    [
        (None, None, "no data interval: give since and until"),
        ("2026-11-20", None, "no data interval"),
        ("yesterday", "2026-11-21", "since: 'yesterday' is not a datetime"),
        ("2026-11-21T00:00:00Z", "2026-11-20T00:00:00Z", "must be after since"),
        ("2025-01-01T00:00:00Z", "2026-11-20T00:00:00Z", "at most 366 days"),
    ],
)
def test_manual_windows_are_checked(since: Any, until: Any, problem: str) -> None:
    with pytest.raises(TwilioInputError, match=problem):
        manual_window(since, until)


def test_a_manual_window_is_whole_seconds_in_utc() -> None:
    window = manual_window("2026-11-20T01:00:00.700+01:00", datetime(2026, 11, 21, 0, 0, 0, 900))
    assert window == Window(DAY, DAY + timedelta(days=1))


def test_a_lookback_of_too_many_intervals_is_refused() -> None:
    with pytest.raises(TwilioInputError, match="more than 1000 intervals"):
        scheduled_windows(DAY, DAY + timedelta(minutes=1), timedelta(days=3))


@pytest.mark.parametrize(
    ("kwargs", "problem"),
    [
        ({"resource": "faxes"}, "resource must be one of messages, calls, recordings"),
        ({"resource": "messages", "format": "csv"}, "format must be one of parquet, jsonl"),
        ({"resource": "messages", "page_size": 1001}, "page_size must be from 1 to 1000"),
        ({"resource": "recordings", "audio_format": "ogg"}, "audio_format must be one of wav, mp3"),
    ],
)
def test_export_arguments_are_checked_before_any_request(kwargs: dict[str, Any], problem: str) -> None:
    with pytest.raises(TwilioInputError, match=problem):
        ExportSpec(**kwargs)


def message(**fields: Any) -> Any:
    base = {
        "sid": "SM" + "a" * 32,
        "account_sid": "AC" + "b" * 32,
        "messaging_service_sid": None,
        "direction": "outbound-api",
        "from_": "+15005550006",
        "to": "+14155550100",
        "status": "undelivered",
        "error_code": 30003,
        "num_segments": "2",
        "num_media": "0",
        "price": "-0.01580",
        "price_unit": "USD",
        "date_created": DAY,
        "date_sent": DAY + timedelta(seconds=1),
        "date_updated": DAY + timedelta(seconds=5),
        "body": "Your code is 1234",
    }
    return SimpleNamespace(**{**base, **fields})


def test_a_message_row_has_typed_columns_and_no_body_by_default() -> None:
    exported = datetime(2026, 11, 21, tzinfo=timezone.utc)
    row = to_row(Schema.of("messages", include_body=False), message(), exported)
    assert row["from"] == "+15005550006" and "body" not in row
    assert (row["error_code"], row["error_name"]) == (30003, "UNREACHABLE_DESTINATION_ERROR")
    assert (row["num_segments"], row["price"]) == (2, Decimal("-0.01580"))
    assert row["date_sent"] == DAY + timedelta(seconds=1) and row["exported_at"] == exported
    with_body = to_row(Schema.of("messages", include_body=True), message(price=None, error_code=None), exported)
    assert with_body["body"] == "Your code is 1234" and with_body["price"] is None and with_body["error_name"] is None


def test_the_schema_is_stable_and_ends_with_exported_at() -> None:
    assert Schema.of("messages", include_body=False).names[:7] == [
        "sid",
        "account_sid",
        "messaging_service_sid",
        "direction",
        "from",
        "to",
        "status",
    ]
    for resource in ("messages", "calls", "recordings"):
        assert Schema.of(resource, include_body=True).names[-1] == "exported_at"
    assert "body" not in Schema.of("calls", include_body=True).names


def test_json_lines_write_utc_timestamps_and_exact_prices() -> None:
    schema = Schema.of("messages", include_body=False)
    stream = io.BytesIO()
    writer = JsonLines(stream, schema)
    writer.write([to_row(schema, message(), DAY)])
    writer.close()
    (line,) = stream.getvalue().decode().splitlines()
    row = json.loads(line)
    assert list(row) == schema.names
    assert (row["date_sent"], row["price"]) == ("2026-11-20T00:00:01Z", "-0.01580")


class FakeMessages:
    """The SDK's ``messages.stream`` for a window, recording what it was asked."""

    def __init__(self, records: list[Any]) -> None:
        self.records, self.asked = records, {}

    def stream(self, **kwargs: Any) -> Any:
        self.asked = kwargs
        return iter(self.records)


def test_a_window_asks_twilio_up_to_the_second_before_its_end_and_keeps_only_its_own(tmp_path: Path) -> None:
    inside = message(sid="SM" + "1" * 32, date_sent=DAY + timedelta(hours=23, minutes=59, seconds=59))
    at_end = message(sid="SM" + "2" * 32, date_sent=DAY + timedelta(days=1))
    messages = FakeMessages([at_end, inside])
    client = SimpleNamespace(messages=messages)
    result = export_window(
        client, ExportSpec("messages", "jsonl", page_size=1), Window(DAY, DAY + timedelta(days=1)), tmp_path
    )
    assert messages.asked == {
        "date_sent_after": DAY,
        "date_sent_before": DAY + timedelta(hours=23, minutes=59, seconds=59),
        "page_size": 1,
    }
    written = (tmp_path / "date=2026-11-20" / "part-20261120T000000Z_20261121T000000Z.jsonl").read_text()
    assert result.rows == 1 and [json.loads(line)["sid"] for line in written.splitlines()] == [inside.sid]
    assert [p.name for p in (tmp_path / "date=2026-11-20").iterdir()] == [Path(result.path).name]


def test_a_failed_export_leaves_no_file_and_removes_its_temporary_one(tmp_path: Path) -> None:
    def broken(**kwargs: Any) -> Any:
        yield message()
        raise ConnectionError("Twilio went away")

    client = SimpleNamespace(messages=SimpleNamespace(stream=broken))
    with pytest.raises(ConnectionError):
        export_window(
            client, ExportSpec("messages", "jsonl", page_size=1), Window(DAY, DAY + timedelta(days=1)), tmp_path
        )
    assert list((tmp_path / "date=2026-11-20").iterdir()) == []


def test_a_killed_trys_temporary_file_is_removed_by_the_retry(tmp_path: Path) -> None:
    partition = tmp_path / "date=2026-11-20"
    partition.mkdir()
    leftover = partition / ".part-20261120T000000Z_20261121T000000Z.jsonl.tmp-0badf00d"
    leftover.write_text('{"sid": "half')
    other = partition / ".part-20261120T050000Z_20261120T060000Z.jsonl.tmp-12345678"  # another window's
    other.write_text("")
    client = SimpleNamespace(messages=FakeMessages([]))
    export_window(client, ExportSpec("messages", "jsonl"), Window(DAY, DAY + timedelta(days=1)), tmp_path)
    assert sorted(p.name for p in partition.iterdir()) == sorted(
        [other.name, "part-20261120T000000Z_20261121T000000Z.jsonl"]
    )


def test_the_operator_exports_its_interval_or_the_since_until_of_a_run_without_one() -> None:
    from airflow_provider_twilio.transfers.logs import TwilioLogExportOperator

    task = TwilioLogExportOperator(task_id="export", resource="calls", path="file:///tmp/lake/", status_lookback=0)
    interval = {"data_interval_start": DAY, "data_interval_end": DAY + timedelta(days=1), "params": {}}
    assert task.windows(interval) == [Window(DAY, DAY + timedelta(days=1))]
    manual = {
        "data_interval_start": DAY,
        "data_interval_end": DAY,
        "params": {"since": "2026-11-20", "until": "2026-11-22"},
    }
    assert task.windows(manual) == [Window(DAY, DAY + timedelta(days=2))]
    with pytest.raises(TwilioInputError, match="no data interval"):
        task.windows({"params": {}})
    with pytest.raises(TwilioInputError, match="format must be one of"):
        TwilioLogExportOperator(task_id="bad", resource="calls", path="file:///tmp/lake/", format="xml")
