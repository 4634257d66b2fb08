"""Named errors for every way talking to Twilio can fail.

Each error carries an ``error_type`` from one taxonomy (the names Twilio connector users already
know) and, where Twilio gave one, its numeric ``code``, so DAGs can branch on failures without
parsing messages.
"""

from __future__ import annotations

from enum import Enum
from typing import Any

from airflow_provider_twilio._compat import AirflowException, AirflowFailException, AirflowNotFoundException


class ErrorType(str, Enum):
    """Why a Twilio request or message failed."""

    INVALID_TO_PHONE_NUMBER_ERROR = "INVALID_TO_PHONE_NUMBER_ERROR"
    INVALID_FROM_PHONE_NUMBER_ERROR = "INVALID_FROM_PHONE_NUMBER_ERROR"
    INVALID_REGION_TO_PHONE_NUMBER_ERROR = "INVALID_REGION_TO_PHONE_NUMBER_ERROR"
    RECIPIENT_OPTED_OUT_ERROR = "RECIPIENT_OPTED_OUT_ERROR"
    AUTHENTICATION_CONNECTION_ERROR = "AUTHENTICATION_CONNECTION_ERROR"
    PERMISSION_DENIED_ERROR = "PERMISSION_DENIED_ERROR"
    RATE_LIMITED = "RATE_LIMITED"
    QUEUE_FULL = "QUEUE_FULL"
    TWILIO_CONNECTION_ERROR = "TWILIO_CONNECTION_ERROR"
    INVALID_INPUT = "INVALID_INPUT"
    MISSING_INPUT = "MISSING_INPUT"
    TEMPLATE_ERROR = "TEMPLATE_ERROR"
    # An ambiguous failure, and the log's only look-alike may be an earlier message: not re-sent, not claimed.
    UNCONFIRMED_SEND_ERROR = "UNCONFIRMED_SEND_ERROR"
    # Delivery outcomes reported on the message after Twilio accepted it (30xxx codes).
    UNREACHABLE_DESTINATION_ERROR = "UNREACHABLE_DESTINATION_ERROR"
    UNKNOWN_DESTINATION_ERROR = "UNKNOWN_DESTINATION_ERROR"
    LANDLINE_OR_UNREACHABLE_CARRIER_ERROR = "LANDLINE_OR_UNREACHABLE_CARRIER_ERROR"
    MESSAGE_FILTERED_ERROR = "MESSAGE_FILTERED_ERROR"
    MESSAGE_BLOCKED_ERROR = "MESSAGE_BLOCKED_ERROR"
    ACCOUNT_SUSPENDED_ERROR = "ACCOUNT_SUSPENDED_ERROR"
    UNKNOWN_ERROR = "UNKNOWN_ERROR"


ERROR_TYPE_BY_CODE: dict[int, ErrorType] = {
    21211: ErrorType.INVALID_TO_PHONE_NUMBER_ERROR,
    21612: ErrorType.INVALID_TO_PHONE_NUMBER_ERROR,
    21614: ErrorType.INVALID_TO_PHONE_NUMBER_ERROR,
    21604: ErrorType.MISSING_INPUT,
    21603: ErrorType.MISSING_INPUT,
    21602: ErrorType.MISSING_INPUT,
    21212: ErrorType.INVALID_FROM_PHONE_NUMBER_ERROR,
    21606: ErrorType.INVALID_FROM_PHONE_NUMBER_ERROR,
    21408: ErrorType.INVALID_REGION_TO_PHONE_NUMBER_ERROR,
    21610: ErrorType.RECIPIENT_OPTED_OUT_ERROR,
    20003: ErrorType.AUTHENTICATION_CONNECTION_ERROR,
    20403: ErrorType.PERMISSION_DENIED_ERROR,
    20429: ErrorType.RATE_LIMITED,
    21611: ErrorType.QUEUE_FULL,
    30001: ErrorType.QUEUE_FULL,
    30002: ErrorType.ACCOUNT_SUSPENDED_ERROR,
    30003: ErrorType.UNREACHABLE_DESTINATION_ERROR,
    30004: ErrorType.MESSAGE_BLOCKED_ERROR,
    30005: ErrorType.UNKNOWN_DESTINATION_ERROR,
    30006: ErrorType.LANDLINE_OR_UNREACHABLE_CARRIER_ERROR,
    30007: ErrorType.MESSAGE_FILTERED_ERROR,
    30008: ErrorType.UNKNOWN_ERROR,
}


def error_type_for(code: int | None, http_status: int | None = None) -> ErrorType:
    """Classify a Twilio error code, falling back on the HTTP status Twilio answered with."""
    if code is not None and code in ERROR_TYPE_BY_CODE:
        return ERROR_TYPE_BY_CODE[code]
    if http_status == 401:
        return ErrorType.AUTHENTICATION_CONNECTION_ERROR
    if http_status == 403:
        return ErrorType.PERMISSION_DENIED_ERROR
    if http_status == 429:
        return ErrorType.RATE_LIMITED
    if http_status is not None and http_status >= 500:
        return ErrorType.TWILIO_CONNECTION_ERROR
    if http_status == 400 or (code is not None and 21000 <= code < 22000):
        return ErrorType.INVALID_INPUT
    return ErrorType.UNKNOWN_ERROR


class TwilioProviderError(AirflowException):
    """Base of every error this provider raises."""

    default_error_type = ErrorType.UNKNOWN_ERROR

    def __init__(
        self,
        message: str,
        *,
        error_type: ErrorType | None = None,
        code: int | None = None,
        http_status: int | None = None,
    ) -> None:
        super().__init__(message)
        self.message = message
        self.error_type = error_type or self.default_error_type
        self.code = code
        self.http_status = http_status

    def as_dict(self) -> dict[str, Any]:
        return {"error_code": self.code, "error_type": self.error_type.value, "error_message": self.message}


class TwilioInputError(TwilioProviderError, ValueError):
    """A task's arguments cannot be sent as they are; raised before any request."""

    default_error_type = ErrorType.INVALID_INPUT


class TwilioMissingInputError(TwilioInputError):
    """Something a message needs (recipient, sender, content) was not given."""

    default_error_type = ErrorType.MISSING_INPUT


class TwilioTemplateError(TwilioInputError):
    """A templated field or reply template could not be filled."""

    default_error_type = ErrorType.TEMPLATE_ERROR


class TwilioConnectionConfigError(TwilioInputError):
    """The Airflow connection is malformed; names the connection id and the field."""


class TwilioApiError(TwilioProviderError):
    """Twilio (or the network between us) refused or failed a request."""


class TwilioAuthenticationError(TwilioApiError):
    """Twilio rejected the credentials (20003) or denied access (20403)."""

    default_error_type = ErrorType.AUTHENTICATION_CONNECTION_ERROR


class TwilioSendError(TwilioProviderError):
    """Some recipients of a batch could not be sent to; ``results`` has every recipient's outcome."""

    def __init__(self, message: str, *, results: list[dict[str, Any]], **kwargs: Any) -> None:
        super().__init__(message, **kwargs)
        self.results = results


class TwilioOptedOutError(TwilioSendError, AirflowFailException):
    """Recipients replied STOP (21610) and the task was told to fail for it: no retry, which could not help."""


class TwilioDeliveryFailedError(TwilioProviderError):
    """Messages reached a failure status (failed, undelivered, canceled)."""

    def __init__(self, message: str, *, failures: dict[str, dict[str, Any]], **kwargs: Any) -> None:
        super().__init__(message, **kwargs)
        self.failures = failures


class TwilioCallFailedError(TwilioProviderError):
    """Calls reached a failure status (by default: failed)."""

    def __init__(self, message: str, *, failures: dict[str, dict[str, Any]], **kwargs: Any) -> None:
        super().__init__(message, **kwargs)
        self.failures = failures


AUTH_ERROR_TYPES = frozenset({ErrorType.AUTHENTICATION_CONNECTION_ERROR, ErrorType.PERMISSION_DENIED_ERROR})
"""Credentials refused or access denied: retrying will not help, and the task should say so."""

TRANSIENT_ERROR_TYPES = frozenset({ErrorType.TWILIO_CONNECTION_ERROR, ErrorType.RATE_LIMITED})
"""Worth another try later: the network, Twilio's 5xx and 429s. Anything else will not fix itself."""


def is_transient(err: TwilioProviderError) -> bool:
    """Whether ``err`` may go away by itself (see ``TRANSIENT_ERROR_TYPES``)."""
    return err.error_type in TRANSIENT_ERROR_TYPES


def api_error(
    message: str, *, error_type: ErrorType, code: int | None = None, http_status: int | None = None
) -> TwilioApiError:
    """A failed request as ``TwilioAuthenticationError`` when the credentials were refused, else ``TwilioApiError``."""
    cls = TwilioAuthenticationError if error_type in AUTH_ERROR_TYPES else TwilioApiError
    return cls(message, error_type=error_type, code=code, http_status=http_status)


def error_event(err: TwilioProviderError) -> dict[str, Any]:
    """A trigger's error payload: what a task needs to raise the same error again, and nothing secret."""
    return {
        "status": "error",
        "message": err.message,
        "error_type": err.error_type.value,
        "error_code": err.code,
        "http_status": err.http_status,
    }


def error_from_event(event: dict[str, Any]) -> TwilioApiError:
    """The error a trigger reported with ``error_event``, raised again in the task."""
    error_type = ErrorType(event.get("error_type") or ErrorType.UNKNOWN_ERROR.value)
    return api_error(
        str(event.get("message") or "the trigger failed"),
        error_type=error_type,
        code=event.get("error_code"),
        http_status=event.get("http_status"),
    )


def classify_exception(exc: BaseException) -> TwilioProviderError:
    """Turn anything the SDK or the network raised into one of our named errors.

    The SDK raises ``TwilioRestException`` for error responses, a plain ``TwilioException`` for
    failed list pages, and lets ``requests``/``aiohttp`` errors through for network trouble.
    """
    if isinstance(exc, TwilioProviderError):
        return exc
    if isinstance(exc, AirflowNotFoundException):
        return TwilioConnectionConfigError(f"The Twilio connection could not be found: {exc}")
    from twilio.base.exceptions import TwilioException, TwilioRestException

    if isinstance(exc, TwilioRestException):
        code = int(exc.code) if exc.code is not None else None
        text = f"Twilio answered HTTP {exc.status}" + (f" with error {code}" if code else "")
        return api_error(
            f"{text}: {exc.msg}", error_type=error_type_for(code, exc.status), code=code, http_status=exc.status
        )
    if isinstance(exc, TwilioException):
        status = _status_from_page_error(exc)
        error_type = error_type_for(None, status) if status else ErrorType.TWILIO_CONNECTION_ERROR
        return api_error(f"Twilio request failed: {exc}", error_type=error_type, http_status=status)
    if _is_network_error(exc):
        return TwilioApiError(
            f"Could not reach Twilio: {type(exc).__name__}: {exc}",
            error_type=ErrorType.TWILIO_CONNECTION_ERROR,
        )
    return TwilioProviderError(f"Unexpected error talking to Twilio: {type(exc).__name__}: {exc}")


def _status_from_page_error(exc: BaseException) -> int | None:
    """A failed page fetch carries its HTTP status only inside the exception's arguments."""
    for arg in getattr(exc, "args", ()):
        status = getattr(arg, "status_code", None)
        if isinstance(status, int):
            return status
    return None


def _is_network_error(exc: BaseException) -> bool:
    if isinstance(exc, (ConnectionError, TimeoutError, OSError)):
        return True
    module = type(exc).__module__ or ""
    return module.startswith(("requests", "urllib3", "aiohttp", "asyncio"))
