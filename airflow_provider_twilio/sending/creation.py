"""Creating one message through the official SDK without building an SDK object the result never reads.

``MessageList.create()`` is the SDK's ``_create()`` (the request and the response's JSON) followed by a
``MessageInstance`` built from that JSON: three RFC 2822 dates parsed and some twenty attributes set,
about a tenth of a batch's CPU per message, for a result that reads five fields. ``_create`` is the SDK's
own helper behind ``create()`` (twilio 9.x): the same request, headers, retries of the transport and
errors (``TwilioRestException`` for an error answer). A messages resource without it (an older SDK, a
test double) is asked through ``create()``.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class CreatedMessage:
    """The fields of a just-created message that a send result reads (``results.from_message``)."""

    sid: str | None
    status: str | None
    num_segments: str | None
    error_code: Any
    error_message: str | None

    @classmethod
    def from_payload(cls, payload: dict[str, Any]) -> CreatedMessage:
        """The fields read as ``MessageInstance`` reads them (``error_code`` through the SDK's own ``integer``)."""
        from twilio.base.deserialize import integer

        return cls(
            sid=payload.get("sid"),
            status=payload.get("status"),
            num_segments=payload.get("num_segments"),
            error_code=integer(payload.get("error_code")),
            error_message=payload.get("error_message"),
        )


def create_message(messages: Any, kwargs: dict[str, Any]) -> Any:
    """Create one message with ``kwargs`` (``create()``'s parameters); what a send result needs of it."""
    create_raw = getattr(type(messages), "_create", None)
    if create_raw is None or "create" in getattr(messages, "__dict__", {}):  # no helper, or create() replaced
        return messages.create(**kwargs)
    payload, _status, _headers = create_raw(messages, **kwargs)
    return CreatedMessage.from_payload(payload)
