"""What a connection says about its webhooks: the signing key, the public URL, and whether to trust proxies.

Read without the SDK; the key is kept out of ``repr`` and never logged.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

from airflow_provider_twilio.exceptions import TwilioConnectionConfigError
from airflow_provider_twilio.hooks.settings import TwilioConnectionSettings

_TRUE = ("true", "yes", "1", "on")
_FALSE = ("false", "no", "0", "off", "")


@dataclass(frozen=True)
class WebhookConfig:
    conn_id: str
    account_sid: str
    signing_key: str = field(repr=False)
    """The account's auth token: only it signs Twilio's webhooks (an API key secret never does)."""
    base_url: str | None
    """``scheme://host[:port][/prefix]`` that Twilio calls, without a trailing slash."""
    trust_forwarded_headers: bool
    default_to: str | None

    @classmethod
    def from_connection(cls, conn: Any) -> WebhookConfig:
        settings = TwilioConnectionSettings.from_connection(conn)
        extras = conn.extra_dejson if hasattr(conn, "extra_dejson") else {}

        def fail(name: str, problem: str) -> TwilioConnectionConfigError:
            return TwilioConnectionConfigError(f"Twilio connection {settings.conn_id!r}: extra {name!r} {problem}")

        token = str(extras.get("webhook_auth_token") or "").strip()
        if not token:
            if settings.uses_api_key:
                raise fail(
                    "webhook_auth_token",
                    "is required to check webhook signatures when the login is an API key: "
                    "set it to the account's auth token",
                )
            token = settings.secret
        return cls(
            conn_id=settings.conn_id,
            account_sid=settings.account_sid,
            signing_key=token,
            base_url=_base_url(extras.get("webhook_base_url"), fail),
            trust_forwarded_headers=_flag(extras.get("webhook_trust_forwarded_headers"), fail),
            default_to=settings.default_from,
        )


def _base_url(value: Any, fail: Any) -> str | None:
    text = str(value or "").strip()
    if not text:
        return None
    try:
        parts = urlsplit(text)
        _ = parts.port
    except ValueError:
        parts = None
    if parts is None or parts.scheme not in ("http", "https") or not parts.hostname or parts.query or parts.fragment:
        raise fail("webhook_base_url", "must be an http(s) URL such as https://airflow.example.com, without ? or #")
    return text.rstrip("/")


def _flag(value: Any, fail: Any) -> bool:
    if isinstance(value, bool):
        return value
    text = str(value if value is not None else "").strip().lower()
    if text in _TRUE:
        return True
    if text in _FALSE:
        return False
    raise fail("webhook_trust_forwarded_headers", "must be true or false")
