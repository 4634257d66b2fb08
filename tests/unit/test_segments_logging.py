from __future__ import annotations

import pytest

from airflow_provider_twilio.sending.validation import validate_batch


def describe(body: str, recipients: int = 3) -> str:
    to = [f"+1415555{i:04d}" for i in range(recipients)]
    return validate_batch(to=to, body=body, from_="+15005550006").describe()


@pytest.mark.parametrize(
    ("body", "encoding", "units", "per_message"),
    [
        ("a" * 160, "GSM-7", 160, 1),
        ("a" * 161, "GSM-7", 161, 2),
        ("€" * 80, "GSM-7", 160, 1),  # extension characters take two septets
        ("{" * 81, "GSM-7", 162, 2),
        ("a" * 159 + "[", "GSM-7", 161, 2),
        ("a" * 158 + "[", "GSM-7", 160, 1),
        ("é" * 70, "GSM-7", 70, 1),
        ("ç" * 70, "UCS-2", 70, 1),  # only upper-case Ç is in GSM-7
        ("😀" * 35, "UCS-2", 70, 1),  # emoji take two UTF-16 units
        ("😀" * 36, "UCS-2", 72, 2),
        ("a" * 66 + "😀", "UCS-2", 68, 1),
    ],
)
def test_log_line_states_encoding_and_segments(body, encoding, units, per_message):
    line = describe(body)
    assert f"{units} {encoding} units" in line
    assert f"{per_message} segment(s) per message" in line
    assert f"{per_message * 3} segment(s) for the batch" in line


def test_media_only_batch_has_no_segments():
    batch = validate_batch(to="+14155550100", media_url="https://example.com/a.png", from_="+15005550006")
    assert batch.segments is None
    assert "no body text" in batch.describe()
