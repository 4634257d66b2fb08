"""HTTP clients for the Twilio SDK, tuned for this provider. Imported only when a client is built."""

from __future__ import annotations

import logging
from typing import Any

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


class TimeoutAsyncTwilioHttpClient(AsyncTwilioHttpClient):
    """Applies the client's own timeout to every request; the SDK's async client ignores it."""

    async def request(self, *args: Any, timeout: float | None = None, **kwargs: Any) -> Any:
        return await super().request(*args, timeout=timeout if timeout is not None else self.timeout, **kwargs)


def build_async_http_client(timeout: float) -> TimeoutAsyncTwilioHttpClient:
    # No max_retries: the SDK's async retries re-send POSTs after a 5xx, which can text someone twice.
    return TimeoutAsyncTwilioHttpClient(timeout=timeout, logger=SDK_HTTP_LOGGER)
