"""A cursor's checkpoint: what a watcher in a restarted triggerer goes on from."""

from __future__ import annotations

import json
from datetime import datetime, timedelta, timezone

import pytest

from airflow_provider_twilio.exceptions import TwilioInputError
from airflow_provider_twilio.inbound.matching import InboundMessage
from airflow_provider_twilio.inbound.polling import InboxCursor

T0 = datetime(2026, 11, 22, 14, 0, 0, tzinfo=timezone.utc)
US = "+15005550006"


def message(sid: str, seconds: float, to: str = US, direction: str = "inbound") -> InboundMessage:
    return InboundMessage(sid, "+15551230001", to, f"body {sid}", T0 + timedelta(seconds=seconds), direction)


def test_unread_skips_what_was_committed_and_other_inboxes_oldest_first() -> None:
    cursor = InboxCursor(US, T0)
    batch = [
        message("SM2", 5),
        message("SM1", 3),
        message("SM9", 4, to="+15005550007"),
        message("OUT", 4, direction="outbound-api"),
    ]
    assert [m.sid for m in cursor.unread(batch)] == ["SM1", "SM2"]
    assert [m.sid for m in cursor.unread(batch)] == ["SM1", "SM2"]  # nothing is remembered before commit
    cursor.commit(cursor.unread(batch), rewound=False)
    # Same second as the high-water mark: only the new SID; older than the overlap: never again.
    later = [message("SM2", 5), message("SM3", 5), message("SM0", 1)]
    assert [m.sid for m in cursor.unread(later)] == ["SM3"]


def test_a_resumed_cursor_reads_on_exactly_where_the_checkpoint_stopped() -> None:
    cursor = InboxCursor(US, T0)
    cursor.commit([message("SM1", 3), message("SM2", 5)], rewound=False)
    saved = json.loads(json.dumps(cursor.checkpoint()))  # it travels as JSON
    resumed = InboxCursor.resume(US, saved)
    assert resumed.lower_bound == cursor.lower_bound == T0 + timedelta(seconds=4)
    assert [m.sid for m in resumed.unread([message("SM2", 5), message("SM3", 5), message("SM4", 9)])] == ["SM3", "SM4"]
    fresh = InboxCursor.resume(US, InboxCursor(US, T0 + timedelta(seconds=30)).checkpoint())
    assert fresh.high_water is None and fresh.lower_bound == T0 + timedelta(seconds=30)


@pytest.mark.parametrize(
    "checkpoint",
    [
        "yesterday",
        {"window_start": "not a date"},
        {"window_start": None},
        {"window_start": T0.isoformat(), "seen": ["SM1"]},
    ],
)
def test_an_unreadable_checkpoint_is_a_named_error(checkpoint: object) -> None:
    with pytest.raises(TwilioInputError, match="checkpoint"):
        InboxCursor.resume(US, checkpoint)
