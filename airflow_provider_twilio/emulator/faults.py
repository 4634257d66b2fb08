"""Fault injection: latency, throttling, concurrency limits, failures before or after commit, late commits.

One seeded RNG draws every decision in a fixed order, so a sequence of requests fails the same way
on every run with the same seed.
"""

from __future__ import annotations

import random
import threading
from dataclasses import dataclass
from typing import Any

from airflow_provider_twilio.emulator.checks import MAX_LATENCY, seconds

UNSET: Any = object()


@dataclass
class FaultSettings:
    latency: float = 0.0
    fail_before_commit: float = 0.0
    fail_after_commit: float = 0.0
    throttle: float = 0.0
    max_concurrent_requests: int | None = None
    late_commit: float = 0.0
    late_commit_delay: float = 5.0


MAX_LATE_COMMIT_DELAY = 3600.0


def _probability(name: str, value: float) -> float:
    value = float(value)
    if not 0.0 <= value <= 1.0:
        raise ValueError(f"{name} must be a probability between 0 and 1, got {value!r}")
    return value


class Faults:
    """Decides, per request, which fault (if any) happens."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self.settings = FaultSettings()
        self._random = random.Random()
        self._in_flight = 0

    def configure(
        self,
        *,
        latency: float | None = None,
        fail_before_commit: float | None = None,
        fail_after_commit: float | None = None,
        throttle: float | None = None,
        max_concurrent_requests: Any = UNSET,
        late_commit: float | None = None,
        late_commit_delay: float | None = None,
        seed: int | None = None,
    ) -> None:
        with self._lock:
            s = self.settings
            if latency is not None:
                s.latency = seconds("latency", latency, MAX_LATENCY)
            if fail_before_commit is not None:
                s.fail_before_commit = _probability("fail_before_commit", fail_before_commit)
            if fail_after_commit is not None:
                s.fail_after_commit = _probability("fail_after_commit", fail_after_commit)
            if throttle is not None:
                s.throttle = _probability("throttle", throttle)
            if max_concurrent_requests is not UNSET:
                limit = None if max_concurrent_requests is None else int(max_concurrent_requests)
                if limit is not None and limit < 1:
                    raise ValueError(f"max_concurrent_requests must be >= 1 or None, got {max_concurrent_requests!r}")
                s.max_concurrent_requests = limit
            if late_commit is not None:
                s.late_commit = _probability("late_commit", late_commit)
            if late_commit_delay is not None:
                s.late_commit_delay = seconds("late_commit_delay", late_commit_delay, MAX_LATE_COMMIT_DELAY)
            if seed is not None:
                self._random.seed(seed)

    def reset(self) -> None:
        with self._lock:
            self.settings = FaultSettings()
            self._random = random.Random()

    def _roll(self, probability: float) -> bool:
        if probability <= 0.0:
            return False
        with self._lock:
            return self._random.random() < probability

    def enter(self) -> bool:
        """Count a request in; False if it is over ``max_concurrent_requests`` (then do not ``leave``)."""
        with self._lock:
            limit = self.settings.max_concurrent_requests
            if limit is not None and self._in_flight >= limit:
                return False
            self._in_flight += 1
            return True

    def leave(self) -> None:
        with self._lock:
            self._in_flight -= 1

    def throttled(self) -> bool:
        return self._roll(self.settings.throttle)

    def fails_before_commit(self) -> bool:
        return self._roll(self.settings.fail_before_commit)

    def fails_after_commit(self) -> str | None:
        """None, "500" or "drop"."""
        if not self._roll(self.settings.fail_after_commit):
            return None
        with self._lock:
            return "drop" if self._random.random() < 0.5 else "500"

    def commit_delay(self) -> float | None:
        """Seconds after which a create that ``late_commit`` picked is stored; None stores it now."""
        if not self._roll(self.settings.late_commit):
            return None
        return self.settings.late_commit_delay
