"""The per-recipient result dicts pushed to XCom: JSON-serialisable, one shape for success and failure."""

from __future__ import annotations

from typing import Any

from airflow_provider_twilio.exceptions import ErrorType, TwilioProviderError, error_type_for

RESULT_KEYS = ("to", "sid", "status", "num_segments", "error_code", "error_type", "error_message")


def from_message(to: str, message: Any) -> dict[str, Any]:
    """A result from an SDK ``MessageInstance`` (created now, or found in the message log)."""
    code = message.error_code
    segments = message.num_segments
    return {
        "to": to,
        "sid": message.sid,
        "status": message.status,
        # "0" until a Messaging Service has picked a sender and counted the segments: not known yet.
        "num_segments": int(segments) if segments not in (None, "", "0") else None,
        "error_code": code,
        "error_type": error_type_for(code).value if code else None,
        "error_message": message.error_message,
    }


def from_error(to: str, error: TwilioProviderError) -> dict[str, Any]:
    """A result for a recipient Twilio did not accept a message for (``opted_out`` for 21610)."""
    return {
        "to": to,
        "sid": None,
        "status": OPTED_OUT if error.error_type is ErrorType.RECIPIENT_OPTED_OUT_ERROR else "failed",
        "num_segments": None,
        "error_code": error.code,
        "error_type": error.error_type.value,
        "error_message": error.message,
    }


SKIPPED = "skipped"
"""The status of a recipient deliberately not texted (quiet hours, line type): not a failure."""


def skipped(to: str, reason: str, detail: str) -> dict[str, Any]:
    """A result for a recipient a policy kept from being texted; ``reason`` is a short UPPER_CASE word.

    Same keys as every result: ``error_type`` carries the reason (e.g. ``QUIET_HOURS``, ``LINE_TYPE``)
    so a DAG branches on one field, and ``error_message`` says why in words.
    """
    return {
        "to": to,
        "sid": None,
        "status": SKIPPED,
        "num_segments": None,
        "error_code": None,
        "error_type": reason,
        "error_message": detail,
    }


def is_skipped(result: dict[str, Any]) -> bool:
    return result["status"] == SKIPPED


OPTED_OUT = "opted_out"
"""The status of a recipient who replied STOP (Twilio's 21610): never retried, and by default not a failure."""


def is_opted_out(result: dict[str, Any]) -> bool:
    return result["status"] == OPTED_OUT


def is_failure(result: dict[str, Any]) -> bool:
    return result["sid"] is None and not is_skipped(result) and not is_opted_out(result)


def common_error_type(failures: list[dict[str, Any]]) -> ErrorType:
    """The failures' shared error type, so a DAG can branch on one value; UNKNOWN_ERROR when they differ."""
    kinds = {failure["error_type"] for failure in failures}
    return ErrorType(kinds.pop()) if len(kinds) == 1 else ErrorType.UNKNOWN_ERROR


def summarize_failures(failures: list[dict[str, Any]], *, limit: int = 20) -> str:
    lines = [f"{f['to']}: {f['error_type']} ({f['error_code']}) {f['error_message']}" for f in failures[:limit]]
    if len(failures) > limit:
        lines.append(f"... and {len(failures) - limit} more (see the task's XCom return_value)")
    return "\n".join(lines)
