"""Twilio's error body, raised by routes and rendered as ``{code, message, more_info, status}``."""

from __future__ import annotations

from typing import Any


class ApiError(Exception):
    """A Twilio API error: HTTP status plus Twilio's numeric code."""

    def __init__(self, status: int, code: int, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.code = code
        self.message = message

    def body(self) -> dict[str, Any]:
        return {
            "code": self.code,
            "message": self.message,
            "more_info": f"https://www.twilio.com/docs/errors/{self.code}",
            "status": self.status,
        }


def bad_request(code: int, message: str) -> ApiError:
    return ApiError(400, code, message)


def not_found(path: str) -> ApiError:
    return ApiError(404, 20404, f"The requested resource {path} was not found")


def unauthorized() -> ApiError:
    return ApiError(401, 20003, "Authenticate")


def too_many_requests() -> ApiError:
    return ApiError(429, 20429, "Too Many Requests")


def internal_error() -> ApiError:
    return ApiError(500, 20500, "Internal Server Error")
