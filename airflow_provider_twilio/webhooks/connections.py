"""Each connection's webhook settings, remembered so that requests to made-up ids cost no lookup each.

Looking a connection up asks every secrets backend first, so anyone could make the api-server do it
for every request. Settings are kept in a least-recently-used cache of ``MAX_KNOWN`` connections for
``KNOWN_TTL`` seconds (a rotated token is in force within it). An unknown or unusable id is
remembered as such for ``UNKNOWN_TTL`` seconds in a separate cache of ``MAX_UNKNOWN`` ids, so a flood
of made-up ids costs one lookup per id and TTL and never pushes out a known connection.
"""

from __future__ import annotations

import logging
import threading
import time
from collections import OrderedDict
from collections.abc import Callable
from typing import Generic, TypeVar

from airflow_provider_twilio.webhooks.config import WebhookConfig

log = logging.getLogger(__name__)

KNOWN_TTL = 10.0
UNKNOWN_TTL = 30.0
"""A connection created after webhooks to its id were refused is used within this."""
MAX_KNOWN = 1024
MAX_UNKNOWN = 4096

V = TypeVar("V")


class _Lru(Generic[V]):
    """At most ``size`` entries, each for ``ttl`` seconds; the least recently used goes first."""

    def __init__(self, size: int, ttl: float) -> None:
        self.size, self.ttl = size, ttl
        self._entries: OrderedDict[str, tuple[float, V]] = OrderedDict()

    def get(self, key: str, now: float) -> tuple[bool, V | None]:
        entry = self._entries.get(key)
        if entry is None:
            return False, None
        if now - entry[0] >= self.ttl:
            del self._entries[key]
            return False, None
        self._entries.move_to_end(key)
        return True, entry[1]

    def put(self, key: str, value: V, now: float) -> None:
        self._entries[key] = (now, value)
        self._entries.move_to_end(key)
        while len(self._entries) > self.size:
            self._entries.popitem(last=False)

    def discard(self, key: str) -> None:
        self._entries.pop(key, None)


class ConnectionSettings:
    """``get(conn_id)``: the connection's webhook settings, or None if it is unknown or unusable."""

    def __init__(self, load: Callable[[str], WebhookConfig | None], clock: Callable[[], float] = time.monotonic):
        self.load, self.clock = load, clock
        self._lock = threading.Lock()
        self._known: _Lru[WebhookConfig] = _Lru(MAX_KNOWN, KNOWN_TTL)
        self._unknown: _Lru[None] = _Lru(MAX_UNKNOWN, UNKNOWN_TTL)

    def get(self, conn_id: str) -> WebhookConfig | None:
        now = self.clock()
        with self._lock:
            found, config = self._known.get(conn_id, now)
            if found:
                return config
            if self._unknown.get(conn_id, now)[0]:
                return None
        config = self.load(conn_id)
        with self._lock:
            if config is None:
                self._known.discard(conn_id)
                self._unknown.put(conn_id, None, now)
            else:
                self._unknown.discard(conn_id)
                self._known.put(conn_id, config, now)
        return config


def load_settings(conn_id: str) -> WebhookConfig | None:
    """Look the connection up (secrets backends, then the metadata DB); None if it cannot take webhooks."""
    from airflow.exceptions import AirflowNotFoundException
    from airflow.models.connection import Connection

    from airflow_provider_twilio.exceptions import TwilioConnectionConfigError

    try:
        conn = Connection.get_connection_from_secrets(conn_id)
    except AirflowNotFoundException:
        return None
    if conn.conn_type != "twilio":
        return None
    try:
        return WebhookConfig.from_connection(conn)
    except TwilioConnectionConfigError as err:
        log.warning("Refusing webhooks for %s: %s", conn_id, err)  # the error never holds a secret
        return None


settings = ConnectionSettings(load_settings)
"""The api-server worker's cache."""
