from __future__ import annotations

import pytest
import requests
from twilio.base.exceptions import TwilioException, TwilioRestException

from airflow_provider_twilio.exceptions import (
    ErrorType,
    TwilioAuthenticationError,
    TwilioProviderError,
    classify_exception,
)
from airflow_provider_twilio.sending.results import RESULT_KEYS, common_error_type, from_error, from_message


def rest(status: int, code: int | None) -> TwilioRestException:
    return TwilioRestException(status, "/2010-04-01/Accounts/AC1/Messages.json", msg="refused", code=code)


@pytest.mark.parametrize(
    ("status", "code", "expected"),
    [
        (400, 21211, ErrorType.INVALID_TO_PHONE_NUMBER_ERROR),
        (400, 21612, ErrorType.INVALID_TO_PHONE_NUMBER_ERROR),
        (400, 21614, ErrorType.INVALID_TO_PHONE_NUMBER_ERROR),
        (400, 21212, ErrorType.INVALID_FROM_PHONE_NUMBER_ERROR),
        (400, 21606, ErrorType.INVALID_FROM_PHONE_NUMBER_ERROR),
        (400, 21408, ErrorType.INVALID_REGION_TO_PHONE_NUMBER_ERROR),
        (400, 21610, ErrorType.RECIPIENT_OPTED_OUT_ERROR),
        (401, 20003, ErrorType.AUTHENTICATION_CONNECTION_ERROR),
        (403, 20403, ErrorType.PERMISSION_DENIED_ERROR),
        (403, None, ErrorType.PERMISSION_DENIED_ERROR),
        (429, 20429, ErrorType.RATE_LIMITED),
        (400, 21611, ErrorType.QUEUE_FULL),
        (500, None, ErrorType.TWILIO_CONNECTION_ERROR),
        (503, 20500, ErrorType.TWILIO_CONNECTION_ERROR),
        (400, 21999, ErrorType.INVALID_INPUT),
        (418, None, ErrorType.UNKNOWN_ERROR),
    ],
)
def test_rest_errors_map_to_the_taxonomy_and_into_results(status, code, expected):
    error = classify_exception(rest(status, code))
    assert error.error_type is expected
    assert error.code == code
    result = from_error("+14155550100", error)
    assert tuple(result) == RESULT_KEYS
    assert result["error_type"] == expected.value
    assert result["error_code"] == code
    # A recipient who replied STOP is its own outcome, not a failure (docs/sending.md#opt-outs).
    assert result["sid"] is None and result["status"] == ("opted_out" if code == 21610 else "failed")


def test_auth_errors_use_the_auth_class():
    assert isinstance(classify_exception(rest(401, 20003)), TwilioAuthenticationError)


@pytest.mark.parametrize(
    "exc",
    [
        requests.exceptions.ReadTimeout("read timed out"),
        requests.exceptions.ConnectionError("connection reset"),
        requests.exceptions.ChunkedEncodingError("dropped"),
        TimeoutError("timed out"),
        TwilioException("Unable to fetch page"),
    ],
)
def test_network_and_sdk_errors_are_connection_errors(exc):
    assert classify_exception(exc).error_type is ErrorType.TWILIO_CONNECTION_ERROR


class Message:
    def __init__(self, **fields):
        self.__dict__.update(
            {"sid": "SM1", "status": "queued", "num_segments": "2", "error_code": None, "error_message": None} | fields
        )


def test_result_from_message():
    assert from_message("+14155550100", Message()) == {
        "to": "+14155550100",
        "sid": "SM1",
        "status": "queued",
        "num_segments": 2,
        "error_code": None,
        "error_type": None,
        "error_message": None,
    }


def test_result_from_failed_message_maps_delivery_code():
    result = from_message("+14155550100", Message(status="undelivered", error_code=30003, error_message="x"))
    assert result["error_type"] == ErrorType.UNREACHABLE_DESTINATION_ERROR.value


def test_common_error_type():
    same = [{"error_type": "RATE_LIMITED"}, {"error_type": "RATE_LIMITED"}]
    assert common_error_type(same) is ErrorType.RATE_LIMITED
    assert common_error_type([*same, {"error_type": "QUEUE_FULL"}]) is ErrorType.UNKNOWN_ERROR


def test_missing_connection_is_a_configuration_error_not_a_twilio_failure() -> None:
    from airflow_provider_twilio._compat import AirflowNotFoundException
    from airflow_provider_twilio.exceptions import ErrorType, TwilioConnectionConfigError, classify_exception

    error = classify_exception(AirflowNotFoundException("The conn_id `twilio_nope` isn't defined"))
    assert isinstance(error, TwilioConnectionConfigError)
    assert error.error_type is ErrorType.INVALID_INPUT
    assert "twilio_nope" in error.message


def test_a_skipped_recipient_has_every_key_and_is_no_failure() -> None:
    from airflow_provider_twilio.sending.results import is_failure, is_skipped, skipped

    result = skipped("+15551230001", "QUIET_HOURS", "23:10 in America/New_York; quiet until 08:00")
    assert tuple(result) == RESULT_KEYS
    assert is_skipped(result) and not is_failure(result)
    refused = from_error("+15551230001", TwilioProviderError("refused", code=21211))
    assert is_failure(refused) and not is_skipped(refused)
