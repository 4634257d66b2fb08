"""TwilioInboundSmsEventTrigger: an inbound SMS starts DAG runs, through an Airflow 3 ``AssetWatcher``.

Airflow 3 only: Airflow 2 has no event-driven scheduling. This module still imports there (it is
re-exported from ``triggers.sms``), and constructing the trigger fails with a clear error.

How it works: every watcher on one (connection, number, poll interval) reads the inbox through one
shared poll (Airflow 3.3's shared streams, and the provider's per-event-loop inbox poller below that),
and applies its own pattern and senders to each message. What a watcher has handled is a checkpoint of
its cursor (the high-water mark and the SIDs read near it), saved in the asset state store before each
event is handed to Airflow (3.3+), so a restarted triggerer goes on where the last one stopped.

With ``source="webhook"`` the watcher does not poll: the provider's api-server plugin receives each
text from Twilio, checks its signature and records the asset event itself, matching it with
``webhook_event`` below (the same matching and payload as a polled text; see docs/webhooks.md), and
holds a text for a watcher whose trigger Airflow has not registered yet (``webhooks/holding.py``).
Either way, the api-server's plugin makes sure each event gets a DAG run (docs/events.md).
"""

from __future__ import annotations

import asyncio
import hashlib
import json
import logging
import time
from collections.abc import AsyncIterator, Hashable, Iterable
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import TYPE_CHECKING, Any

from airflow.triggers.base import BaseTrigger, TriggerEvent

if TYPE_CHECKING:
    from regex import Pattern

    from airflow_provider_twilio.inbound.matching import InboundMessage
    from airflow_provider_twilio.inbound.polling import InboxCursor

try:
    from airflow.triggers.base import BaseEventTrigger
except ImportError:  # Airflow 2: no AssetWatcher, no event triggers
    BaseEventTrigger = BaseTrigger  # type: ignore[misc,assignment]

log = logging.getLogger(__name__)

EVENT_TRIGGERS_AVAILABLE = BaseEventTrigger is not BaseTrigger
DEFAULT_EVENT_POLL_INTERVAL = 5.0
# A watcher that sees only non-matching messages still saves how far it read, at most this often,
# so that a restart does not read them all again. Matching messages are always saved before firing.
CHECKPOINT_EVERY = 30.0
# After a permanent error (bad credentials, unknown account) the shared poll starts again after this
# long, doubling up to the maximum: a watcher has no task to fail, only the triggerer log to tell.
RETRY_AFTER_ERROR = (10.0, 300.0)
STATE_KEY_PREFIX = "twilio_inbound_sms"
SOURCES = ("poll", "webhook")


@dataclass(frozen=True)
class InboxBatch:
    """One raw event of the shared stream: what a poll of the number found (oldest first)."""

    to: str
    messages: tuple[InboundMessage, ...]


class TwilioInboundSmsEventTrigger(BaseEventTrigger):
    """Fires one ``TriggerEvent`` per inbound SMS that matches, oldest first, for an ``AssetWatcher``.

    Airflow 3 only. The event's payload (an asset event's ``extra["payload"]``) is
    ``{"sid", "from", "to", "body", "date_sent", "num_media", "match_groups", "groups"}``.

    :param to: the number texts are sent to; default: the connection's ``default_from``.
    :param pattern: regular expression searched in each body; default: every message fires.
    :param from_: only messages from this number or these numbers; default: anyone.
    :param ignore_case: match case-insensitively.
    :param poll_interval: seconds between reads of the inbox (``source="poll"``).
    :param twilio_conn_id: the Twilio connection.
    :param source: ``"poll"`` reads the inbox through the API; ``"webhook"`` (Airflow 3.3+) never calls
        Twilio: texts arrive at the api-server's ``/twilio/<conn_id>/sms`` endpoint (docs/webhooks.md).
    """

    def __init__(
        self,
        *,
        to: str | None = None,
        pattern: str | None = None,
        from_: str | list[str] | None = None,
        ignore_case: bool = False,
        poll_interval: float = DEFAULT_EVENT_POLL_INTERVAL,
        twilio_conn_id: str = "twilio_default",
        source: str = "poll",
    ) -> None:
        from airflow_provider_twilio.addresses import shaped_numbers
        from airflow_provider_twilio.exceptions import TwilioInputError

        if not EVENT_TRIGGERS_AVAILABLE:
            from airflow_provider_twilio._compat import AirflowException

            raise AirflowException(
                "TwilioInboundSmsEventTrigger needs Airflow 3 (Asset watchers and BaseEventTrigger); "
                "on Airflow 2 wait for a text inside a run with TwilioInboundSmsSensor"
            )
        super().__init__()
        # Checked here, cheaply, so that a mistake is a DAG import error rather than a failing watcher.
        # The triggerer builds triggers on its event loop: nothing heavy may happen in this constructor.
        self.to = shaped_numbers(to, "to")[0] if to else None
        senders = shaped_numbers(from_, "from_") if from_ not in (None, "", []) else []
        if from_ not in (None, "", []) and not senders:
            raise TwilioInputError(f"from_: no phone number found in {from_!r}")
        self.from_ = senders or None
        self.pattern = pattern or None
        self.ignore_case = bool(ignore_case)
        if self.pattern is not None and not _on_event_loop():
            _compile(self.pattern, self.ignore_case)  # in the triggerer: compiled off the loop at start
        try:
            self.poll_interval = float(poll_interval)
        except (TypeError, ValueError):
            self.poll_interval = -1.0
        if not self.poll_interval > 0:
            raise TwilioInputError(f"poll_interval: expected a positive number of seconds, got {poll_interval!r}")
        if source not in SOURCES:
            raise TwilioInputError(f"source: expected one of {', '.join(SOURCES)}, got {source!r}")
        if source == "webhook":
            from airflow_provider_twilio.capabilities import WEBHOOKS_NEED, webhooks_supported

            if not webhooks_supported():
                raise TwilioInputError(f"source: 'webhook' is not available here: {WEBHOOKS_NEED}; use source='poll'")
        self.source = source
        self.twilio_conn_id = twilio_conn_id
        self._regex: Pattern[str] | None = None

    def serialize(self) -> tuple[str, dict[str, Any]]:
        return (
            f"{type(self).__module__}.{type(self).__qualname__}",
            {
                "to": self.to,
                "pattern": self.pattern,
                "from_": self.from_,
                "ignore_case": self.ignore_case,
                "poll_interval": self.poll_interval,
                "twilio_conn_id": self.twilio_conn_id,
                "source": self.source,
            },
        )

    # ---- webhook mode: the api-server plugin matches each received text with this -----------------

    def webhook_event(self, message: InboundMessage) -> tuple[str, dict[str, Any]] | None:
        """For a verified webhook text: this watcher's claim key and the payload it fires with, or None.

        Sync (the receiver's thread). The receiver has checked the connection and the number; senders
        and pattern are checked here exactly as for a polled text, and the payload is the same. The
        key names this watcher and the message, so the receiver records it at most once.
        """
        from airflow_provider_twilio.addresses import parse_numbers

        senders = frozenset(parse_numbers(self.from_, "from_")) if self.from_ else None
        if self.pattern is not None and self._regex is None:
            self._regex = _compile(self.pattern, self.ignore_case)
        result = match_message(self._regex, senders, message)
        if result is None:
            return None
        return f"{self._state_key()}:webhook:{message.sid}", payload(message, result)

    # ---- shared stream (Airflow 3.3+): one poll per connection, number and interval --------------

    def shared_stream_key(self) -> Hashable | None:
        if self.source == "webhook":
            return None  # nothing to share: run() only waits
        return ("twilio-inbound-sms", self.twilio_conn_id, self.to, self.poll_interval)

    @classmethod
    async def open_shared_stream(cls, kwargs: dict[str, Any]) -> AsyncIterator[Any]:
        """Every new message to the number, in batches, for all watchers of this key; runs until cancelled."""
        conn_id, interval = kwargs["twilio_conn_id"], float(kwargs["poll_interval"])
        to = await _resolve_to(conn_id, kwargs.get("to"))
        since = datetime.now(timezone.utc)
        async for messages in _feed(conn_id, to, since, interval):
            yield InboxBatch(to=to, messages=tuple(messages))

    async def filter_shared_stream(self, shared_stream: AsyncIterator[Any]) -> AsyncIterator[TriggerEvent]:
        """Catch up from this watcher's checkpoint, then fire for each matching message of the stream."""
        watch = await self._start()
        async for messages in _catch_up(self.twilio_conn_id, watch.to, watch.cursor.lower_bound, self.poll_interval):
            async for event in watch.handle(messages):
                yield event
        async for batch in shared_stream:
            async for event in watch.handle(batch.messages):
                yield event

    async def run(self) -> AsyncIterator[TriggerEvent]:
        """Without Airflow's shared streams (3.0-3.2, or a trigger run on its own): the same, in one task.

        Watchers in one triggerer still share one poll per number, through the inbox poller.
        A webhook watcher only waits: its events are recorded by the api-server's receiver.
        """
        if self.source == "webhook":
            self.log.info(
                "Texts to %s arrive by webhook at /twilio/%s/sms on the api-server; not polling",
                self.to or "the connection's default_from",
                self.twilio_conn_id,
            )
            await asyncio.Event().wait()
        stream = type(self).open_shared_stream(self.serialize()[1])
        try:
            async for event in self.filter_shared_stream(stream):
                yield event
        finally:
            await stream.aclose()  # type: ignore[attr-defined]

    # ---- one watcher -------------------------------------------------------------------------------

    async def _start(self) -> _Watch:
        from asgiref.sync import sync_to_async

        from airflow_provider_twilio.addresses import parse_numbers

        to = await _resolve_to(self.twilio_conn_id, self.to)
        # The number plan check loads phonenumbers' metadata: off the event loop.
        senders = await sync_to_async(lambda: parse_numbers(self.from_, "from_") if self.from_ else [])()
        regex = await asyncio.to_thread(_compile, self.pattern, self.ignore_case) if self.pattern else None
        # Set by Airflow 3.3+'s triggerer; earlier versions have no such attribute.
        store = _CheckpointStore(getattr(self, "asset_state_store", None), self._state_key())
        watch = _Watch(
            to=to,
            regex=regex,
            senders=frozenset(senders) or None,
            cursor=await store.load(to),
            store=store,
            name=self._state_key(),
        )
        if not store.persistent:
            self.log.warning(
                "No asset state store (Airflow before 3.3, or not run by a triggerer): texts that arrive "
                "while no triggerer runs this watcher will not fire; see docs/events.md"
            )
        await store.save(watch.cursor)  # a restart goes on from here, even before the first text
        self.log.info(
            "Watching texts to %s from %s on, every %.1fs", to, watch.cursor.lower_bound.isoformat(), self.poll_interval
        )
        return watch

    def _state_key(self) -> str:
        """Stable per watcher: the same pattern on the same inbox keeps its checkpoint across redeploys."""
        identity = [self.twilio_conn_id, self.to, self.pattern, self.from_, self.ignore_case]
        digest = hashlib.sha256(json.dumps(identity).encode()).hexdigest()[:16]
        return f"{STATE_KEY_PREFIX}:{digest}"


@dataclass
class _Watch:
    """A running watcher: what counts, how far it has read, and where that is kept."""

    to: str
    regex: Pattern[str] | None
    senders: frozenset[str] | None
    cursor: InboxCursor
    store: _CheckpointStore
    name: str

    async def handle(self, messages: Iterable[InboundMessage]) -> AsyncIterator[TriggerEvent]:
        """Fire for the unread messages that match, oldest first; the checkpoint is saved before each event."""
        unread = self.cursor.unread(messages)
        if not unread:
            return
        results = await _match_all(self.regex, self.senders, unread)
        handled: list[InboundMessage] = []
        for message, result in zip(unread, results, strict=True):
            handled.append(message)
            if result is None:
                continue
            self.cursor.commit(handled, rewound=False)
            handled = []
            # Saved before the event leaves: a message that has fired never fires again (docs/events.md).
            await self.store.save(self.cursor)
            log.info("Text %s from %s fires %s", message.sid, message.from_, self.name)
            yield TriggerEvent(payload(message, result))
        if handled:
            self.cursor.commit(handled, rewound=False)
            await self.store.save(self.cursor, unless_recent=CHECKPOINT_EVERY)


def payload(message: InboundMessage, result: dict[str, Any]) -> dict[str, Any]:
    """The asset event's payload: the message fields of the sensor's XCom, ``num_media`` and the groups."""
    return {
        **message.as_xcom(),
        "num_media": message.num_media,
        "match_groups": result["match_groups"],
        "groups": result["groups"],
    }


def _on_event_loop() -> bool:
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        return False
    return True


def _compile(pattern: str, ignore_case: bool) -> Pattern[str]:
    from airflow_provider_twilio.inbound.matching import compile_pattern

    return compile_pattern(pattern, ignore_case)


async def _match_all(
    regex: Pattern[str] | None, senders: frozenset[str] | None, messages: list[InboundMessage]
) -> list[dict[str, Any] | None]:
    """Each message's match result (None: no match, or a sender not listed). Bodies are untrusted: off the loop,
    in one thread hop shared with the other watchers that the same poll woke."""
    from airflow_provider_twilio.triggers.offloop import in_shared_thread

    return await in_shared_thread(lambda: [match_message(regex, senders, message) for message in messages])


def match_message(
    regex: Pattern[str] | None, senders: frozenset[str] | None, message: InboundMessage
) -> dict[str, Any] | None:
    """One message's match result: None for a sender not listed or a body that does not match (bounded time)."""
    from airflow_provider_twilio.inbound.matching import ignored_keyword, match_result

    if senders is not None and message.from_ not in senders:
        return None
    if regex is None:
        # Any text fires, except Twilio's keywords (STOP, START, HELP, ...): they never start a DAG.
        return None if ignored_keyword(message) else {"match_groups": {}, "groups": []}
    return match_result(regex, message)


async def _resolve_to(conn_id: str, to: str | None) -> str:
    """The watched number: ``to``, else the connection's ``default_from`` (read off the event loop)."""
    from asgiref.sync import sync_to_async

    from airflow_provider_twilio.addresses import parse_numbers
    from airflow_provider_twilio.exceptions import TwilioMissingInputError
    from airflow_provider_twilio.hooks.twilio import TwilioHook

    def resolve() -> str:
        number = to or TwilioHook(twilio_conn_id=conn_id).settings.default_from
        if not number:
            raise TwilioMissingInputError(
                f"to: no number to watch; set `to` or the default_from extra of connection {conn_id!r}"
            )
        return parse_numbers(number, "to")[0]

    return await sync_to_async(resolve)()


async def _feed(conn_id: str, to: str, since: datetime, interval: float) -> AsyncIterator[list[InboundMessage]]:
    """What the shared inbox poller reads from ``since`` on, forever; a permanent error is logged and retried."""
    from airflow_provider_twilio.triggers import inbox_poller

    pause = RETRY_AFTER_ERROR[0]
    while True:
        poller, sub = inbox_poller.subscribe(conn_id, to, since, interval)
        try:
            while True:
                kind, item = await sub.queue.get()
                if kind == "error":
                    break
                pause = RETRY_AFTER_ERROR[0]
                if item:
                    since = max(since, item[-1].date_sent)
                    yield item
        finally:
            poller.unsubscribe(sub)
        log.error("Reading texts to %s failed; trying again in %.0fs: %s", to, pause, item)
        await asyncio.sleep(pause)
        pause = min(pause * 2, RETRY_AFTER_ERROR[1])


async def _catch_up(conn_id: str, to: str, since: datetime, interval: float) -> AsyncIterator[list[InboundMessage]]:
    """Everything to ``to`` from ``since`` until now, through the shared poller (which reads back if it must)."""
    from airflow_provider_twilio.exceptions import TwilioProviderError
    from airflow_provider_twilio.triggers import inbox_poller

    pause = RETRY_AFTER_ERROR[0]
    while True:
        poller, sub = inbox_poller.subscribe(conn_id, to, since, interval)
        received = 0
        failure: TwilioProviderError | None = None
        try:
            while sub.caught_up_at is None or received < sub.caught_up_at:
                kind, item = await sub.queue.get()
                if kind == "error":
                    failure = item
                    break
                received += 1
                if item:
                    yield item
        finally:
            poller.unsubscribe(sub)
        if failure is None:
            return
        log.error("Catching up on texts to %s failed; trying again in %.0fs: %s", to, pause, failure)
        await asyncio.sleep(pause)
        pause = min(pause * 2, RETRY_AFTER_ERROR[1])


class _CheckpointStore:
    """A watcher's checkpoint in the asset state store of the assets it watches; memory only without one."""

    def __init__(self, accessors: Any, key: str) -> None:
        self._accessors = _each_asset(accessors)
        self.key = key
        self.persistent = bool(self._accessors)
        self._saved: dict[str, Any] | None = None
        self._saved_at = 0.0

    async def load(self, to: str) -> InboxCursor:
        """The saved cursor, the most advanced if the assets disagree; a fresh one from now otherwise."""
        from airflow_provider_twilio.exceptions import TwilioInputError
        from airflow_provider_twilio.inbound.polling import InboxCursor

        cursors: list[InboxCursor] = []
        for accessor in self._accessors:
            stored = await accessor.aget(self.key)
            if stored is None:
                continue
            try:
                cursors.append(InboxCursor.resume(to, stored))
            except TwilioInputError as err:
                log.warning("Ignoring the unreadable checkpoint %s: %s", self.key, err)
        if not cursors:
            return InboxCursor(to, datetime.now(timezone.utc))
        return max(cursors, key=lambda cursor: cursor.lower_bound)

    async def save(self, cursor: InboxCursor, unless_recent: float = 0.0) -> None:
        if not self.persistent:
            return
        checkpoint = cursor.checkpoint()
        if checkpoint == self._saved or time.monotonic() - self._saved_at < unless_recent:
            return
        for accessor in self._accessors:
            await accessor.aset(self.key, checkpoint)
        self._saved, self._saved_at = checkpoint, time.monotonic()


def _each_asset(accessors: Any) -> list[Any]:
    """One state accessor per watched asset. A trigger can watch several assets (equal watchers share it);
    Airflow's ``AssetStateStoreAccessors`` only offers the unsubscripted form for exactly one."""
    if accessors is None:
        return []
    by_name, by_uri = getattr(accessors, "_by_name", None), getattr(accessors, "_by_uri", None)
    if isinstance(by_name, dict) and isinstance(by_uri, dict):
        return [*by_name.values(), *by_uri.values()]
    return [accessors]
