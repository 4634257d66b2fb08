"""Checking ``X-Twilio-Signature`` for the URL Twilio called.

Twilio signs the full URL it requested plus every POST parameter (sorted by name) with HMAC-SHA1 of
the account's auth token. Behind a proxy the api-server sees another URL than Twilio called, so the
URL is rebuilt from the connection's ``webhook_base_url`` (or, only if the connection says so, from
``X-Forwarded-Proto``/``X-Forwarded-Host``).
"""

from __future__ import annotations

import hmac
from collections.abc import Mapping
from typing import Any
from urllib.parse import urlsplit, urlunsplit

from airflow_provider_twilio.webhooks.config import WebhookConfig


def called_url(
    config: WebhookConfig, *, scheme: str, host: str, path: str, query: str, headers: Mapping[str, str]
) -> str:
    """The URL Twilio called, as it signed it: base URL (configured, forwarded or seen) + path + query."""
    if config.base_url:
        base = config.base_url
    else:
        if config.trust_forwarded_headers:
            scheme = _first(headers.get("x-forwarded-proto")) or scheme
            host = _first(headers.get("x-forwarded-host")) or host
        base = f"{scheme}://{host}"
    return base + path + (f"?{query}" if query else "")


def _first(value: str | None) -> str:
    """The client-side (first) entry of a proxy header that several proxies may have appended to."""
    return (value or "").split(",")[0].strip()


def is_signed(config: WebhookConfig, url: str, params: Any, signature: str | None) -> bool:
    """Whether ``signature`` is Twilio's for ``url`` and ``params`` (a multi-dict); constant-time compare.

    As twilio-python's own validator does, the URL is also tried with the scheme's default port
    added or removed, because Twilio signs the URL as configured.
    """
    if not signature:
        return False
    from twilio.request_validator import RequestValidator

    validator = RequestValidator(config.signing_key)
    given = signature.encode()
    matched = False
    for candidate in _port_variants(url):
        expected = validator.compute_signature(candidate, params).encode()
        matched |= hmac.compare_digest(expected, given)
    return matched


def _port_variants(url: str) -> list[str]:
    """``url``, and ``url`` with its scheme's default port added (or removed, if it names it)."""
    parts = urlsplit(url)
    try:
        port = parts.port
    except ValueError:  # a Host header is the caller's to choose
        return [url]
    default = {"https": 443, "http": 80}.get(parts.scheme)
    host = parts.netloc.rsplit(":", 1)[0] if port is not None else parts.netloc
    if port is None and default:
        return [url, urlunsplit(parts._replace(netloc=f"{host}:{default}"))]
    if port == default:
        return [url, urlunsplit(parts._replace(netloc=host))]
    return [url]
