"""What a signed SMS or status webhook must look like before anything is recorded: exactly Twilio's form.

Twilio's signature joins every parameter name and value with no separator, so a captured webhook can be
cut again at other places (``MessageSid=<sid>NumMedia0`` with ``NumMedia`` dropped) and still verify.
Checking each parameter the receiver uses for its exact form (SIDs of fixed length, the connection's
account, a known status, ASCII digits) leaves such a re-cut only the free text to change; the first
delivery's split is then held to (see ``deliveries.py``).
"""

from __future__ import annotations

import hashlib
import json
import re
from dataclasses import dataclass
from typing import Any

from airflow_provider_twilio.sids import ACCOUNT_SID, MESSAGE_SID
from airflow_provider_twilio.statuses import MESSAGE_STATUSES

NUM_MEDIA = re.compile(r"[0-9]{1,2}")
ERROR_CODE = re.compile(r"[0-9]{1,6}")
MEDIA_URL = re.compile(r"MediaUrl([0-9]{1,2})")
MAX_MEDIA = 10
MAX_ADDRESS = 256


class BadForm(ValueError):
    """A signed form that is not what Twilio sends for this webhook; says which parameter."""


@dataclass(frozen=True)
class InboundForm:
    sid: str
    from_: str
    to: str
    body: str
    num_media: int


@dataclass(frozen=True)
class StatusForm:
    sid: str
    status: str


def inbound_form(form: Any, account_sid: str) -> InboundForm:
    """The text a signed "A message comes in" webhook reports, or ``BadForm``."""
    _common(form, account_sid)
    sid = _exact(form, "MessageSid", MESSAGE_SID)
    for alias in ("SmsMessageSid", "SmsSid"):
        if alias in form and _one(form, alias) != sid:
            raise BadForm(f"{alias} differs from MessageSid")
    from_, to = _address(form, "From"), _address(form, "To")
    body = _one(form, "Body", required=True)
    num_media = int(_exact(form, "NumMedia", NUM_MEDIA))
    if num_media > MAX_MEDIA:
        raise BadForm(f"NumMedia is over {MAX_MEDIA}")
    indexes = {int(found[1]) for name in form if (found := MEDIA_URL.fullmatch(name))}
    if indexes != set(range(num_media)) or any(not _one(form, f"MediaUrl{i}") for i in indexes):
        raise BadForm("MediaUrlN do not match NumMedia")
    return InboundForm(sid=sid, from_=from_, to=to, body=body, num_media=num_media)


def status_form(form: Any, account_sid: str) -> StatusForm:
    """The message and status a signed status callback reports, or ``BadForm``."""
    _common(form, account_sid)
    sid = _exact(form, "MessageSid", MESSAGE_SID)
    status = _one(form, "MessageStatus", required=True)
    if status not in MESSAGE_STATUSES:
        raise BadForm("MessageStatus is not one of Twilio's message statuses")
    if "SmsSid" in form and _one(form, "SmsSid") != sid:
        raise BadForm("SmsSid differs from MessageSid")
    if "SmsStatus" in form and _one(form, "SmsStatus") != status:
        raise BadForm("SmsStatus differs from MessageStatus")
    if "ErrorCode" in form:
        _exact(form, "ErrorCode", ERROR_CODE)
    for name in ("From", "To"):
        if name in form and len(_one(form, name)) > MAX_ADDRESS:
            raise BadForm(f"{name} is too long")
    return StatusForm(sid=sid, status=status)


def split_digest(form: Any) -> str:
    """Names and values exactly as this request split them: a re-cut of the same signed text differs."""
    return hashlib.sha256(json.dumps(sorted(form.multi_items())).encode()).hexdigest()


def _common(form: Any, account_sid: str) -> None:
    if _exact(form, "AccountSid", ACCOUNT_SID) != account_sid:
        raise BadForm("AccountSid is not the connection's account")


def _one(form: Any, name: str, *, required: bool = False) -> str:
    values = form.getlist(name)
    if len(values) > 1 or (required and not values):
        raise BadForm(f"{name} {'is repeated' if values else 'is missing'}")
    return str(values[0]) if values else ""


def _exact(form: Any, name: str, pattern: re.Pattern[str]) -> str:
    value = _one(form, name, required=True)
    if not pattern.fullmatch(value):
        raise BadForm(f"{name} is malformed")
    return value


def _address(form: Any, name: str) -> str:
    value = _one(form, name, required=True)
    if not value or len(value) > MAX_ADDRESS:
        raise BadForm(f"{name} is empty or too long")
    return value
