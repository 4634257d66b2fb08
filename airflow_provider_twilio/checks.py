"""Argument checks shared by every request the provider builds: bounded error text, URLs, whole numbers."""

from __future__ import annotations

import ipaddress
import re
import reprlib
from typing import Any
from urllib.parse import urlsplit

from airflow_provider_twilio.exceptions import TwilioInputError

_HOST_LABEL = re.compile(r"^(?!-)[A-Za-z0-9-]{1,63}(?<!-)$")

_shown = reprlib.Repr()
_shown.maxstring = _shown.maxother = 80
_shown.maxlevel = 3


def shown(value: Any) -> str:
    """A bounded ``repr`` for error messages: huge or deeply nested input stays readable and safe to format."""
    return _shown.repr(value)


def check_url(url: str, param: str) -> None:
    """An http(s) URL with a real hostname (or an IP address, or localhost); refused naming ``param``."""
    try:
        parts = urlsplit(url.strip())
        host = parts.hostname
        _ = parts.port
    except ValueError as err:
        raise TwilioInputError(f"{param}: {url!r} is not a valid URL ({err})") from None
    if parts.scheme not in ("http", "https"):
        raise TwilioInputError(f"{param}: {url!r} must be an http:// or https:// URL")
    if not host or not _valid_hostname(host):
        raise TwilioInputError(f"{param}: {url!r} has no valid hostname; expected e.g. https://example.com/path")


def _valid_hostname(host: str) -> bool:
    try:
        ipaddress.ip_address(host)
        return True
    except ValueError:
        pass
    labels = host.rstrip(".").split(".")
    if len(host) > 253 or not all(_HOST_LABEL.match(label) for label in labels):
        return False
    return len(labels) > 1 or host == "localhost"


def int_in_range(value: Any, param: str, low: int, high: int) -> int:
    """``value`` as a whole number within ``low..high``; text of a whole number counts, floats with a fraction not."""
    try:
        number = int(value)
        if isinstance(value, bool) or (isinstance(value, float) and value != number):
            raise ValueError
        if isinstance(value, str) and value.strip() != str(number):
            raise ValueError
    except (TypeError, ValueError):
        raise TwilioInputError(f"{param}: {shown(value)} is not a whole number; expected {low}..{high}") from None
    if not low <= number <= high:
        raise TwilioInputError(f"{param}: {number} is outside {low}..{high}")
    return number
