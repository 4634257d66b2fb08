"""How hard to try a Twilio request again, and reading a log (messages or calls) through transient failures."""

from __future__ import annotations

import random
from collections.abc import Callable
from dataclasses import dataclass
from typing import TypeVar

from airflow_provider_twilio.exceptions import AUTH_ERROR_TYPES, classify_exception

T = TypeVar("T")


@dataclass(frozen=True)
class RetryPolicy:
    """How hard to try before giving a recipient up.

    ``throttle_retries``: 429/20429 answers, which Twilio never processed, so always safe to repeat.
    ``resends``: re-sends after an ambiguous failure, made only once the message log shows nothing arrived.
    ``lookup_attempts``: tries at reading the message log before calling a recipient's outcome unknown.
    ``commit_grace``: after an ambiguous failure, seconds to keep reading the log for a message Twilio
    stores late, before concluding nothing was stored; read every ``grace_poll_interval`` seconds (or a
    quarter of the grace, if shorter).
    """

    throttle_retries: int = 10
    resends: int = 8
    lookup_attempts: int = 10
    base_delay: float = 0.1
    max_delay: float = 5.0
    commit_grace: float = 10.0
    grace_poll_interval: float = 1.0

    def delay(self, attempt: int, rng: Callable[[], float] = random.random) -> float:
        """Exponential backoff with jitter: half fixed, half random, so throttled threads spread out."""
        ceiling = min(self.max_delay, self.base_delay * (2 ** max(attempt, 0)))
        return ceiling / 2 + rng() * ceiling / 2

    def grace_waits(self) -> list[float]:
        """The pauses between log reads while waiting out ``commit_grace``; they add up to it."""
        if self.commit_grace <= 0:
            return []
        step = min(self.grace_poll_interval, self.commit_grace / 4)
        waits, waited = [], 0.0
        while waited < self.commit_grace - 1e-9:
            wait = min(step, self.commit_grace - waited)
            waits.append(wait)
            waited += wait
        return waits


def read_with_retries(read: Callable[[], T], policy: RetryPolicy, sleep: Callable[[float], None]) -> T:
    """Run a log read, retrying transient failures with backoff; raises the last error, classified."""
    for attempt in range(policy.lookup_attempts):
        try:
            return read()
        except Exception as exc:
            error = classify_exception(exc)
            if error.error_type in AUTH_ERROR_TYPES or attempt + 1 >= policy.lookup_attempts:
                raise error from exc
            sleep(policy.delay(attempt))
    raise AssertionError("unreachable")  # pragma: no cover - the loop always returns or raises


def read_log_or_refuse(
    read: Callable[[], T], policy: RetryPolicy, sleep: Callable[[float], None], consequence: str
) -> T:
    """Read a log (messages or calls) with retries; if it cannot be read, refuse to act blindly.

    ``consequence`` says what was therefore not done; it heads the ``TwilioApiError`` raised.
    """
    from airflow_provider_twilio.exceptions import TwilioApiError, TwilioProviderError

    try:
        return read_with_retries(read, policy, sleep)
    except TwilioProviderError as error:
        raise TwilioApiError(
            f"{consequence}: {error.message}",
            error_type=error.error_type,
            code=error.code,
            http_status=error.http_status,
        ) from error
