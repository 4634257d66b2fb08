"""Sends one validated batch with bounded concurrency, pacing, retries and duplicate-safe recovery."""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import Future, ThreadPoolExecutor, wait
from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import Any

from airflow_provider_twilio.exceptions import (
    AUTH_ERROR_TYPES,
    ErrorType,
    TwilioApiError,
    TwilioProviderError,
    classify_exception,
)
from airflow_provider_twilio.retry import RetryPolicy, read_with_retries
from airflow_provider_twilio.sending.ambiguity import Lookup, find_own_message
from airflow_provider_twilio.sending.creation import create_message
from airflow_provider_twilio.sending.pacing import RateLimiter
from airflow_provider_twilio.sending.prior import PriorMessages
from airflow_provider_twilio.sending.results import from_error, from_message, is_opted_out
from airflow_provider_twilio.sending.validation import MessageRequest

PROGRESS_INTERVAL = 5.0
WAITERS_PER_SLOT = 4
"""Worker threads beyond the slots, per slot: recipients waiting out a backoff or the commit grace hold
a thread but no slot, so up to this many per slot can wait while the others keep sending."""


@dataclass(frozen=True)
class BatchOptions:
    max_concurrency: int = 10
    max_rate: float | None = None
    retry: RetryPolicy = field(default_factory=RetryPolicy)
    progress_interval: float = PROGRESS_INTERVAL


class BatchSender:
    """Sends ``request`` to many recipients over one SDK messages list resource shared by worker threads.

    At most ``max_concurrency`` recipients are being sent at once, each holding a slot through its rate
    wait, the reading of what exists before it, and its create request. Waiting between requests
    (throttling backoff, the commit grace after an ambiguous failure) holds only a thread, and the log
    reads during the grace take a slot each.

    The threads take recipients one after another, and there are only as many as there are slots until
    one has to wait: each wait first starts another thread (up to the pool's size), so the slot it left is
    used meanwhile. More threads than slots from the start would queue every recipient behind a slot, a
    thread handoff per message that costs about a sixth of a batch's CPU.
    """

    def __init__(
        self,
        messages: Any,
        request: MessageRequest,
        options: BatchOptions,
        log: logging.Logger | Any,
        *,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self.messages = messages
        self.request = request
        self.options = options
        self.log = log
        self._nap = sleep
        self._limiter = RateLimiter(options.max_rate) if options.max_rate else None
        self._auth_failure: TwilioProviderError | None = None
        self._stopping = False
        self._lock = threading.Lock()
        self._sent = 0
        self._failed = 0
        self._opted_out = 0
        self._prior: PriorMessages | None = None
        self._slots = threading.Semaphore(options.max_concurrency)
        self._pool: ThreadPoolExecutor | None = None
        self._pool_size = 0
        self._takers: list[Future[None]] = []
        self._next_recipient: Iterator[str] = iter(())
        self._results: dict[str, dict[str, Any]] = {}
        self._errors: dict[str, Exception] = {}

    @property
    def auth_failure(self) -> TwilioProviderError | None:
        return self._auth_failure

    def run(self, recipients: Sequence[str]) -> dict[str, dict[str, Any]]:
        """Recipient -> result dict, for every recipient (those skipped after an auth failure included)."""
        if not recipients:
            return {}
        self._prior = PriorMessages(self.messages, self.request, recipients, self.options.retry, self._sleep)
        workers = max(1, min(self.options.max_concurrency * (1 + WAITERS_PER_SLOT), len(recipients)))
        self._next_recipient = iter(recipients)
        self._takers, self._results, self._errors = [], {}, {}
        started = time.monotonic()
        with ThreadPoolExecutor(max_workers=workers, thread_name_prefix="twilio-send") as pool:
            with self._lock:
                self._pool, self._pool_size = pool, workers
            for _ in range(min(self.options.max_concurrency, workers)):
                self._add_taker()
            try:
                while pending := self._running_takers():
                    _done, still = wait(pending, timeout=self.options.progress_interval)
                    if still:
                        self._log_progress(len(recipients), started)
            except BaseException:
                # The task is being stopped (SIGTERM, timeout): send nothing more than what is in flight.
                self._stopping = True
                pool.shutdown(wait=True, cancel_futures=True)
                raise
        self._log_progress(len(recipients), started, final=True)
        for taker in self._takers:
            taker.result()
        for to in recipients:
            if to in self._errors:
                raise self._errors[to]
        return {to: self._results[to] for to in recipients}

    def _running_takers(self) -> list[Future[None]]:
        """Threads still taking recipients; one may start another while it runs, never after it ended."""
        with self._lock:
            return [taker for taker in self._takers if not taker.done()]

    def _add_taker(self) -> None:
        with self._lock:
            if self._pool is None or self._stopping or len(self._takers) >= self._pool_size:
                return
            try:
                self._takers.append(self._pool.submit(self._take_recipients))
            except RuntimeError:  # the pool is shutting down: the batch is stopping
                return

    def _take_recipients(self) -> None:
        while not self._stopping:
            with self._lock:
                to = next(self._next_recipient, None)
            if to is None:
                return
            try:
                self._results[to] = self.send_one(to)
            except Exception as exc:  # raised once every recipient had its turn, as the first one's
                self._errors[to] = exc

    def _sleep(self, seconds: float) -> None:
        """Wait holding a thread but no slot: another thread takes up the sending meanwhile."""
        self._add_taker()
        self._nap(seconds)

    def send_one(self, to: str) -> dict[str, Any]:
        result = self._send_one(to)
        with self._lock:
            if result["sid"] is not None:
                self._sent += 1
            elif is_opted_out(result):
                self._opted_out += 1
            else:
                self._failed += 1
        return result

    def _send_one(self, to: str) -> dict[str, Any]:
        policy = self.options.retry
        kwargs = self.request.create_kwargs(to)
        first_attempt: datetime | None = None
        existed_before: frozenset[str] | None = None
        throttled = resent = 0
        while True:
            with self._slots:
                # Checked again once the slot is ours: the batch may have stopped while this thread waited.
                if self._auth_failure is not None:
                    return self._skipped(to)
                if self._stopping:
                    raise RuntimeError("the batch was stopped")
                if self._limiter is not None:
                    self._limiter.acquire()
                if first_attempt is None:
                    assert self._prior is not None
                    existed_before = self._prior.before_attempt(to)
                    first_attempt = datetime.now(timezone.utc)
                try:
                    return from_message(to, create_message(self.messages, kwargs))
                except Exception as exc:
                    error = classify_exception(exc)
            if error.error_type is ErrorType.RATE_LIMITED and throttled < policy.throttle_retries:
                self._sleep(policy.delay(throttled))
                throttled += 1
                continue
            if error.error_type in AUTH_ERROR_TYPES:
                self._auth_failure = self._auth_failure or error
                return from_error(to, error)
            if error.error_type is not ErrorType.TWILIO_CONNECTION_ERROR:
                return from_error(to, error)
            # Ambiguous: Twilio may have created the message, or may still store it (a late commit).
            try:
                found = self._await_commit(to, first_attempt, existed_before)
            except TwilioProviderError as lookup_error:
                return from_error(to, self._unknown_outcome(error, lookup_error))
            if found.own is not None:
                return from_message(to, found.own)
            if found.unconfirmed is not None:
                return from_error(to, self._unconfirmed(error, found.unconfirmed))
            if resent >= policy.resends:
                return from_error(to, error)
            resent += 1
            self._sleep(policy.delay(resent))

    def _await_commit(self, to: str, since: datetime, existed_before: frozenset[str] | None) -> Lookup:
        """Read the log now, then again through the grace period, until our message shows up."""
        found = self._lookup(to, since, existed_before)
        for pause in self.options.retry.grace_waits():
            if found.own is not None or self._stopping:
                break
            self._sleep(pause)
            found = self._lookup(to, since, existed_before)
        return found

    def _lookup(self, to: str, since: datetime, existed_before: frozenset[str] | None) -> Lookup:
        def read() -> Lookup:
            with self._slots:
                return find_own_message(self.messages, to, self.request, since, existed_before)

        return read_with_retries(read, self.options.retry, self._sleep)

    @staticmethod
    def _unconfirmed(error: TwilioProviderError, lookalike: Any) -> TwilioApiError:
        return TwilioApiError(
            f"{error.message}; not re-sent and not reported as sent: the message log holds an identical message "
            f"to this recipient ({lookalike.sid}, created {lookalike.date_created}) from the seconds around this "
            "attempt, and Twilio's one-second timestamps cannot tell whether it is this attempt's or an earlier "
            "one (for example another task's). Check the Twilio Console before sending again.",
            error_type=ErrorType.UNCONFIRMED_SEND_ERROR,
            code=error.code,
            http_status=error.http_status,
        )

    @staticmethod
    def _unknown_outcome(error: TwilioProviderError, lookup_error: TwilioProviderError) -> TwilioApiError:
        return TwilioApiError(
            f"{error.message}; not re-sent, because the message log could not be read to check whether "
            f"Twilio created it ({lookup_error.message}). Check the Twilio Console before sending again.",
            error_type=ErrorType.TWILIO_CONNECTION_ERROR,
            code=error.code,
            http_status=error.http_status,
        )

    def _skipped(self, to: str) -> dict[str, Any]:
        cause = self._auth_failure
        assert cause is not None
        return from_error(
            to,
            TwilioProviderError(
                f"not sent: the batch stopped after Twilio refused the credentials ({cause.message})",
                error_type=cause.error_type,
                code=cause.code,
                http_status=cause.http_status,
            ),
        )

    def _log_progress(self, total: int, started: float, *, final: bool = False) -> None:
        elapsed = max(time.monotonic() - started, 1e-9)
        with self._lock:
            sent, failed, opted_out = self._sent, self._failed, self._opted_out
        done = sent + failed + opted_out
        self.log.info(
            "%s %d/%d: %d sent, %d failed, %s%d remaining, %.1f messages/s",
            "Finished" if final else "Progress",
            done,
            total,
            sent,
            failed,
            f"{opted_out} opted out, " if opted_out else "",
            total - done,
            done / elapsed,
        )
