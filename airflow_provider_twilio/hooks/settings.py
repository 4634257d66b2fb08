"""Reads and checks a Twilio Airflow connection, without importing the SDK."""

from __future__ import annotations

import ipaddress
import json
import math
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

from airflow_provider_twilio.exceptions import TwilioConnectionConfigError

DEFAULT_TIMEOUT = 30.0
# Far beyond any useful wait for one request, and well inside what sockets and event loops accept
# (1e10 s overflows them on every request).
MAX_TIMEOUT = 3600.0
# Twilio SIDs are a two-letter type prefix and 32 hex digits; allow any letters so typos are reported, not guessed.
_SID_BODY = re.compile(r"[0-9A-Za-z]{32}")
# Region and edge become labels of the API host name (api.<edge>.<region>.twilio.com): anything beyond
# label syntax could move the request, and the credentials with it, to another host.
_HOST_LABEL = re.compile(r"[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?")
_LABEL_CHAR = re.compile(r"[a-z0-9-]")
# Plain http is only safe where the request never leaves the machine: the bundled emulator, a local proxy.
_LOOPBACK_NAMES = frozenset({"localhost", "localhost."})

_Fail = Callable[[str, str], TwilioConnectionConfigError]


@dataclass(frozen=True)
class TwilioConnectionSettings:
    """Everything the provider needs from a connection; the secret is kept out of ``repr``."""

    conn_id: str
    username: str
    secret: str = field(repr=False)
    account_sid: str
    region: str | None = None
    edge: str | None = None
    base_url: str | None = None
    default_from: str | None = None
    default_messaging_service_sid: str | None = None
    timeout: float = DEFAULT_TIMEOUT

    @property
    def uses_api_key(self) -> bool:
        return self.username.startswith("SK")

    @property
    def console_messages_url(self) -> str:
        return "https://console.twilio.com/us1/monitor/logs/sms"

    @classmethod
    def from_connection(cls, conn: Any) -> TwilioConnectionSettings:
        conn_id = getattr(conn, "conn_id", None) or "<unnamed>"
        extras = _extras_of(conn, conn_id)

        def fail(field_name: str, problem: str) -> TwilioConnectionConfigError:
            return TwilioConnectionConfigError(f"Twilio connection {conn_id!r}: {field_name} {problem}")

        username = (conn.login or "").strip()
        # Pasted tokens often carry a newline; Twilio secrets never contain whitespace.
        secret = (conn.password or "").strip()
        if not username:
            raise fail("login", "is empty; expected an Account SID (AC...) or an API key SID (SK...)")
        if not username.startswith(("AC", "SK")):
            # Only the first characters are shown: a login swapped with the password must not leak the secret.
            raise fail(
                "login",
                f"starts with {username[:2]!r}; expected an Account SID (AC...) or an API key SID (SK...)",
            )
        _check_sid_shape(username, "login", fail)
        if not secret:
            raise fail("password", "is empty; expected the auth token or the API key secret")

        account_sid = _text(extras.get("account_sid"))
        if username.startswith("SK"):
            if not account_sid:
                raise fail("extra 'account_sid'", "is required when the login is an API key SID (SK...)")
        elif account_sid and account_sid != username:
            # Neither value is echoed: the extra may hold a secret pasted into the wrong field.
            raise fail("extra 'account_sid'", "differs from the login; leave it empty or repeat the login's AC... SID")
        account_sid = account_sid or username
        if not account_sid.startswith("AC"):
            raise fail("extra 'account_sid'", f"starts with {account_sid[:2]!r}; it is not an Account SID (AC...)")
        _check_sid_shape(account_sid, "extra 'account_sid'", fail)

        return cls(
            conn_id=conn_id,
            username=username,
            secret=secret,
            account_sid=account_sid,
            region=_host_label(extras.get("region"), "extra 'region'", "ie1", fail),
            edge=_host_label(extras.get("edge"), "extra 'edge'", "dublin", fail),
            base_url=_base_url(extras.get("base_url"), fail),
            default_from=_text(extras.get("default_from")),
            default_messaging_service_sid=_text(extras.get("default_messaging_service_sid")),
            timeout=_timeout(extras.get("timeout"), fail),
        )


def _extras_of(conn: Any, conn_id: str) -> dict[str, Any]:
    raw = getattr(conn, "extra", None)
    if not raw:
        return {}
    if isinstance(raw, dict):
        return raw
    try:
        extras = json.loads(raw)
    except ValueError as err:
        raise TwilioConnectionConfigError(f"Twilio connection {conn_id!r}: extra is not valid JSON") from err
    if not isinstance(extras, dict):
        raise TwilioConnectionConfigError(f"Twilio connection {conn_id!r}: extra must be a JSON object")
    return extras


def _text(value: Any) -> str | None:
    if value is None:
        return None
    text = str(value).strip()
    return text or None


def _check_sid_shape(sid: str, field_name: str, fail: _Fail) -> None:
    if not _SID_BODY.fullmatch(sid[2:]):
        # The value is not echoed, in case a secret was pasted into the wrong field.
        raise fail(
            field_name,
            f"is not a SID: expected {sid[:2]} followed by 32 letters or digits, got {len(sid)} characters",
        )


def _base_url(value: Any, fail: _Fail) -> str | None:
    text = _text(value)
    if text is None:
        return None
    parts = urlsplit(text)
    if parts.username is not None or parts.password is not None:
        # Not echoed: the user part may hold a password. Twilio credentials belong in login/password.
        raise fail("extra 'base_url'", "must not embed credentials (user:password@); use the login and password fields")
    # The value is not echoed (a token pasted here would land in a log); only a short scheme is shown.
    if parts.scheme not in ("http", "https"):
        shown = f"scheme {parts.scheme!r}" if re.fullmatch(r"[A-Za-z]{1,5}", parts.scheme) else "no http(s) scheme"
        raise fail("extra 'base_url'", f"has {shown}; it is not an http(s) URL like https://api.twilio.com")
    if not parts.hostname:
        raise fail("extra 'base_url'", "names no host; it is not an http(s) URL like https://api.twilio.com")
    if parts.query or parts.fragment:
        raise fail("extra 'base_url'", "must not carry a query or fragment; give scheme, host, port and path only")
    if parts.scheme == "http" and not is_loopback_host(parts.hostname):
        # The host is not echoed either: a secret pasted here would otherwise be shown.
        raise fail(
            "extra 'base_url'",
            "is http:// to a host that is not loopback, so the auth token would travel in clear text; use "
            "https://, or http:// only to a loopback host (127.0.0.1, localhost, ::1) such as the bundled emulator",
        )
    return text.rstrip("/")


def is_loopback_host(hostname: str) -> bool:
    """True for ``localhost`` and literal loopback addresses (127.0.0.0/8, ::1): traffic that stays on this machine.

    Other names are not resolved: what a name points at can change after the check.
    """
    host = hostname.lower()
    if host in _LOOPBACK_NAMES:
        return True
    try:
        address = ipaddress.ip_address(host)
    except ValueError:
        return False
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        address = address.ipv4_mapped
    return address.is_loopback


def _host_label(value: Any, field_name: str, example: str, fail: _Fail) -> str | None:
    text = _text(value)
    if text is None or _HOST_LABEL.fullmatch(text):
        return text
    # Only the first offending character is shown, never the value.
    bad = next((char for char in text if not _LABEL_CHAR.fullmatch(char)), None)
    problem = f"contains {bad!r}" if bad else "starts or ends with '-' or is over 63 characters"
    raise fail(
        field_name,
        f"{problem}; expected a host name label of lowercase letters, digits and hyphens, like {example!r}",
    )


def _timeout(value: Any, fail: _Fail) -> float:
    if value is None or value == "":
        return DEFAULT_TIMEOUT
    valid = f"expected a number of seconds, more than 0 and at most {MAX_TIMEOUT:g}"
    if isinstance(value, bool):
        raise fail("extra 'timeout'", f"is {value!r}; {valid}")
    try:
        seconds = float(value)
    except (TypeError, ValueError):
        # Text is not echoed, in case a secret was pasted into the wrong field.
        raise fail("extra 'timeout'", f"is not a number ({type(value).__name__}); {valid}") from None
    if not math.isfinite(seconds) or not 0 < seconds <= MAX_TIMEOUT:
        raise fail("extra 'timeout'", f"{seconds:g} is outside the valid range; {valid}")
    return seconds
