"""Checks one send request completely before anything is sent, and freezes it for the batch."""

from __future__ import annotations

import json
import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from typing import Any

from airflow_provider_twilio.addresses import (
    WHATSAPP_PREFIX,
    is_alphanumeric_sender,
    is_short_code,
    is_whatsapp,
    normalize_address,
    parse_recipients,
)
from airflow_provider_twilio.checks import check_url, int_in_range, shown
from airflow_provider_twilio.exceptions import TwilioInputError, TwilioMissingInputError
from airflow_provider_twilio.segments import SegmentCount, count_segments

MAX_BODY_CHARS = 1600
MAX_MEDIA_URLS = 10
VALIDITY_RANGE = (1, 36000)
SEND_AT_MIN_AHEAD = timedelta(minutes=5)
SEND_AT_MAX_AHEAD = timedelta(days=35)

_MESSAGING_SERVICE_SID = re.compile(r"^MG[0-9a-fA-F]{32}$")
_CONTENT_SID = re.compile(r"^HX[0-9a-fA-F]{32}$")
_SENDER_EXAMPLE = (
    "expected an E.164 number ('+14155550123'), 'whatsapp:+14155550123', a 5- or 6-digit short code "
    "or an alphanumeric sender ID (1-11 letters, digits or spaces, at least one letter)"
)


def sender_for(from_: str | None, to: str) -> str | None:
    """The From used for ``to``: a plain number sends WhatsApp recipients from its ``whatsapp:`` twin."""
    if from_ and is_whatsapp(to) and not is_whatsapp(from_):
        return WHATSAPP_PREFIX + from_
    return from_


@dataclass(frozen=True)
class MessageRequest:
    """What every recipient of a batch is sent; ``sender_for(to)`` gives the From used for one recipient."""

    body: str | None = None
    from_: str | None = None
    messaging_service_sid: str | None = None
    media_url: tuple[str, ...] = ()
    content_sid: str | None = None
    content_variables: str | None = None
    status_callback: str | None = None
    validity_period: int | None = None
    send_at: datetime | None = None
    shorten_urls: bool | None = None
    max_price: float | None = None
    _base_kwargs: dict[str, Any] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        kwargs: dict[str, Any] = {}
        if self.body:
            kwargs["body"] = self.body
        if self.messaging_service_sid:
            kwargs["messaging_service_sid"] = self.messaging_service_sid
        if self.media_url:
            kwargs["media_url"] = list(self.media_url)
        if self.content_sid:
            kwargs["content_sid"] = self.content_sid
        if self.content_variables:
            kwargs["content_variables"] = self.content_variables
        if self.status_callback:
            kwargs["status_callback"] = self.status_callback
        if self.validity_period is not None:
            kwargs["validity_period"] = self.validity_period
        if self.send_at is not None:
            kwargs["send_at"] = self.send_at
            kwargs["schedule_type"] = "fixed"
        if self.shorten_urls is not None:
            kwargs["shorten_urls"] = self.shorten_urls
        if self.max_price is not None:
            kwargs["max_price"] = self.max_price
        object.__setattr__(self, "_base_kwargs", kwargs)

    def sender_for(self, to: str) -> str | None:
        """The From for ``to``: a plain number sends WhatsApp recipients from its ``whatsapp:`` twin."""
        return sender_for(self.from_, to)

    def create_kwargs(self, to: str) -> dict[str, Any]:
        """Keyword arguments for the SDK's ``messages.create`` for one recipient."""
        kwargs = dict(self._base_kwargs)
        kwargs["to"] = to
        sender = self.sender_for(to)
        if sender:
            kwargs["from_"] = sender
        return kwargs

    @property
    def body_is_exact(self) -> bool:
        """Whether Twilio stores ``body`` verbatim, so a logged message can be matched on it."""
        return not self.content_sid and not self.shorten_urls

    @property
    def sender_label(self) -> str:
        return self.messaging_service_sid or self.from_ or "?"


@dataclass(frozen=True)
class ValidatedBatch:
    recipients: tuple[str, ...]
    request: MessageRequest
    segments: SegmentCount | None

    @property
    def total_segments(self) -> int:
        return (self.segments.segments if self.segments else 0) * len(self.recipients)

    def describe(self) -> str:
        """One log line: how many messages and segments this batch will cost."""
        count = len(self.recipients)
        if self.segments is None:
            return f"Sending to {count} recipient(s) from {self.request.sender_label} (no body text)"
        return (
            f"Sending to {count} recipient(s) from {self.request.sender_label}: body of "
            f"{self.segments.units} {self.segments.encoding} units, {self.segments.segments} segment(s) per message, "
            f"{self.total_segments} segment(s) for the batch"
        )


def validate_batch(
    *,
    to: Any,
    body: str | None = None,
    from_: str | None = None,
    messaging_service_sid: str | None = None,
    media_url: str | Sequence[str] | None = None,
    content_sid: str | None = None,
    content_variables: Any = None,
    status_callback: str | None = None,
    validity_period: Any = None,
    send_at: Any = None,
    shorten_urls: bool | None = None,
    max_segments: int | None = None,
    max_price: float | None = None,
    default_from: str | None = None,
    default_messaging_service_sid: str | None = None,
    now: datetime | None = None,
) -> ValidatedBatch:
    """Every rule Twilio would reject a message for, checked up front; raises a named input error."""
    recipients = parse_recipients(to)
    body = _optional_text(body, "body")
    content_sid = _optional_text(content_sid, "content_sid")
    given_from = _optional_text(from_, "from_")
    from_, messaging_service_sid = _resolve_sender(
        given_from,
        _optional_text(messaging_service_sid, "messaging_service_sid"),
        default_from,
        default_messaging_service_sid,
        wants_schedule=send_at not in (None, ""),
    )
    if from_:
        _check_sender_reaches(recipients, from_, "from_" if given_from else "the connection's default_from")
    media = _media_urls(media_url)
    if not body and not media and not content_sid:
        raise TwilioMissingInputError(
            "body: nothing to send; give a body, media_url (MMS) or content_sid (a Content template)"
        )
    if body and len(body) > MAX_BODY_CHARS:
        raise TwilioInputError(f"body: {len(body)} characters is over Twilio's limit of {MAX_BODY_CHARS}")
    segments = count_segments(body) if body else None
    if max_segments is not None:
        limit = int_in_range(max_segments, "max_segments", 1, 100)
        if segments and segments.segments > limit:
            raise TwilioInputError(
                f"body: needs {segments.segments} {segments.encoding} segments ({segments.units} units), "
                f"more than max_segments={limit}; shorten it"
                + (" or avoid characters outside GSM-7" if segments.encoding == "UCS-2" else "")
            )
    if content_sid and not _CONTENT_SID.match(content_sid):
        raise TwilioInputError(f"content_sid: {content_sid!r} is not a Content SID (HX followed by 32 hex digits)")
    variables = _content_variables(content_variables, content_sid)
    if variables:
        _check_sendable(variables, "content_variables")
    callback = _optional_text(status_callback, "status_callback")
    if callback:
        check_url(callback, "status_callback")
    validity = (
        int_in_range(validity_period, "validity_period", *VALIDITY_RANGE) if validity_period not in (None, "") else None
    )
    schedule = _send_at(send_at, messaging_service_sid, now) if send_at not in (None, "") else None
    request = MessageRequest(
        body=body,
        from_=from_,
        messaging_service_sid=messaging_service_sid,
        media_url=tuple(media),
        content_sid=content_sid,
        content_variables=variables,
        status_callback=callback,
        validity_period=validity,
        send_at=schedule,
        shorten_urls=shorten_urls,
        max_price=max_price,
    )
    return ValidatedBatch(recipients=tuple(recipients), request=request, segments=segments)


def _optional_text(value: Any, param: str) -> str | None:
    if value is None:
        return None
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        # render_template_as_native_obj turns "{{ params.rows }}" into an int; as text it is what was meant.
        value = str(value)
    if not isinstance(value, str):
        raise TwilioInputError(f"{param}: expected text, got {type(value).__name__} {shown(value)}")
    _check_sendable(value, param)
    return value if value.strip() else None


def _check_sendable(text: str, param: str) -> None:
    """Twilio takes UTF-8; a lone surrogate (from a mis-decoded byte string) cannot be encoded, so nothing is sent."""
    try:
        text.encode("utf-8")
    except UnicodeEncodeError as err:
        raise TwilioInputError(
            f"{param}: character {err.start} is a lone surrogate (U+{ord(text[err.start]):04X}), which cannot be "
            "sent as UTF-8; decode the source text correctly or remove it"
        ) from None


def _check_sender_reaches(recipients: Sequence[str], from_: str, source: str) -> None:
    """Pairs of sender and recipient that Twilio refuses per message, refused here before the first one is sent."""
    sender_is_whatsapp = is_whatsapp(from_)
    sender_is_number = sender_is_whatsapp or from_.startswith("+")
    for to in recipients:
        to_whatsapp = is_whatsapp(to)
        if sender_is_whatsapp and not to_whatsapp:
            raise TwilioInputError(
                f"to: {to!r} is an SMS number, but {source} {from_!r} is a WhatsApp sender (Twilio error 21910); "
                f"send SMS from the plain number {from_[len(WHATSAPP_PREFIX) :]!r}, or address the recipient as "
                f"'whatsapp:{to}'"
            )
        if to_whatsapp and not sender_is_number:
            kind = "a short code" if is_short_code(from_) else "an alphanumeric sender ID"
            raise TwilioInputError(
                f"to: {to!r} is a WhatsApp address, but {source} {from_!r} is {kind}; WhatsApp messages need a "
                "phone number sender (E.164 or whatsapp:+E164)"
            )
        if sender_for(from_, to) == to:
            raise TwilioInputError(
                f"to: {to!r} is the sender itself ({source}); Twilio refuses a message to its own sender (21266)"
            )


def _resolve_sender(
    from_: str | None,
    messaging_service_sid: str | None,
    default_from: str | None,
    default_messaging_service_sid: str | None,
    *,
    wants_schedule: bool,
) -> tuple[str | None, str | None]:
    if not from_ and not messaging_service_sid:
        if wants_schedule and default_messaging_service_sid:
            messaging_service_sid = default_messaging_service_sid
        elif default_from:
            from_ = default_from
        else:
            messaging_service_sid = default_messaging_service_sid
    if not from_ and not messaging_service_sid:
        raise TwilioMissingInputError(
            "from_: no sender; pass from_ or messaging_service_sid, or set default_from / "
            "default_messaging_service_sid on the Twilio connection"
        )
    if from_:
        from_ = from_.strip()
        if not (is_alphanumeric_sender(from_) or is_short_code(from_)):
            from_ = normalize_address(from_, param="from_", example=_SENDER_EXAMPLE)
    if messaging_service_sid:
        messaging_service_sid = messaging_service_sid.strip()
        if not _MESSAGING_SERVICE_SID.match(messaging_service_sid):
            raise TwilioInputError(
                f"messaging_service_sid: {messaging_service_sid!r} is not a Messaging Service SID "
                "(MG followed by 32 hex digits)"
            )
    return from_, messaging_service_sid


def _media_urls(value: str | Sequence[str] | None) -> list[str]:
    if value is None or value == "":
        return []
    urls: list[Any]
    if isinstance(value, str):
        text = value.strip()
        decoded = None
        if text.startswith("["):
            try:
                decoded = json.loads(text)
            except (ValueError, RecursionError):
                decoded = None
        urls = decoded if isinstance(decoded, list) else [text]
    elif isinstance(value, (list, tuple)):
        urls = list(value)
    else:
        raise TwilioInputError(
            f"media_url: expected a URL or a list of up to {MAX_MEDIA_URLS} URLs, got {type(value).__name__} "
            f"{shown(value)}"
        )
    if len(urls) > MAX_MEDIA_URLS:
        raise TwilioInputError(f"media_url: {len(urls)} URLs given; Twilio accepts at most {MAX_MEDIA_URLS}")
    for index, url in enumerate(urls):
        param = f"media_url[{index}]" if len(urls) > 1 else "media_url"
        if not isinstance(url, str):
            raise TwilioInputError(f"{param}: expected a URL string, got {type(url).__name__} {shown(url)}")
        _check_sendable(url, param)
        check_url(url, param)
    return [url.strip() for url in urls]


def _content_variables(value: Any, content_sid: str | None) -> str | None:
    if value is None or value == "" or value == {}:
        return None
    if not content_sid:
        raise TwilioInputError("content_variables: given without content_sid; they fill a Content template")
    if isinstance(value, dict):
        decoded: Any = value
    elif isinstance(value, str):
        try:
            decoded = json.loads(value)
        except ValueError as err:
            raise TwilioInputError(f"content_variables: not valid JSON ({err}); expected an object") from None
    else:
        raise TwilioInputError(f"content_variables: expected a JSON object or dict, got {type(value).__name__}")
    if not isinstance(decoded, dict):
        raise TwilioInputError(
            f'content_variables: {shown(value)} is not a JSON object; expected e.g. {{"1": "Alice"}}'
        )
    try:
        return json.dumps(decoded, ensure_ascii=False, separators=(",", ":"))
    except (TypeError, ValueError) as err:
        raise TwilioInputError(f"content_variables: values must be JSON-serialisable ({err})") from None


def _send_at(value: Any, messaging_service_sid: str | None, now: datetime | None) -> datetime:
    if not messaging_service_sid:
        raise TwilioInputError(
            "send_at: scheduling needs a Messaging Service; pass messaging_service_sid "
            "(or set default_messaging_service_sid on the connection)"
        )
    if isinstance(value, datetime):
        when = value
    elif isinstance(value, str):
        try:
            when = datetime.fromisoformat(value.strip().replace("Z", "+00:00"))
        except ValueError:
            raise TwilioInputError(
                f"send_at: {value!r} is not an ISO 8601 date-time like 2030-01-31T09:00:00+00:00"
            ) from None
    else:
        raise TwilioInputError(f"send_at: expected a datetime or ISO 8601 text, got {type(value).__name__}")
    if when.tzinfo is None:
        raise TwilioInputError(f"send_at: {value!r} has no time zone; add one, e.g. +00:00")
    when = when.astimezone(timezone.utc)
    current = now or datetime.now(timezone.utc)
    if not current + SEND_AT_MIN_AHEAD < when <= current + SEND_AT_MAX_AHEAD:
        raise TwilioInputError(
            f"send_at: {when.isoformat()} must be more than 5 minutes and at most 35 days after now "
            f"({current.isoformat(timespec='seconds')})"
        )
    return when
