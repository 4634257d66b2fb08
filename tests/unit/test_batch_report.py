"""The per-batch outcome line: every recipient counted once, by status and (for skips) reason."""

from __future__ import annotations

from airflow_provider_twilio.exceptions import ErrorType, TwilioApiError
from airflow_provider_twilio.sending.report import batch_summary, outcome_counts
from airflow_provider_twilio.sending.results import from_error, is_failure, skipped


def sent(to: str) -> dict[str, object]:
    return {"to": to, "sid": "SM1", "status": "queued", "error_code": None, "error_type": None}


def refused(to: str, code: int, kind: ErrorType) -> dict[str, object]:
    return from_error(to, TwilioApiError(f"Twilio answered HTTP 400 with error {code}", error_type=kind, code=code))


def test_21610_is_opted_out_keeps_its_code_and_is_not_a_failure() -> None:
    result = refused("+15551230001", 21610, ErrorType.RECIPIENT_OPTED_OUT_ERROR)
    assert (result["status"], result["error_code"], result["error_type"]) == (
        "opted_out",
        21610,
        "RECIPIENT_OPTED_OUT_ERROR",
    )
    assert not is_failure(result)
    assert is_failure(refused("+15551230002", 21211, ErrorType.INVALID_TO_PHONE_NUMBER_ERROR))


def test_the_summary_counts_each_outcome_and_each_skip_reason() -> None:
    results = [sent(f"+1555123000{i}") for i in range(5)]
    results += [refused("+15551230010", 21610, ErrorType.RECIPIENT_OPTED_OUT_ERROR)] * 3
    results += [skipped("+15551230020", "QUIET_HOURS", "night there"), skipped("+15551230021", "LINE_TYPE", "landline")]
    results += [refused("+15551230030", 21211, ErrorType.INVALID_TO_PHONE_NUMBER_ERROR)]
    assert outcome_counts(results) == {
        "sent": 5,
        "opted out": 3,
        "skipped LINE_TYPE": 1,
        "skipped QUIET_HOURS": 1,
        "failed": 1,
    }
    assert batch_summary(results) == (
        "Outcome for 11 recipient(s): 5 sent, 3 opted out, 1 skipped LINE_TYPE, 1 skipped QUIET_HOURS, 1 failed"
    )
    assert batch_summary([]) == "Outcome for 0 recipient(s): nothing to send"
