"""Holding a webhook for a watcher that a DAG declares but whose trigger Airflow has not registered yet.

Airflow registers a watcher's trigger (a ``trigger`` row linked through ``asset_watcher``) only for an
unpaused DAG, some seconds after the DAG file is parsed or the DAG is unpaused. A text or status
callback that arrives in between would match no registered watcher; Twilio retries a webhook only
within its 15 s budget, so it would never come again. Instead the receiver keeps it, for
``HOLD_FOR``, in the asset state store of each asset whose declared watcher would accept it, and
hands it to each watcher that registers within that time (``hand_over``), claimed as any webhook is:
at most once per watcher, asset and message.

"Declared" means: the latest serialized version of a DAG that is not stale has the asset with a
watcher of this trigger class whose arguments accept the webhook (paused or not: unpausing within
``HOLD_FOR`` still delivers it).
"""

from __future__ import annotations

import hashlib
import json
import logging
import threading
import time
from contextvars import ContextVar
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from typing import Any

log = logging.getLogger(__name__)

HOLD_FOR = timedelta(minutes=10)
"""How long a webhook waits for its watcher; then it is deleted unrecorded."""
MAX_HELD_PER_ASSET = 500
"""Held webhooks per asset; beyond it the receiver answers 503 (Twilio then tries the number's fallback URL)."""
MAX_FIELD_CHARS = 2000
"""A held field's length bound (a text body is at most 1,600 characters)."""
HELD_MARK = "twilio_held:"
DECLARED_TTL = 5.0
"""Seconds the declared watchers are reused; a DAG's watchers are re-read only when its version changes."""

INBOUND_CLASSPATH = "airflow_provider_twilio.triggers.events.TwilioInboundSmsEventTrigger"
STATUS_CLASSPATH = "airflow_provider_twilio.triggers.status_events.TwilioMessageStatusEventTrigger"
CLASSPATHS = {"sms": INBOUND_CLASSPATH, "status": STATUS_CLASSPATH}
FIELDS = (
    "MessageSid",
    "SmsSid",
    "SmsMessageSid",
    "AccountSid",
    "From",
    "To",
    "Body",
    "NumMedia",
    "MessageStatus",
    "SmsStatus",
    "ErrorCode",
    "ErrorMessage",
)
"""The form fields the watchers read; nothing else of a webhook is kept."""


class HoldingFull(Exception):
    """An asset already holds ``MAX_HELD_PER_ASSET`` webhooks: this one is not kept (and must not be answered 2xx)."""


@dataclass(frozen=True)
class Webhook:
    """A verified SMS or status webhook, reduced to what the watchers match on."""

    kind: str
    conn_id: str
    default_to: str | None
    fields: dict[str, str]
    received_at: str

    @classmethod
    def received(cls, kind: str, conn_id: str, default_to: str | None, form: Any) -> Webhook:
        fields = {name: str(form.get(name))[:MAX_FIELD_CHARS] for name in FIELDS if form.get(name) is not None}
        return cls(kind, conn_id, default_to, fields, datetime.now(timezone.utc).isoformat())

    @property
    def classpath(self) -> str:
        return CLASSPATHS[self.kind]

    @property
    def key(self) -> str:
        """The asset state store key it is held under: one per message (and status)."""
        sid = self.fields.get("MessageSid") or self.fields.get("SmsSid") or self.fields.get("SmsMessageSid") or ""
        status = self.fields.get("MessageStatus") or self.fields.get("SmsStatus") or ""
        identity = json.dumps([self.kind, self.conn_id, sid, status if self.kind == "status" else ""])
        return f"{HELD_MARK}{self.kind}:{hashlib.sha256(identity.encode()).hexdigest()[:32]}"

    def to_json(self) -> str:
        return json.dumps(
            {
                "kind": self.kind,
                "conn_id": self.conn_id,
                "default_to": self.default_to,
                "fields": self.fields,
                "received_at": self.received_at,
            }
        )

    @classmethod
    def from_json(cls, value: str) -> Webhook:
        data = json.loads(value)
        return cls(data["kind"], data["conn_id"], data["default_to"], dict(data["fields"]), data["received_at"])

    def event_for(self, kwargs: dict[str, Any]) -> tuple[str, dict[str, Any]] | None:
        """A watcher's claim key and payload for this webhook, or None: the receiver's matching, as received."""
        if kwargs.get("twilio_conn_id") != self.conn_id:
            return None
        if self.kind == "status":
            from airflow_provider_twilio.triggers.status_events import TwilioMessageStatusEventTrigger

            return TwilioMessageStatusEventTrigger(**kwargs).webhook_event(self.fields)
        from airflow_provider_twilio.inbound.matching import InboundMessage
        from airflow_provider_twilio.triggers.events import TwilioInboundSmsEventTrigger

        if kwargs.get("source") != "webhook" or (kwargs.get("to") or self.default_to) != self.fields.get("To"):
            return None
        num_media = self.fields.get("NumMedia") or "0"
        message = InboundMessage(
            sid=self.fields.get("MessageSid") or self.fields.get("SmsMessageSid") or "",
            from_=self.fields.get("From") or "",
            to=self.fields.get("To") or "",
            body=self.fields.get("Body") or "",
            date_sent=datetime.fromisoformat(self.received_at),
            num_media=int(num_media) if num_media.isascii() and num_media.isdigit() else 0,
        )
        if not message.sid:
            return None
        return TwilioInboundSmsEventTrigger(**kwargs).webhook_event(message)


@dataclass
class Pending:
    """The webhook being recorded, and in how many assets it was held."""

    webhook: Webhook
    held: int = 0


current: ContextVar[Pending | None] = ContextVar("twilio_webhook", default=None)
"""Set by the receiver around recording, so that the recorder can hold the webhook for a declared watcher."""


@dataclass(frozen=True)
class Declared:
    """A watcher as a serialized DAG declares it."""

    asset: tuple[str, str]
    """(name, uri) of the watched asset."""
    classpath: str
    kwargs: dict[str, Any]

    @property
    def identity(self) -> tuple[str, str, str, str]:
        return (*self.asset, self.classpath, canonical(self.kwargs))


def canonical(kwargs: dict[str, Any]) -> str:
    return json.dumps(kwargs, sort_keys=True, default=str)


class _DeclaredCache:
    """This provider's watchers declared by the latest version of every DAG that is not stale."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._by_dag: dict[str, tuple[str, list[Declared]]] = {}
        self._read_at = 0.0

    def get(self) -> list[Declared]:
        """Read in a session of its own, outside the caller's transaction: on SQLite a long read before a
        write makes the write fail when another process committed meanwhile."""
        from airflow.utils.session import create_session

        with self._lock:
            if time.monotonic() - self._read_at >= DECLARED_TTL:
                with create_session() as session:
                    self._by_dag = _read_declared(session, self._by_dag)
                self._read_at = time.monotonic()
            return [watcher for _, watchers in self._by_dag.values() for watcher in watchers]

    def clear(self) -> None:
        with self._lock:
            self._by_dag, self._read_at = {}, 0.0


declared = _DeclaredCache()


def _read_declared(session: Any, known: dict[str, tuple[str, list[Declared]]]) -> dict[str, tuple[str, list[Declared]]]:
    from airflow.models.dag import DagModel
    from airflow.models.serialized_dag import SerializedDagModel
    from sqlalchemy import select

    rows = session.execute(
        select(SerializedDagModel.id, SerializedDagModel.dag_id, SerializedDagModel.dag_hash)
        .join(DagModel, DagModel.dag_id == SerializedDagModel.dag_id)
        .where(DagModel.is_stale.is_(False))
        .order_by(SerializedDagModel.created_at)
    ).all()
    latest = {dag_id: (row_id, dag_hash) for row_id, dag_id, dag_hash in rows}  # the last version wins
    found: dict[str, tuple[str, list[Declared]]] = {}
    for dag_id, (row_id, dag_hash) in latest.items():
        if dag_id in known and known[dag_id][0] == dag_hash:
            found[dag_id] = known[dag_id]
            continue
        serialized = session.get(SerializedDagModel, row_id)
        try:
            watchers = list(_watchers_in(serialized.data or {}))
        except Exception:  # an unreadable DAG declares nothing we can hold for
            log.warning("Could not read the asset watchers of DAG %s", dag_id, exc_info=True)
            watchers = []
        found[dag_id] = (dag_hash, watchers)
    return found


def _watchers_in(node: Any) -> Any:
    """Every asset with a watcher of this provider anywhere in a serialized DAG."""
    from airflow.serialization.decoders import smart_decode_trigger_kwargs

    if isinstance(node, list):
        for item in node:
            yield from _watchers_in(item)
    elif isinstance(node, dict):
        watchers = node.get("watchers")
        if isinstance(watchers, list) and "name" in node and "uri" in node:
            for watcher in watchers:
                trigger = watcher.get("trigger") or {}
                if trigger.get("classpath") in CLASSPATHS.values():
                    kwargs = smart_decode_trigger_kwargs(trigger.get("kwargs") or {})
                    yield Declared((node["name"], node["uri"]), trigger["classpath"], dict(kwargs))
        for value in node.values():
            if isinstance(value, (dict, list)):
                yield from _watchers_in(value)


def hold(session: Any, webhook: Webhook, registered: list[Any]) -> int:
    """Keep the webhook for each declared watcher that would accept it but is not registered; how many assets hold it.

    ``registered`` are the receiver's watchers of this class (``recording.Watcher``).
    """
    from airflow.models.asset import AssetModel
    from sqlalchemy import select

    running = {
        (name, uri, webhook.classpath, canonical(watcher.kwargs))
        for watcher in registered
        for _, name, uri in watcher.assets
    }
    waiting_assets = {
        watcher.asset
        for watcher in declared.get()
        if watcher.classpath == webhook.classpath
        and watcher.identity not in running
        and _accepts(webhook, watcher.kwargs)
    }
    held = 0
    for name, uri in sorted(waiting_assets):
        asset_id = session.scalar(select(AssetModel.id).where(AssetModel.name == name, AssetModel.uri == uri))
        if asset_id is None:  # not written by the dag-processor yet
            continue
        if _held_count(session, asset_id) >= MAX_HELD_PER_ASSET:
            raise HoldingFull(f"asset {name!r} already holds {MAX_HELD_PER_ASSET} webhooks")
        _store(session, asset_id, webhook)
        held += 1
    return held


def _accepts(webhook: Webhook, kwargs: dict[str, Any]) -> bool:
    try:
        return webhook.event_for(kwargs) is not None
    except Exception:  # a declared watcher with arguments its class refuses never registers
        return False


def _held_count(session: Any, asset_id: int) -> int:
    from airflow.models.asset_state_store import AssetStateStoreModel
    from sqlalchemy import func, select

    return int(
        session.scalar(
            select(func.count())
            .select_from(AssetStateStoreModel)
            .where(AssetStateStoreModel.asset_id == asset_id, AssetStateStoreModel.key.like(f"{HELD_MARK}%"))
        )
        or 0
    )


def _store(session: Any, asset_id: int, webhook: Webhook) -> None:
    from airflow.models.asset_state_store import AssetStateStoreModel

    from airflow_provider_twilio.webhooks.inserts import insert_once

    now = datetime.now(timezone.utc)
    values = {"asset_id": asset_id, "key": webhook.key, "value": webhook.to_json(), "updated_at": now}
    insert_once(session, AssetStateStoreModel, values)  # a redelivery keeps the first one's time


def hand_over(session: Any, registered_for: Any, claim_and_record: Any) -> int:
    """Give every held webhook to each registered watcher of its asset that accepts it; drop expired ones.

    ``registered_for(classpath)`` lists the registered watchers; ``claim_and_record(asset, key, payload)``
    records one event unless already claimed (and writes nothing when it is). Returns how many were recorded.
    """
    from airflow.models.asset_state_store import AssetStateStoreModel
    from sqlalchemy import delete, select

    held = AssetStateStoreModel.key.like(f"{HELD_MARK}%")
    expired = AssetStateStoreModel.updated_at < datetime.now(timezone.utc) - HOLD_FOR
    # Read first, write only when there is something to write: an idle round takes no write lock.
    rows = session.execute(select(AssetStateStoreModel.asset_id, AssetStateStoreModel.value, expired).where(held)).all()
    if any(is_expired for _, _, is_expired in rows):
        session.execute(delete(AssetStateStoreModel).where(held).where(expired))
    recorded = 0
    for asset_id, value, is_expired in rows:
        if is_expired:
            continue
        try:
            webhook = Webhook.from_json(value)
        except (ValueError, KeyError, TypeError):
            continue
        for watcher in registered_for(webhook.classpath):
            asset = next((a for a in watcher.assets if a[0] == asset_id), None)
            if asset is None or not _accepts(webhook, watcher.kwargs):
                continue
            event = webhook.event_for(watcher.kwargs)
            if event is not None and claim_and_record(asset, *event):
                recorded += 1
    return recorded
