"""A trigger's error crosses to the task as a plain dict and comes back as the same named error."""

from __future__ import annotations

import json

import pytest

from airflow_provider_twilio.exceptions import (
    AUTH_ERROR_TYPES,
    TRANSIENT_ERROR_TYPES,
    ErrorType,
    TwilioApiError,
    TwilioAuthenticationError,
    TwilioProviderError,
    api_error,
    error_event,
    error_from_event,
    is_transient,
)


@pytest.mark.parametrize("error_type", list(ErrorType), ids=lambda t: t.value)
def test_round_trip_keeps_type_code_status_and_message(error_type: ErrorType) -> None:
    err = api_error("Twilio answered HTTP 401 with error 20003", error_type=error_type, code=20003, http_status=401)
    event = error_event(err)
    assert json.loads(json.dumps(event)) == event  # a trigger event must serialise
    back = error_from_event(event)
    assert (type(back), back.message, back.error_type, back.code, back.http_status) == (
        type(err),
        err.message,
        err.error_type,
        err.code,
        err.http_status,
    )


def test_auth_failures_come_back_as_authentication_errors() -> None:
    for error_type in ErrorType:
        back = error_from_event(error_event(TwilioProviderError("x", error_type=error_type)))
        assert isinstance(back, TwilioApiError)
        assert isinstance(back, TwilioAuthenticationError) is (error_type in AUTH_ERROR_TYPES)


def test_event_carries_only_the_error_fields() -> None:
    event = error_event(TwilioApiError("Twilio answered HTTP 500", error_type=ErrorType.TWILIO_CONNECTION_ERROR))
    assert event == {
        "status": "error",
        "message": "Twilio answered HTTP 500",
        "error_type": "TWILIO_CONNECTION_ERROR",
        "error_code": None,
        "http_status": None,
    }


def test_an_event_without_details_is_still_an_error() -> None:
    back = error_from_event({"status": "error"})
    assert type(back) is TwilioApiError
    assert back.error_type is ErrorType.UNKNOWN_ERROR
    assert back.message == "the trigger failed"


def test_transient_means_the_network_or_throttling() -> None:
    assert {ErrorType.TWILIO_CONNECTION_ERROR, ErrorType.RATE_LIMITED} == TRANSIENT_ERROR_TYPES
    assert is_transient(TwilioApiError("x", error_type=ErrorType.RATE_LIMITED))
    assert not is_transient(TwilioAuthenticationError("x"))
