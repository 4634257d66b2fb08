"""The api-server's housekeeping for webhook and polling watchers, every ``UPKEEP_EVERY`` seconds.

One daemon thread per serving api-server worker process (started by the receiver app's lifespan, or
by the first webhook; merely building the app starts nothing): it hands held webhooks to watchers that have
registered since (``holding.hand_over``) and queues a run for asset events that no run consumed
(``queueing.requeue_waiting``), in a transaction of its own that writes only when there is something
to do (a failed round never fails a webhook; the next round tries again). Several workers or
replicas doing the same is harmless: claims and queue rows are keyed, so each event is still
recorded once.
"""

from __future__ import annotations

import atexit
import logging
import os
import threading
import time
from typing import Any

log = logging.getLogger(__name__)

UPKEEP_EVERY = 2.0
ERROR_LOG_EVERY = 300.0
"""A failing upkeep (a database outage) logs its error at most this often."""
STOP_WAIT = 10.0
"""How long ``stop`` waits for a round in progress to finish its transaction."""

_lock = threading.Lock()
_running: tuple[int, threading.Thread, threading.Event] | None = None
_atexit_registered = False


def ensure_running() -> None:
    """Start the thread in this process unless it runs (a forked worker starts its own)."""
    global _running, _atexit_registered
    with _lock:
        if _running is not None and _running[0] == os.getpid() and _running[1].is_alive():
            return
        stopping = threading.Event()
        thread = threading.Thread(target=_loop, args=(stopping,), name="twilio-webhook-upkeep", daemon=True)
        thread.start()
        _running = (os.getpid(), thread, stopping)
        if not _atexit_registered:
            # Registered after Airflow's own exit handlers, so it runs before them: no round is left
            # half-way through a transaction while the interpreter disposes of the engine and logging.
            atexit.register(stop)
            _atexit_registered = True


def stop() -> None:
    """End this process's upkeep thread after its current round (the api-server's shutdown, or exit)."""
    global _running
    with _lock:
        running, _running = _running, None
    if running is None or running[0] != os.getpid():
        return
    running[2].set()
    running[1].join(STOP_WAIT)


def _loop(stopping: threading.Event) -> None:
    from airflow.utils.session import create_session

    logged_at = 0.0
    while not stopping.wait(UPKEEP_EVERY):
        try:
            with create_session() as session:
                upkeep(session)
        except Exception:
            if time.monotonic() - logged_at > ERROR_LOG_EVERY:
                logged_at = time.monotonic()
                log.exception("Twilio webhook upkeep failed; trying again every %.0f s", UPKEEP_EVERY)


def upkeep(session: Any) -> int:
    """Hand held webhooks over and re-queue waiting events; how many events were recorded or queued."""
    from airflow_provider_twilio.webhooks.holding import CLASSPATHS, hand_over
    from airflow_provider_twilio.webhooks.queueing import cover, requeue_waiting
    from airflow_provider_twilio.webhooks.recording import claim_and_record, is_claimed, watchers

    touched: set[int] = set()

    def record(asset: tuple[int, str, str], key: str, payload: dict[str, Any]) -> bool:
        # Held webhooks stay for their whole 10 minutes: once handed over, a round only reads.
        if not is_claimed(session, asset[0], key) and claim_and_record(session, asset, key, payload):
            touched.add(asset[0])
            return True
        return False

    handed = hand_over(session, lambda classpath: watchers.get(classpath, session), record)
    cover(session, touched)
    watched = {
        asset[0] for classpath in CLASSPATHS.values() for w in watchers.get(classpath, session) for asset in w.assets
    }
    requeued = requeue_waiting(session, watched)
    if handed or requeued:
        log.info(
            "Handed %d held webhook event(s) to watchers; queued %d waiting asset event(s) again", handed, requeued
        )
    return handed + requeued
