"""The account's phone numbers (IncomingPhoneNumbers) and where Twilio posts what arrives at them.

Only what webhooks need is acted on: ``SmsUrl`` / ``SmsMethod`` (where an inbound message is
delivered) and ``StatusCallback``. Every other field of the resource is rendered as Twilio does.
"""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass, replace
from typing import Any

from airflow_provider_twilio.emulator.http.errors import bad_request
from airflow_provider_twilio.emulator.http.timefmt import rfc2822
from airflow_provider_twilio.emulator.http.urls import is_http_url
from airflow_provider_twilio.emulator.model import addresses
from airflow_provider_twilio.emulator.model.message_store import API_VERSION, new_sid
from airflow_provider_twilio.emulator.simulation import magic_numbers

WEBHOOK_METHODS = ("GET", "POST")

_UPDATABLE = {"SmsUrl": "sms_url", "SmsMethod": "sms_method", "StatusCallback": "status_callback"}


@dataclass(frozen=True)
class PhoneNumber:
    sid: str
    phone_number: str
    created_at: float
    updated_at: float
    friendly_name: str
    sms_url: str = ""
    sms_method: str = "POST"
    status_callback: str = ""

    def render(self, account_sid: str) -> dict[str, Any]:
        uri = f"/{API_VERSION}/Accounts/{account_sid}/IncomingPhoneNumbers/{self.sid}.json"
        return {
            "account_sid": account_sid,
            "address_sid": None,
            "address_requirements": "none",
            "api_version": API_VERSION,
            "beta": False,
            "capabilities": {"voice": True, "sms": True, "mms": True, "fax": False},
            "date_created": rfc2822(self.created_at),
            "date_updated": rfc2822(self.updated_at),
            "friendly_name": self.friendly_name,
            "identity_sid": None,
            "phone_number": self.phone_number,
            "origin": "twilio",
            "sid": self.sid,
            "sms_application_sid": None,
            "sms_fallback_method": "POST",
            "sms_fallback_url": "",
            "sms_method": self.sms_method,
            "sms_url": self.sms_url,
            "status_callback": self.status_callback,
            "status_callback_method": "POST",
            "trunk_sid": None,
            "uri": uri,
            "voice_receive_mode": "voice",
            "voice_application_sid": None,
            "voice_caller_id_lookup": False,
            "voice_fallback_method": "POST",
            "voice_fallback_url": None,
            "voice_method": "POST",
            "voice_url": None,
            "emergency_status": "Inactive",
            "emergency_address_sid": None,
            "emergency_address_status": "unregistered",
            "bundle_sid": None,
            "status": "in-use",
            "type": "local",
        }


def _friendly(number: str) -> str:
    digits = number.removeprefix("+1")
    if len(digits) == 10 and digits.isdigit():
        return f"({digits[:3]}) {digits[3:6]}-{digits[6:]}"
    return number


class PhoneNumbers:
    """The account's numbers in purchase order; thread-safe (routes and the Python API share it)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._by_sid: dict[str, PhoneNumber] = {}
        self.reset()

    def reset(self) -> None:
        """Only the default sender, with no webhooks."""
        with self._lock:
            self._by_sid.clear()
        self.add(magic_numbers.DEFAULT_FROM)

    def add(self, phone_number: str) -> PhoneNumber:
        """Buy ``phone_number`` (E.164); buying one the account has returns the existing one."""
        addresses.check_inbound_address("phone_number", phone_number)
        with self._lock:
            for existing in self._by_sid.values():
                if existing.phone_number == phone_number:
                    return existing
            now = time.time()
            number = PhoneNumber(new_sid("PN"), phone_number, now, now, _friendly(phone_number))
            self._by_sid[number.sid] = number
            return number

    def get(self, sid: str) -> PhoneNumber | None:
        with self._lock:
            return self._by_sid.get(sid)

    def by_number(self, phone_number: str) -> PhoneNumber | None:
        with self._lock:
            return next((n for n in self._by_sid.values() if n.phone_number == phone_number), None)

    def all(self) -> list[PhoneNumber]:
        with self._lock:
            return list(self._by_sid.values())

    def update(self, sid: str, changes: dict[str, str]) -> PhoneNumber | None:
        with self._lock:
            number = self._by_sid.get(sid)
            if number is None:
                return None
            number = replace(
                number,
                sms_url=changes.get("sms_url", number.sms_url),
                sms_method=changes.get("sms_method", number.sms_method),
                status_callback=changes.get("status_callback", number.status_callback),
                updated_at=time.time(),
            )
            self._by_sid[sid] = number
            return number


def checked_changes(form: Any) -> dict[str, str]:
    """The updatable fields present in ``form``: URLs must be http(s) (or empty), methods GET or POST."""
    changes: dict[str, str] = {}
    for field, attribute in _UPDATABLE.items():
        if field not in form:
            continue
        value = (form.get(field) or "").strip()
        if attribute == "sms_method":
            value = value.upper() or "POST"
            if value not in WEBHOOK_METHODS:
                raise bad_request(20001, f"SmsMethod {value!r} is not valid: use GET or POST.")
        elif value and not is_http_url(value):
            raise bad_request(21502 if field == "SmsUrl" else 21609, f"The {field} URL {value} is not a valid URL.")
        changes[attribute] = value
    return changes
