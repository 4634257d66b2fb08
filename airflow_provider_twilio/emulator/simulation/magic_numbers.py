"""Twilio's magic test numbers, for messages and calls, and how they fail.

Magic numbers follow twilio.com/docs/iam/test-credentials; the post-acceptance failures
(``+1500555001x``) are this emulator's own and are documented in docs/emulator.md.
"""

from __future__ import annotations

from dataclasses import dataclass

DEFAULT_FROM = "+15005550006"
"""The valid magic sender; also the pool number of every Messaging Service."""

FROM_ERRORS: dict[str, tuple[int, str]] = {
    "+15005550001": (
        21212,
        "The 'From' number {number} is not a valid phone number, shortcode, or alphanumeric sender ID.",
    ),
    "+15005550007": (
        21606,
        "The From phone number {number} is not a valid, SMS-capable inbound phone number or short code "
        "for your account.",
    ),
    "+15005550008": (21611, "This 'From' number {number} has exceeded the maximum number of queued messages."),
}

TO_ERRORS: dict[str, tuple[int, str]] = {
    "+15005550001": (21211, "The 'To' number {number} is not a valid phone number."),
    "+15005550002": (
        21612,
        "The 'To' phone number: {number}, is not currently reachable using the 'From' phone number.",
    ),
    "+15005550003": (
        21408,
        "Permission to send an SMS has not been enabled for the region indicated by the 'To' number: {number}.",
    ),
    "+15005550004": (21610, "Attempt to send to unsubscribed recipient {number}."),
    "+15005550009": (21614, "'To' number {number} is not a valid mobile number."),
}


@dataclass(frozen=True)
class DeliveryFailure:
    """How an accepted message to a magic number ends."""

    status: str
    code: int
    message: str
    reaches_sent: bool


DELIVERY_FAILURES: dict[str, DeliveryFailure] = {
    "+15005550010": DeliveryFailure("undelivered", 30003, "Unreachable destination handset", True),
    "+15005550011": DeliveryFailure("undelivered", 30006, "Landline or unreachable carrier", True),
    "+15005550012": DeliveryFailure("failed", 30007, "Message filtered", False),
}


CALL_FROM_ERRORS: dict[str, tuple[int, str]] = {
    "+15005550001": (21212, "The 'From' number {number} is not a valid phone number or client identifier."),
}

CALL_TO_ERRORS: dict[str, tuple[int, str]] = {
    "+15005550001": (21217, "The 'To' number {number} is not a valid phone number."),
    "+15005550002": (21214, "The 'To' number {number} cannot be reached."),
    "+15005550003": (21215, "Account not authorized to call {number}: check your Geo Permissions."),
    "+15005550004": (21216, "Account not allowed to call {number}: the number is blocked."),
}
