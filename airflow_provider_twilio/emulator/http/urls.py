"""Twilio's check on URLs it is given (media, webhooks, TwiML): absolute http(s) with a host.

The same check guards every request the emulator sends: a URL named in TwiML (``<Redirect>``, a
``<Gather>`` action) or in an HTTP redirect is fetched only if it passes, so ``file:``, ``ftp:``,
``data:`` and every other scheme are never opened.
"""

from __future__ import annotations

from urllib.parse import urlsplit

INVALID_URL = 11100
"""Twilio's "Invalid URL format": a bad URL in a verb's body (``<Redirect>``) or ``action`` attribute."""

_SHOWN_CHARS = 200


class UnsupportedUrl(ValueError):
    """A URL the emulator refuses to open: not an absolute http(s) URL with a host."""

    def __init__(self, url: str) -> None:
        shown = url if len(url) <= _SHOWN_CHARS else url[:_SHOWN_CHARS] + "..."
        super().__init__(f"Invalid URL format: {shown!r} is not an absolute http:// or https:// URL")
        self.url = url


def is_http_url(text: str) -> bool:
    """``http://`` or ``https://``, a host name and, if given, a valid port."""
    try:
        parts = urlsplit(text)
        host, _ = parts.hostname, parts.port
    except ValueError:
        return False
    return parts.scheme in ("http", "https") and bool(host) and not any(c.isspace() for c in text)


def require_http_url(url: str) -> str:
    """``url`` if the emulator may send a request to it; ``UnsupportedUrl`` otherwise."""
    if not is_http_url(url):
        raise UnsupportedUrl(url)
    return url
