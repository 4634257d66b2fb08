"""Moved to ``tests.support.emulator``; this name is kept until every import points there."""

from tests.support.emulator import (
    DEFAULT_FROM,
    RECIPIENT,
    SERVICE_SID,
    Receiver,
    assert_twilio_error,
    basic_auth,
    http_request,
    rest_error,
    sdk_client,
    wait_for,
)

__all__ = [
    "DEFAULT_FROM",
    "RECIPIENT",
    "SERVICE_SID",
    "Receiver",
    "assert_twilio_error",
    "basic_auth",
    "http_request",
    "rest_error",
    "sdk_client",
    "wait_for",
]
