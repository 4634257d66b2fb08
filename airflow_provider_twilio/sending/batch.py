"""Sends one validated batch with bounded concurrency, pacing, retries and duplicate-safe recovery."""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Sequence
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
from airflow_provider_twilio.sending.ambiguity import find_sent_message
from airflow_provider_twilio.sending.pacing import RateLimiter, RetryPolicy
from airflow_provider_twilio.sending.results import from_error, from_message
from airflow_provider_twilio.sending.validation import MessageRequest

PROGRESS_INTERVAL = 5.0


@dataclass(frozen=True)
class BatchOptions:
    max_concurrency: int = 10
    max_rate: float | None = None
    retry: RetryPolicy = field(default_factory=RetryPolicy)
    progress_interval: float = PROGRESS_INTERVAL


class BatchSender:
    """Sends ``request`` to many recipients over one SDK messages list resource shared by worker threads."""

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
        self._sleep = sleep
        self._limiter = RateLimiter(options.max_rate) if options.max_rate else None
        self._auth_failure: TwilioProviderError | None = None
        self._stopping = False
        self._lock = threading.Lock()
        self._sent = 0
        self._failed = 0

    @property
    def auth_failure(self) -> TwilioProviderError | None:
        return self._auth_failure

    def run(self, recipients: Sequence[str]) -> dict[str, dict[str, Any]]:
        """Recipient -> result dict, for every recipient (those skipped after an auth failure included)."""
        if not recipients:
            return {}
        workers = max(1, min(self.options.max_concurrency, len(recipients)))
        started = time.monotonic()
        with ThreadPoolExecutor(max_workers=workers, thread_name_prefix="twilio-send") as pool:
            futures: dict[Future[dict[str, Any]], str] = {pool.submit(self.send_one, to): to for to in recipients}
            pending = set(futures)
            try:
                while pending:
                    _done, pending = wait(pending, timeout=self.options.progress_interval)
                    if pending:
                        self._log_progress(len(recipients), started)
            except BaseException:
                # The task is being stopped (SIGTERM, timeout): send nothing more than what is in flight.
                self._stopping = True
                pool.shutdown(wait=True, cancel_futures=True)
                raise
        self._log_progress(len(recipients), started, final=True)
        return {futures[future]: future.result() for future in futures}

    def send_one(self, to: str) -> dict[str, Any]:
        result = self._send_one(to)
        with self._lock:
            if result["sid"] is None:
                self._failed += 1
            else:
                self._sent += 1
        return result

    def _send_one(self, to: str) -> dict[str, Any]:
        policy = self.options.retry
        kwargs = self.request.create_kwargs(to)
        first_attempt: datetime | None = None
        throttled = resent = 0
        while True:
            if self._auth_failure is not None:
                return self._skipped(to)
            if self._stopping:
                raise RuntimeError("the batch was stopped")
            if self._limiter is not None:
                self._limiter.acquire()
            if first_attempt is None:
                first_attempt = datetime.now(timezone.utc)
            try:
                return from_message(to, self.messages.create(**kwargs))
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
                existing = self._await_commit(to, first_attempt)
            except TwilioProviderError as lookup_error:
                return from_error(to, self._unknown_outcome(error, lookup_error))
            if existing is not None:
                return from_message(to, existing)
            if resent >= policy.resends:
                return from_error(to, error)
            resent += 1
            self._sleep(policy.delay(resent))

    def _await_commit(self, to: str, since: datetime) -> Any | None:
        """Read the log now, then again through the grace period, until our message shows up."""
        existing = self._lookup(to, since)
        for pause in self.options.retry.grace_waits():
            if existing is not None or self._stopping:
                break
            self._sleep(pause)
            existing = self._lookup(to, since)
        return existing

    def _lookup(self, to: str, since: datetime) -> Any | None:
        policy = self.options.retry
        for attempt in range(policy.lookup_attempts):
            try:
                return find_sent_message(self.messages, to, self.request, since)
            except Exception as exc:
                error = classify_exception(exc)
                if error.error_type in AUTH_ERROR_TYPES or attempt + 1 >= policy.lookup_attempts:
                    raise error from exc
                self._sleep(policy.delay(attempt))
        return None  # pragma: no cover - the loop always returns or raises

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
            sent, failed = self._sent, self._failed
        done = sent + failed
        self.log.info(
            "%s %d/%d: %d sent, %d failed, %d remaining, %.1f messages/s",
            "Finished" if final else "Progress",
            done,
            total,
            sent,
            failed,
            total - done,
            done / elapsed,
        )
