"""Fault injection: latency, throttling, concurrency limits, failures before or after commit, late commits.

One seeded RNG draws every decision in a fixed order, so a sequence of requests fails the same way
on every run with the same seed.
"""

from __future__ import annotations

import random
import threading
from dataclasses import dataclass
from typing import Any

from airflow_provider_twilio.emulator.simulation.settings import SETTINGS, checked


@dataclass
class FaultSettings:
    """The fault settings now in force; defaults from ``settings.SETTINGS``."""

    latency: float = SETTINGS["latency"].default
    fail_before_commit: float = SETTINGS["fail_before_commit"].default
    fail_after_commit: float = SETTINGS["fail_after_commit"].default
    throttle: float = SETTINGS["throttle"].default
    max_concurrent_requests: int | None = SETTINGS["max_concurrent_requests"].default
    late_commit: float = SETTINGS["late_commit"].default
    late_commit_delay: float = SETTINGS["late_commit_delay"].default


class Faults:
    """Decides, per request, which fault (if any) happens."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self.settings = FaultSettings()
        self._random = random.Random()
        self._in_flight = 0

    def configure(self, **changes: Any) -> None:
        """Change only the fault settings given (``settings.checked`` says how); ``seed`` reseeds the generator."""
        changes = checked(changes, owner="faults")
        with self._lock:
            for name, value in changes.items():
                if name == "seed":
                    self._random.seed(value)
                else:
                    setattr(self.settings, name, value)

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
