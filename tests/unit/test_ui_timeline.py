"""The timeline from a run's records and its connections' logs: every kind of row, per connection, masked."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from functools import partial
from typing import Any

from airflow_provider_twilio.ui.lists import Listing
from airflow_provider_twilio.ui.masking import shown
from airflow_provider_twilio.ui.records import Recorded, RunRecords
from airflow_provider_twilio.ui.timeline import build

T0 = datetime(2026, 12, 3, 17, 0, tzinfo=timezone.utc)
ALICE, BOB, US = "+15551230001", "+15551230002", "+15005550006"


def at(seconds: int) -> datetime:
    return T0 + timedelta(seconds=seconds)


def iso(seconds: int) -> str:
    return at(seconds).isoformat()


def sent(to: str, sid: str | None, status: str = "queued", code: int | None = None) -> dict[str, Any]:
    return {
        "to": to,
        "sid": sid,
        "status": status,
        "num_segments": 1 if sid else None,
        "error_code": code,
        "error_type": "RECIPIENT_OPTED_OUT_ERROR" if code == 21610 else None,
        "error_message": None,
    }


RECORDS = RunRecords(
    rows=[
        Recorded("texts", -1, "return_value", [sent(ALICE, "SM1"), sent(BOB, None, "failed", 21610)], at(1)),
        Recorded(
            "call",
            -1,
            "return_value",
            [
                {
                    "to": BOB,
                    "sid": "CA1",
                    "status": "completed",
                    "answered_by": "human",
                    "duration": 14,
                    "acknowledged": True,
                    "error_code": None,
                    "error_type": None,
                }
            ],
            at(5),
        ),
        Recorded(
            "call",
            -1,
            "twilio_keypress_CA1",
            {"call_sid": "CA1", "digits": "1", "expected": "1", "matched": True, "received_at": iso(9)},
            at(9),
        ),
        Recorded(
            "approve",
            -1,
            "twilio_hitl_request_sms",
            {"conn_id": "alerts", "respondents": {ALICE: "alice"}, "sender": US},
            at(10),
        ),
        Recorded(
            "approve",
            -1,
            "twilio_hitl_message_SM9",
            {"from": ALICE, "via": "sms", "state": "done", "chosen": ["Approve"]},
            at(12),
        ),
        Recorded("approve", -1, "twilio_hitl_answer", {"via": "sms", "sid": "SM9", "user": {"id": "alice"}}, at(12)),
    ],
    # read_run() takes a HITL task's connection from the request its notifier registered.
    conn_ids={("texts", -1): "twilio_default", ("call", -1): "twilio_default", ("approve", -1): "alerts"},
    truncated=False,
)
LOGS = {
    ("messages", "twilio_default"): Listing(
        {
            "SM1": {
                "sid": "SM1",
                "direction": "outbound-api",
                "from": US,
                "to": ALICE,
                "body": "Deploy?",
                "segments": 1,
                "status": "undelivered",
                "error_code": 30003,
                "time": iso(2),
            }
        }
    ),
    ("calls", "twilio_default"): Listing(
        {"CA1": {"sid": "CA1", "status": "completed", "answered_by": "human", "duration": "14", "time": iso(6)}}
    ),
    ("messages", "alerts"): Listing(
        {
            "SM9": {
                "sid": "SM9",
                "direction": "inbound",
                "from": ALICE,
                "to": US,
                "body": "1",
                "segments": 1,
                "status": "received",
                "error_code": None,
                "time": iso(11),
            }
        }
    ),
}


def test_every_kind_oldest_first_each_task_through_its_own_connection() -> None:
    asked: list[tuple[str, str]] = []

    def lists(kind: str, conn_id: str) -> Listing:
        asked.append((kind, conn_id))
        return LOGS[(kind, conn_id)]

    events, errors = build(RECORDS, lists, partial(shown, full=False))
    assert errors == []
    assert sorted(asked) == [("calls", "twilio_default"), ("messages", "alerts"), ("messages", "twilio_default")]
    assert [(e["kind"], e.get("task_id")) for e in events] == [
        ("message", "texts"),  # recorded at 1 s, no live time: the task's record time
        ("message", "texts"),
        ("call", "call"),
        ("keypress", "call"),
        ("reply", None),
        ("hitl_answer", "approve"),
    ]
    failed_at_send, undelivered = events[0], events[1]
    assert (failed_at_send["to"], failed_at_send["sid"], failed_at_send["status"]) == ("+1555•••0002", None, "failed")
    assert (failed_at_send["error_code"], failed_at_send["error_name"]) == (21610, "RECIPIENT_OPTED_OUT_ERROR")
    assert (undelivered["status"], undelivered["error_code"], undelivered["body"]) == ("undelivered", 30003, "Deploy?")
    assert undelivered["error_name"] is not None
    call, keypress, reply, answer = events[2:]
    assert (call["to"], call["answered_by"], call["acknowledged"]) == ("+1555•••0002", "human", True)
    assert (keypress["digits"], keypress["matched"]) == ("1", True)
    assert (reply["from"], reply["matched"], reply["match_groups"]) == ("+1555•••0001", True, {"chosen": ["Approve"]})
    assert (answer["via"], answer["user"], answer["chosen"]) == ("sms", {"id": "alice"}, ["Approve"])


def test_a_log_that_cannot_be_read_is_reported_and_the_records_stand() -> None:
    def lists(kind: str, conn_id: str) -> Listing:
        return Listing({}, error="TwilioException (TWILIO_CONNECTION_ERROR)")

    events, errors = build(RECORDS, lists, partial(shown, full=True))
    assert "twilio_default messages: TwilioException (TWILIO_CONNECTION_ERROR)" in errors
    texts = [e for e in events if e["kind"] == "message"]
    assert [(e["to"], e["status"]) for e in texts] == [(ALICE, "queued"), (BOB, "failed")]
