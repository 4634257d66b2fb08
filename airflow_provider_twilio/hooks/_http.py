"""HTTP clients for the Twilio SDK, tuned for this provider. Imported only when a client is built."""

from __future__ import annotations

import base64
import logging
import os
from collections.abc import Callable
from functools import lru_cache
from typing import Any, TypeVar, cast
from urllib.parse import quote_plus

import requests.utils
from requests.adapters import HTTPAdapter
from requests.models import PreparedRequest
from requests.sessions import Session, merge_setting
from requests.structures import CaseInsensitiveDict
from twilio.http.async_http_client import AsyncTwilioHttpClient
from twilio.http.http_client import TwilioHttpClient
from twilio.http.response import Response

from airflow_provider_twilio.exceptions import TwilioConnectionConfigError

# The SDK logs every request at INFO; a 1,000-recipient batch would bury the task log.
SDK_HTTP_LOGGER = logging.getLogger("airflow_provider_twilio.sdk_http")
if SDK_HTTP_LOGGER.level == logging.NOTSET:
    SDK_HTTP_LOGGER.setLevel(logging.WARNING)

# Enough pooled connections for the sender's worker threads, on http (emulator, proxy) and https.
POOL_SIZE = 64


FORM = "application/x-www-form-urlencoded"


class LeanTwilioHttpClient(TwilioHttpClient):
    """The SDK's requests-based client, without the per-request work a pinned client does not need.

    The SDK's own ``request`` formats its log lines even when the logger drops them, records each
    request and response on the shared client (which threads sharing the client overwrite under each
    other), merges session settings, cookies and the environment into every request, and encodes the
    same credentials each time. Here a form or query request goes to the session's adapter prepared
    directly: the same pooled connections, proxies, TLS settings and ``requests`` errors, for about
    half the CPU. Anything else (JSON bodies, redirects) takes the SDK's path unchanged.
    """

    allowed_origin: str | None = None
    """With a custom ``base_url``: the only scheme, host and port requests may go to (see ``check_origin``)."""

    def __init__(self, timeout: float, logger: logging.Logger) -> None:
        super().__init__(timeout=timeout, logger=logger)
        # What every request of a kind shares, prepared once: the SDK sends the same headers, URL and
        # credentials over and over. Each memo is small and replaced when full, never grown past it.
        self._headers: dict[tuple[tuple[str, str], ...], dict[str, str | bytes]] = {}
        self._urls: dict[str, str] = {}
        self._auth_headers: dict[tuple[str, str], str] = {}

    def request(
        self,
        method: str,
        url: str,
        params: dict[str, object] | None = None,
        data: dict[str, object] | None = None,
        headers: dict[str, str] | None = None,
        auth: tuple[str, str] | None = None,
        timeout: float | None = None,
        allow_redirects: bool = False,
    ) -> Response:
        check_origin(self.allowed_origin, url)
        session = self.session
        if session is None or allow_redirects or (headers and headers.get("Content-Type", FORM) != FORM):
            return super().request(method, url, params, data, headers, auth, timeout, allow_redirects)
        if timeout is None:
            timeout = self.timeout
        elif timeout <= 0:
            raise ValueError(timeout)
        method = method.upper()
        logged = self.logger.isEnabledFor(logging.INFO)
        if logged:
            self.log_request({"method": method, "url": url, "params": params, "headers": headers})
        prepared = self._prepare(session, method, url, params, data, headers, auth)
        sent = session.get_adapter(url).send(
            prepared, timeout=timeout, verify=session.verify, cert=session.cert, proxies=session.proxies
        )
        if logged:
            self.log_response(sent.status_code, sent)
        # Read whole (which hands the connection back to the pool), without requests' chunked generators.
        text = sent.raw.read(decode_content=True).decode(sent.encoding or "utf-8", errors="replace")
        return Response(int(sent.status_code), text, sent.headers)

    def _prepare(
        self,
        session: Session,
        method: str,
        url: str,
        params: dict[str, object] | None,
        data: dict[str, object] | None,
        headers: dict[str, str] | None,
        auth: tuple[str, str] | None,
    ) -> PreparedRequest:
        prepared = PreparedRequest()
        prepared.method = method
        if params:
            prepared.prepare_url(url, cast(Any, params))  # what the SDK passes requests, typed loosely
        else:
            prepared.url = _memo(self._urls, url, lambda: _prepared_url(url))
        key = tuple(headers.items()) if headers else ()
        # A plain dict: urllib3 only iterates it, and copying a case-insensitive one costs more than sending it.
        sent = _memo(self._headers, key, lambda: _prepared_headers(session, headers)).copy()
        body = form_encode(data) if data else ""
        if body:
            prepared.body = body
            sent["Content-Type"] = FORM
            sent["Content-Length"] = str(len(body))  # ASCII: the encoding percent-encodes the rest
        elif method not in ("GET", "HEAD"):
            sent["Content-Length"] = "0"
        if auth is not None:
            sent["Authorization"] = _memo(self._auth_headers, auth, lambda: basic_authorization(auth))
        prepared.headers = cast(Any, sent)
        return prepared


def check_origin(allowed_origin: str | None, url: str) -> None:
    """Refuse, before any byte is sent, a request to a host other than the connection's ``base_url``.

    The SDK builds each product's URL from its own domain (``lookups.twilio.com`` for Lookup); a domain
    the hook did not point at ``base_url`` would otherwise receive the connection's credentials.
    """
    if allowed_origin is not None and url != allowed_origin and not url.startswith(allowed_origin + "/"):
        origin = "/".join(url.split("/", 3)[:3])
        raise TwilioConnectionConfigError(
            f"Refused to send a request to {origin}: the connection's base_url sends requests only to "
            f"{allowed_origin}, and the credentials go nowhere else"
        )


MEMO_SIZE = 16
K = TypeVar("K")
V = TypeVar("V")


def _memo(memo: dict[K, V], key: K, make: Callable[[], V]) -> V:
    value = memo.get(key)
    if value is None:
        value = make()
        if len(memo) >= MEMO_SIZE:
            memo.clear()
        memo[key] = value
    return value


def _prepared_url(url: str) -> str:
    prepared = PreparedRequest()
    prepared.prepare_url(url, None)
    return str(prepared.url)


# The headers the client sets itself, spelled one way so that setting one replaces any the session had.
OWN_HEADERS = {name.lower(): name for name in ("Content-Type", "Content-Length", "Authorization")}


def _prepared_headers(session: Session, headers: dict[str, str] | None) -> dict[str, str | bytes]:
    """The session's defaults under the request's own, checked as ``requests`` checks them."""
    prepared = PreparedRequest()
    prepared.prepare_headers(merge_setting(headers, session.headers, dict_class=CaseInsensitiveDict))
    return {OWN_HEADERS.get(name.lower(), name): value for name, value in prepared.headers.items()}


def basic_authorization(auth: tuple[str, str]) -> str:
    return "Basic " + base64.b64encode(f"{auth[0]}:{auth[1]}".encode()).decode("ascii")


def form_encode(values: dict[str, object]) -> str:
    """Form-encode as ``requests`` does: a list repeats its key, None values are left out."""
    pairs = []
    for key, value in values.items():
        for item in value if isinstance(value, (list, tuple)) else (value,):
            if item is not None:
                pairs.append(f"{_quoted(key)}={_quoted(item if isinstance(item, (str, bytes)) else str(item))}")
    return "&".join(pairs)


@lru_cache(maxsize=256)
def _quoted(text: str | bytes) -> str:
    """The batch's body and sender are encoded once, not once per recipient (character by character)."""
    return quote_plus(text)


@lru_cache(maxsize=64)
def _encoding(content_type: str | None) -> str | None:
    """The charset ``requests`` reads from a ``Content-Type``, found once per distinct header value."""
    return requests.utils.get_encoding_from_headers(CaseInsensitiveDict({"Content-Type": content_type or ""}))


class PooledHTTPAdapter(HTTPAdapter):
    """``requests``' adapter, finding a request's connection pool once per host and settings, not per request.

    The SDK's responses set no cookies worth keeping (and the session's own path would store them in a
    jar nothing reads), so they are not parsed out of every response either.
    """

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self._pools: dict[tuple[Any, ...], Any] = {}
        self._request_urls: dict[tuple[Any, ...], str] = {}

    def get_connection_with_tls_context(
        self, request: PreparedRequest, verify: Any, proxies: dict[str, str] | None = None, cert: Any = None
    ) -> Any:
        origin = str(request.url).split("/", 3)[:3]  # scheme, "", host and port
        key = (*origin, verify, cert, tuple(proxies.items()) if proxies else ())
        pool = self._pools.get(key)
        if pool is None or pool.pool is None:  # unknown, or closed since
            pool = super().get_connection_with_tls_context(request, verify, proxies=proxies, cert=cert)
            self._pools = {**(self._pools if len(self._pools) < MEMO_SIZE else {}), key: pool}
        return pool

    def request_url(self, request: PreparedRequest, proxies: dict[str, str] | None) -> str:
        """The path (or, through an HTTP proxy, the whole URL) to send, worked out once per URL and proxies."""
        key = (str(request.url), tuple(proxies.items()) if proxies else ())
        return _memo(self._request_urls, key, lambda: super(PooledHTTPAdapter, self).request_url(request, proxies))

    def build_response(self, req: PreparedRequest, resp: Any) -> requests.Response:
        response = requests.Response()
        response.status_code = resp.status
        # urllib3's headers are case-insensitive already: kept, not copied into another such mapping.
        response.headers = resp.headers
        response.encoding = _encoding(resp.headers.get("Content-Type"))
        response.raw = resp
        response.reason = resp.reason
        response.url = str(req.url)
        response.request = req
        response.connection = self
        return response

    def close(self) -> None:
        self._pools = {}
        super().close()


def build_sync_http_client(timeout: float) -> TwilioHttpClient:
    client = LeanTwilioHttpClient(timeout=timeout, logger=SDK_HTTP_LOGGER)
    if client.session is not None:
        adapter = PooledHTTPAdapter(pool_connections=4, pool_maxsize=POOL_SIZE)
        client.session.mount("https://", adapter)
        client.session.mount("http://", adapter)
    return client


def pin_environment(client: TwilioHttpClient, url: str) -> None:
    """Read proxy and CA-bundle settings from the environment once, for the one host the client talks to.

    requests otherwise re-reads the environment (and evaluates ``no_proxy``) on every request, a
    fifth of the client's CPU per message in a bulk send.
    """
    session = client.session
    if session is None:
        return
    session.proxies.update(requests.utils.get_environ_proxies(url))
    bundle = os.environ.get("REQUESTS_CA_BUNDLE") or os.environ.get("CURL_CA_BUNDLE")
    if bundle and session.verify is True:
        session.verify = bundle
    session.trust_env = False


class TimeoutAsyncTwilioHttpClient(AsyncTwilioHttpClient):
    """Applies the client's own timeout to every request (the SDK's async client ignores it), and sends
    credentials as a header, since aiohttp deprecates its ``auth`` parameter and warns on every request.

    Built without its aiohttp session, which needs the running event loop: the client can be built in a
    worker thread, and ``open()`` then creates the session on the loop.
    """

    session: Any  # the SDK's attribute: None until ``open()``
    allowed_origin: str | None = None

    def __init__(self, timeout: float, logger: logging.Logger) -> None:
        super().__init__(pool_connections=False, timeout=timeout, logger=logger)

    def open(self) -> None:
        """Create the pooled session; call on the event loop that will use it."""
        if self.session is None:
            from aiohttp import ClientSession

            self.session = ClientSession(trace_configs=self.trace_configs)

    async def request(
        self,
        *args: Any,
        timeout: float | None = None,
        auth: tuple[str, str] | None = None,
        headers: dict[str, str] | None = None,
        **kwargs: Any,
    ) -> Any:
        check_origin(self.allowed_origin, str(args[1] if len(args) > 1 else kwargs.get("url", "")))
        if auth is not None:
            headers = {**(headers or {}), "Authorization": basic_authorization(auth)}
        return await super().request(
            *args, timeout=timeout if timeout is not None else self.timeout, headers=headers, **kwargs
        )


def build_async_http_client(timeout: float) -> TimeoutAsyncTwilioHttpClient:
    # No max_retries: the SDK's async retries re-send POSTs after a 5xx, which can text someone twice.
    return TimeoutAsyncTwilioHttpClient(timeout=timeout, logger=SDK_HTTP_LOGGER)
