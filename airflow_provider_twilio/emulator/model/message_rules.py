"""Creating messages: Twilio's validation rules, sender selection, scheduling and status timelines."""

from __future__ import annotations

import re
import time
from collections.abc import Mapping, Sequence

from airflow_provider_twilio.emulator.http import checks
from airflow_provider_twilio.emulator.http.errors import ApiError, bad_request
from airflow_provider_twilio.emulator.http.timefmt import parse_send_at
from airflow_provider_twilio.emulator.http.urls import is_http_url
from airflow_provider_twilio.emulator.model import addresses
from airflow_provider_twilio.emulator.model.message_store import PRICE_PER_SEGMENT, Message, Step, new_sid
from airflow_provider_twilio.emulator.simulation import magic_numbers
from airflow_provider_twilio.segments import count_segments

MAX_BODY_CHARS = 1600
MAX_MEDIA = 10
MIN_SCHEDULE_AHEAD = 300
MAX_SCHEDULE_AHEAD = 35 * 86400
MAX_VALIDITY_PERIOD = 36000

_MESSAGING_SERVICE_SID = re.compile(r"^MG[0-9a-fA-F]{32}$")
_CONTENT_SID = re.compile(r"^HX[0-9a-fA-F]{32}$")


class Form:
    """Form fields of a request, with repeated keys (``MediaUrl``) kept."""

    def __init__(self, pairs: Sequence[tuple[str, str]]) -> None:
        self._pairs = pairs
        self._first: dict[str, str] = {}
        for key, value in pairs:
            self._first.setdefault(key, value)

    def get(self, key: str) -> str | None:
        return self._first.get(key)

    def get_all(self, key: str) -> list[str]:
        return [value for k, value in self._pairs if k == key]

    def __contains__(self, key: str) -> bool:
        return key in self._first

    def as_dict(self) -> Mapping[str, str]:
        return self._first


PRICE_OVER_MAX = magic_numbers.DeliveryFailure("failed", 30010, "Message price exceeds max price.", False)


def _timeline(created_at: float, start: float, delay: float, to: str, *, over_max_price: bool = False) -> list[Step]:
    """queued -> sending -> sent -> delivered, one step per ``delay``; magic numbers end otherwise."""
    failure = PRICE_OVER_MAX if over_max_price else magic_numbers.DELIVERY_FAILURES.get(addresses.split_channel(to)[1])
    steps = [Step(start, "queued"), Step(start + delay, "sending")]
    if failure is not None and not failure.reaches_sent:
        steps.append(Step(start + 2 * delay, failure.status, failure.code, failure.message))
        return steps
    steps.append(Step(start + 2 * delay, "sent"))
    if failure is not None:
        steps.append(Step(start + 3 * delay, failure.status, failure.code, failure.message))
    else:
        steps.append(Step(start + 3 * delay, "delivered"))
    return steps


class OutboundRequest:
    """A validated create request; ``build`` turns it into a stored message."""

    def __init__(
        self,
        form: Form,
        *,
        account_sid: str,
        status_delay: float,
        enforce_max_price: bool = False,
        now: float | None = None,
    ) -> None:
        now = time.time() if now is None else now
        self.account_sid = account_sid
        self.status_delay = status_delay
        to = (form.get("To") or "").strip()
        from_ = (form.get("From") or "").strip()
        service = (form.get("MessagingServiceSid") or "").strip() or None
        body = form.get("Body")
        media = [url for url in form.get_all("MediaUrl") if url]
        content_sid = (form.get("ContentSid") or "").strip() or None

        if not to:
            raise bad_request(21604, "A 'To' phone number is required.")
        if from_.startswith("MG") and service is None:
            # Twilio accepts a Messaging Service SID in From.
            service, from_ = from_, ""
        if service is not None and not _MESSAGING_SERVICE_SID.match(service):
            raise bad_request(21701, f"The Messaging Service Sid {service} is invalid.")
        if not from_ and service is None:
            raise bad_request(21603, "A 'From' phone number is required.")
        if content_sid is not None and not _CONTENT_SID.match(content_sid):
            raise bad_request(21656, f"The ContentSid {content_sid} is invalid.")
        if not body and not media and content_sid is None:
            raise bad_request(21602, "Message body is required.")
        if body is not None and len(body) > MAX_BODY_CHARS:
            raise bad_request(21617, "The concatenated message body exceeds the 1600 character limit.")
        if len(media) > MAX_MEDIA:
            raise bad_request(21623, f"Too many media URLs: {len(media)} given, at most {MAX_MEDIA} allowed.")
        for url in media:
            if not is_http_url(url):
                raise bad_request(21620, f"Invalid media URL {url!r}: media URLs must be http:// or https:// URLs.")
        addresses.check_to(to)
        if from_:
            addresses.check_from(from_)
        sender = (
            from_
            or (addresses.WHATSAPP_PREFIX if to.startswith(addresses.WHATSAPP_PREFIX) else "")
            + magic_numbers.DEFAULT_FROM
        )
        addresses.check_pair(to, sender)

        validity = form.get("ValidityPeriod")
        if validity:
            try:
                seconds = int(validity)
            except ValueError:
                seconds = 0
            if not 1 <= seconds <= MAX_VALIDITY_PERIOD:
                raise bad_request(
                    21624, f"Invalid validity period value {validity!r}: use 1 to {MAX_VALIDITY_PERIOD} seconds."
                )

        self.send_at: float | None = None
        schedule_type = (form.get("ScheduleType") or "").strip()
        send_at = (form.get("SendAt") or "").strip()
        if schedule_type:
            if schedule_type != "fixed":
                raise bad_request(35111, f"ScheduleType {schedule_type!r} is not supported; use 'fixed'.")
            if not send_at:
                raise bad_request(35111, "SendAt timestamp is missing.")
            if service is None:
                raise bad_request(35118, "MessagingServiceSid is required to schedule a message.")
            when = parse_send_at(send_at)
            if when is None:
                raise bad_request(35115, f"SendAt {send_at!r} is not a UTC timestamp like 2026-11-22T14:20:00Z.")
            if not MIN_SCHEDULE_AHEAD < when - now <= MAX_SCHEDULE_AHEAD:
                raise bad_request(
                    35114,
                    "SendAt time must be more than 300 seconds and at most 35 days (3024000 seconds) in the future.",
                )
            self.send_at = when

        # Twilio made MaxPrice obsolete (no effect since 3 June 2024): accepted and ignored, unless enforced.
        self.max_price = _max_price(form.get("MaxPrice")) if enforce_max_price else None

        status_callback = (form.get("StatusCallback") or "").strip() or None
        if status_callback is not None and not is_http_url(status_callback):
            raise bad_request(21609, f"The StatusCallback URL {status_callback} is not a valid URL.")

        self.to = to
        self.from_ = sender
        self.service = service
        self.body = body or ""
        self.media = tuple(media)
        self.content_sid = content_sid
        self.status_callback = status_callback

    def build(self, seq: int, created_at: float) -> Message:
        delay = self.status_delay
        segments = count_segments(self.body).segments if self.body else 1
        over = self.max_price is not None and PRICE_PER_SEGMENT * segments > self.max_price
        if self.send_at is not None:
            timeline = [
                Step(created_at, "scheduled"),
                *_timeline(created_at, self.send_at, delay, self.to, over_max_price=over),
            ]
        elif self.service is not None:
            # The service accepts the message, then picks a sender from its pool as it queues it.
            timeline = [
                Step(created_at, "accepted"),
                *_timeline(created_at, created_at + delay, delay, self.to, over_max_price=over),
            ]
        else:
            timeline = _timeline(created_at, created_at, delay, self.to, over_max_price=over)
        return Message(
            sid=new_sid("MM" if self.media else "SM"),
            account_sid=self.account_sid,
            seq=seq,
            created_at=created_at,
            to=self.to,
            from_=self.from_,
            body=self.body,
            direction="outbound-api",
            timeline=timeline,
            media_urls=self.media,
            messaging_service_sid=self.service,
            status_callback=self.status_callback,
            num_segments=segments,
        )


def _max_price(value: str | None) -> float | None:
    """``MaxPrice``: US dollars the sender would pay at most per message; a message priced higher fails (30010)."""
    if value is None or not value.strip():
        return None
    try:
        price = float(value)
    except ValueError:
        price = -1.0
    if not 0 < price < float("inf"):
        raise bad_request(21627, f"Max Price must be a valid positive float, got {value!r}.")
    return price


def check_inbound(*, from_: str, to: str, body: str, media_urls: Sequence[str] = ()) -> None:
    """Injected messages need E.164 addresses, some content, and text that can be served as UTF-8."""
    for name, value in (("from_", from_), ("to", to), ("body", body), *(("media_urls", url) for url in media_urls)):
        try:
            checks.text(name, value)
        except ValueError as err:
            raise ApiError(400, 20001, str(err)) from None
    addresses.check_inbound_address("from_", from_)
    addresses.check_inbound_address("to", to)
    if not body and not media_urls:
        raise ApiError(400, 21602, "An inbound message needs a body or media.")


def build_inbound(
    seq: int, created_at: float, *, account_sid: str, from_: str, to: str, body: str, media_urls: Sequence[str] = ()
) -> Message:
    return Message(
        sid=new_sid("MM" if media_urls else "SM"),
        account_sid=account_sid,
        seq=seq,
        created_at=created_at,
        to=to,
        from_=from_,
        body=body,
        direction="inbound",
        timeline=[Step(created_at, "received")],
        media_urls=tuple(media_urls),
        num_segments=count_segments(body).segments if body else 1,
    )
