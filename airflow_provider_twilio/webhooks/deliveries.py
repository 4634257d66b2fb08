"""A message's webhook counts only as its first delivery split it; Twilio's redeliveries are dropped early.

Twilio's signature does not fix where one parameter ends and the next begins, so a captured webhook
re-cut at a boundary inside the free text (``Body``) still verifies, with a shorter or longer body and
the same MessageSid. The claims in ``recording.py`` stop a second event only for watchers the first
delivery fired. So before anything is recorded, the first delivery of a message (of a status, for
callbacks) leaves a mark on each asset its connection's webhook watchers watch: a row in Airflow's
asset state store holding the digest of its exact split. A later delivery with another split is
refused; the same split (Twilio's retry, a replay) goes on to the claims, which record nothing new.
The marks are written in the transaction that records the events, before them, so they commit with
the events or not at all. They are pruned with the claims (their key holds ``:webhook:``).

``I-Twilio-Idempotency-Token`` is not signed, so it decides nothing on its own: a delivery whose token
and exact split this worker has already recorded is answered without touching the database again.
"""

from __future__ import annotations

import hashlib
import threading
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Any

MARK_PREFIX = "twilio_webhook_form:webhook:"
MAX_REMEMBERED = 4096


class ReCut(Exception):
    """An earlier delivery of the same message (and status) split its signed parameters otherwise."""


def hold_to_first_split(classpath: str, accepts: Callable[[dict[str, Any]], bool], key: str, digest: str) -> FirstSplit:
    """The mark that holds ``key`` (a message, or a message and status) to its first split, ``digest``.

    Give it to ``recording.record_events``: the mark is written in the transaction that records the
    events, before them, and ``ReCut`` raised there (with nothing of this delivery kept) if the message
    was delivered split otherwise before.
    """
    return FirstSplit(classpath, accepts, key, digest)


@dataclass(frozen=True)
class FirstSplit:
    classpath: str
    accepts: Callable[[dict[str, Any]], bool]
    key: str
    digest: str

    def mark(self, session: Any) -> None:
        """Mark the key on every asset of a watcher of ``classpath`` that ``accepts``; ``ReCut`` if it was
        marked with another split before (the caller rolls this delivery's marks back)."""
        from airflow.models.asset_state_store import AssetStateStoreModel
        from sqlalchemy import select

        from airflow_provider_twilio.webhooks.inserts import insert_once
        from airflow_provider_twilio.webhooks.recording import watchers

        mark = MARK_PREFIX + self.key
        watching = [watcher for watcher in watchers.get(self.classpath, session) if self.accepts(watcher.kwargs)]
        assets = sorted({asset_id for watcher in watching for asset_id, _, _ in watcher.assets})
        now = datetime.now(timezone.utc)
        for asset_id in assets:
            values = {"asset_id": asset_id, "key": mark, "value": self.digest, "updated_at": now}
            if insert_once(session, AssetStateStoreModel, values):
                continue
            stored = session.scalar(
                select(AssetStateStoreModel.value).where(
                    AssetStateStoreModel.asset_id == asset_id, AssetStateStoreModel.key == mark
                )
            )
            if stored != self.digest:
                raise ReCut(self.key)


class RecentDeliveries:
    """(idempotency token, split) of the deliveries this worker recorded lately: at most ``size``."""

    def __init__(self, size: int = MAX_REMEMBERED) -> None:
        self.size = size
        self._lock = threading.Lock()
        self._seen: OrderedDict[str, None] = OrderedDict()

    def seen(self, token: str | None, digest: str) -> bool:
        if not token:
            return False
        key = self._key(token, digest)
        with self._lock:
            if key in self._seen:
                self._seen.move_to_end(key)
                return True
        return False

    def add(self, token: str | None, digest: str) -> None:
        if not token:
            return
        with self._lock:
            self._seen[self._key(token, digest)] = None
            while len(self._seen) > self.size:
                self._seen.popitem(last=False)

    @staticmethod
    def _key(token: str, digest: str) -> str:
        return hashlib.sha256(f"{token}\n{digest}".encode("utf-8", "replace")).hexdigest()


recent = RecentDeliveries()
