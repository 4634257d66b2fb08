"""Magic numbers for calls, as with Twilio's test credentials (twilio.com/docs/iam/test-credentials)."""

from __future__ import annotations

from airflow_provider_twilio.emulator.errors import bad_request
from airflow_provider_twilio.emulator.numbers import is_possible_e164

CALL_FROM_ERRORS: dict[str, tuple[int, str]] = {
    "+15005550001": (21212, "The 'From' number {number} is not a valid phone number or client identifier."),
}

CALL_TO_ERRORS: dict[str, tuple[int, str]] = {
    "+15005550001": (21217, "The 'To' number {number} is not a valid phone number."),
    "+15005550002": (21214, "The 'To' number {number} cannot be reached."),
    "+15005550003": (21215, "Account not authorized to call {number}: check your Geo Permissions."),
    "+15005550004": (21216, "Account not allowed to call {number}: the number is blocked."),
}


def check_call_numbers(to: str, from_: str) -> None:
    """Raise Twilio's error for a magic or impossible ``To``/``From`` of a call."""
    if to in CALL_TO_ERRORS:
        code, text = CALL_TO_ERRORS[to]
        raise bad_request(code, text.format(number=to))
    if not is_possible_e164(to):
        raise bad_request(21211, f"The 'To' number {to} is not a valid phone number.")
    if from_ in CALL_FROM_ERRORS:
        code, text = CALL_FROM_ERRORS[from_]
        raise bad_request(code, text.format(number=from_))
    if not is_possible_e164(from_):
        raise bad_request(21212, f"The 'From' number {from_} is not a valid phone number or client identifier.")
