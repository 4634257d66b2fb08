"""Twilio's check on URLs it is given (media, webhooks, TwiML): absolute http(s) with a host."""

from __future__ import annotations

from urllib.parse import urlsplit


def is_http_url(text: str) -> bool:
    """``http://`` or ``https://``, a host name and, if given, a valid port."""
    try:
        parts = urlsplit(text)
        host, _ = parts.hostname, parts.port
    except ValueError:
        return False
    return parts.scheme in ("http", "https") and bool(host) and not any(c.isspace() for c in text)
