"""History seeded in bulk: messages, calls and recordings with dates in the past, checked like a request.

Each record is a plain JSON object (times are Unix seconds), so the Python API and
``POST /_emulator/seed/...`` take the same input; a bad record fails the whole batch before anything is stored.
"""

from __future__ import annotations

import math
import secrets
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from airflow_provider_twilio.emulator.model.call_resource import call_resource
from airflow_provider_twilio.emulator.model.message_store import Message, Step, new_sid

MAX_SEED_RECORDS = 200_000
MESSAGE_STATUSES = frozenset(
    {"queued", "sent", "delivered", "undelivered", "failed", "received", "read", "canceled", "accepted", "scheduled"}
)
NOT_SENT = frozenset({"queued", "accepted", "scheduled", "canceled"})
MESSAGE_DIRECTIONS = frozenset({"outbound-api", "outbound-call", "outbound-reply", "inbound"})
CALL_STATUSES = frozenset({"completed", "busy", "failed", "no-answer", "canceled"})
RECORDING_CHANNELS = (1, 2)
MAX_RECORDING_SECONDS = 4 * 3600


def _records(records: Any, kind: str) -> Sequence[Mapping[str, Any]]:
    if not isinstance(records, list) or not all(isinstance(r, dict) for r in records):
        raise ValueError(f"{kind} must be a list of JSON objects")
    if len(records) > MAX_SEED_RECORDS:
        raise ValueError(f"at most {MAX_SEED_RECORDS} {kind} per request; got {len(records)}")
    return records


def _time(record: Mapping[str, Any], name: str, default: float | None = None) -> float:
    value = record.get(name, default)
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value) or value < 0:
        raise ValueError(f"{name} must be a Unix time in seconds; got {value!r}")
    return float(value)


def _count(record: Mapping[str, Any], name: str, default: int, low: int = 0, high: int = 10_000) -> int:
    value = record.get(name, default)
    if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
        raise ValueError(f"{name} must be a whole number from {low} to {high}; got {value!r}")
    return value


def _text(record: Mapping[str, Any], name: str, default: str | None = None) -> str:
    value = record.get(name, default)
    if not isinstance(value, str) or (not value and default is None):
        raise ValueError(f"{name} must be a non-empty string; got {value!r}")
    return value


def _sid(record: Mapping[str, Any], prefix: str, fresh: str | None = None) -> str:
    sid = record.get("sid")
    if sid is None:
        return prefix + fresh if fresh is not None else new_sid(prefix)
    if not isinstance(sid, str) or len(sid) != 34 or not sid.startswith(prefix):
        raise ValueError(f"sid must be {prefix} followed by 32 hex digits; got {sid!r}")
    return sid


def _error_code(record: Mapping[str, Any]) -> int | None:
    code = record.get("error_code")
    if code is not None and (isinstance(code, bool) or not isinstance(code, int) or not 0 < code < 100_000):
        raise ValueError(f"error_code must be a Twilio error number or null; got {code!r}")
    return code


@dataclass(frozen=True)
class SeededMessage:
    """A message as it stood when seeded: created, sent (unless never sent) and in its final ``status``."""

    message: Message

    @classmethod
    def parse(cls, record: Mapping[str, Any], account_sid: str, fresh_sid: str | None = None) -> SeededMessage:
        direction = _text(record, "direction", "outbound-api")
        if direction not in MESSAGE_DIRECTIONS:
            raise ValueError(f"direction must be one of {sorted(MESSAGE_DIRECTIONS)}; got {direction!r}")
        status = _text(record, "status", "received" if direction == "inbound" else "delivered")
        if status not in MESSAGE_STATUSES:
            raise ValueError(f"status must be one of {sorted(MESSAGE_STATUSES)}; got {status!r}")
        if (direction == "inbound") != (status == "received"):
            raise ValueError(f"a{'n inbound' if direction == 'inbound' else 'n outbound'} message cannot be {status!r}")
        created = _time(record, "date_created")
        sent = _time(record, "date_sent", created + 1.0)
        if sent < created:
            raise ValueError("date_sent must not be before date_created")
        error_code = _error_code(record)
        if direction == "inbound":
            timeline = [Step(created, "received")]
        elif status in NOT_SENT:
            timeline = [Step(created, "queued")] + ([] if status == "queued" else [Step(created, status)])
        else:
            timeline = [Step(created, "queued"), Step(sent, "sent")]
            if status != "sent":
                timeline.append(Step(sent, status, error_code, None if error_code is None else "seeded error"))
        num_media = _count(record, "num_media", 0, high=10)
        message = Message(
            sid=_sid(record, "SM" if num_media == 0 else "MM", fresh_sid),
            account_sid=account_sid,
            seq=0,
            created_at=created,
            to=_text(record, "to"),
            from_=_text(record, "from"),
            body=_text(record, "body", ""),
            direction=direction,
            timeline=timeline,
            media_urls=tuple(f"https://example.com/seeded/{i}.jpg" for i in range(num_media)),
            messaging_service_sid=record.get("messaging_service_sid") or None,
            num_segments=_count(record, "num_segments", 1, high=1600),
            modified_at=timeline[-1].at,
        )
        return cls(message)


def parse_messages(records: Any, account_sid: str) -> list[Message]:
    checked = _records(records, "messages")
    randomness = secrets.token_hex(16 * len(checked))  # one read of the OS's randomness for every new SID
    return [
        SeededMessage.parse(record, account_sid, randomness[32 * i : 32 * i + 32]).message
        for i, record in enumerate(checked)
    ]


def parse_calls(records: Any, account_sid: str) -> list[dict[str, Any]]:
    """Finished calls, each the Call resource as the API returns it."""
    from airflow_provider_twilio.emulator.http.timefmt import rfc2822

    calls = []
    for record in _records(records, "calls"):
        status = _text(record, "status", "completed")
        if status not in CALL_STATUSES:
            raise ValueError(f"status must be one of {sorted(CALL_STATUSES)}; got {status!r}")
        start = _time(record, "start_time")
        duration = _count(record, "duration", 0 if status != "completed" else 30, high=MAX_RECORDING_SECONDS)
        answered = status == "completed"
        end = start + duration
        sid = _sid(record, "CA")
        to, from_ = _text(record, "to"), _text(record, "from")
        price = f"-{0.014 * max(math.ceil(duration / 60), 1):.5f}" if answered else None
        calls.append(
            call_resource(
                account_sid,
                sid,
                to=to,
                from_=from_,
                date_created=rfc2822(start),
                date_updated=rfc2822(end),
                status=status,
                direction=_text(record, "direction", "outbound-api"),
                start_time=rfc2822(start) if answered else None,
                end_time=rfc2822(end) if answered else None,
                duration=str(duration),
                price=price,
                answered_by=record.get("answered_by"),
            )
        )
    return calls
