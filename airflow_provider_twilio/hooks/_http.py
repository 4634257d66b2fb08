"""HTTP clients for the Twilio SDK, tuned for this provider. Imported only when a client is built."""

from __future__ import annotations

import base64
import logging
import os
from typing import Any

import requests.utils
from requests.adapters import HTTPAdapter
from twilio.http.async_http_client import AsyncTwilioHttpClient
from twilio.http.http_client import TwilioHttpClient

# The SDK logs every request at INFO; a 1,000-recipient batch would bury the task log.
SDK_HTTP_LOGGER = logging.getLogger("airflow_provider_twilio.sdk_http")
if SDK_HTTP_LOGGER.level == logging.NOTSET:
    SDK_HTTP_LOGGER.setLevel(logging.WARNING)

# Enough pooled connections for the sender's worker threads, on http (emulator, proxy) and https.
POOL_SIZE = 64


def build_sync_http_client(timeout: float) -> TwilioHttpClient:
    client = TwilioHttpClient(timeout=timeout, logger=SDK_HTTP_LOGGER)
    if client.session is not None:
        adapter = HTTPAdapter(pool_connections=4, pool_maxsize=POOL_SIZE)
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
        if auth is not None:
            token = base64.b64encode(f"{auth[0]}:{auth[1]}".encode()).decode("ascii")
            headers = {**(headers or {}), "Authorization": f"Basic {token}"}
        return await super().request(
            *args, timeout=timeout if timeout is not None else self.timeout, headers=headers, **kwargs
        )


def build_async_http_client(timeout: float) -> TimeoutAsyncTwilioHttpClient:
    # No max_retries: the SDK's async retries re-send POSTs after a 5xx, which can text someone twice.
    return TimeoutAsyncTwilioHttpClient(timeout=timeout, logger=SDK_HTTP_LOGGER)
