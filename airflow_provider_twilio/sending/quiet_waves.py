"""Sending around quiet hours in waves: who is texted now, who waits, who is skipped, and when to come back.

A wave sends to every recipient whose window is open and who has no result yet; the rest wait for
the earliest opening among them (policy ``defer``) or are skipped (policy ``skip``). Results of
earlier waves are carried in ``QuietWaves.done``, so a later wave never texts them again.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime, timezone
from typing import Any

from airflow_provider_twilio.exceptions import TwilioInputError, TwilioProviderError
from airflow_provider_twilio.sending.quiet_hours import (
    QUIET_HOURS,
    LocalWindow,
    QuietHours,
    local_window,
    time_zones_for,
)
from airflow_provider_twilio.sending.results import from_error, skipped
from airflow_provider_twilio.sending.validation import ValidatedBatch


@dataclass
class QuietWaves:
    """One task's progress through its waves; ``state()`` is what survives a deferral (JSON)."""

    hours: QuietHours
    policy: str
    now: datetime
    done: dict[str, dict[str, Any]] = field(default_factory=dict)
    """Recipient -> final result, from earlier waves and skips decided in this one."""
    resume_at: datetime | None = None
    """When the next wave should run; None when this wave is the last."""
    waves: int = 1
    zones_for: Callable[[str], tuple[str, ...]] = time_zones_for

    def narrow(self, batch: ValidatedBatch) -> ValidatedBatch:
        """The batch cut down to this wave: open recipients without a result yet. Decides skips and ``resume_at``."""
        if batch.request.send_at is not None:
            raise TwilioInputError(
                "quiet_hours cannot be combined with send_at: quiet hours are judged when the task sends, not when "
                "Twilio delivers a scheduled message. Give one or the other"
            )
        now_sending: list[str] = []
        openings: list[datetime] = []
        by_zones: dict[tuple[str, ...], LocalWindow] = {}  # many recipients share a zone: judge each zone set once
        for to in batch.recipients:
            if to in self.done:
                continue
            zones = self.zones_for(to)
            window = by_zones.get(zones) or by_zones.setdefault(zones, local_window(to, zones, self.hours, self.now))
            if window.is_open:
                now_sending.append(to)
            elif self.policy == "skip" or window.never_opens:
                self.done[to] = skipped(to, QUIET_HOURS, window.detail)
            elif window.opens_at is not None:
                openings.append(window.opens_at)
        self.resume_at = min(openings) if openings else None
        return replace(batch, recipients=tuple(now_sending))

    def merge(self, recipients: Sequence[str], wave_results: Sequence[dict[str, Any]]) -> list[dict[str, Any]]:
        """Record this wave's results; return every result so far, in recipient order."""
        for result in wave_results:
            self.done[result["to"]] = result
        return [self.done[to] for to in recipients if to in self.done]

    def fail_waiting(self, recipients: Sequence[str], error: TwilioProviderError) -> None:
        """End the waves: everyone still waiting gets ``error`` (e.g. refused credentials) as their result."""
        for to in recipients:
            self.done.setdefault(to, from_error(to, error))
        self.resume_at = None

    def state(self) -> dict[str, Any]:
        return {
            "results": list(self.done.values()),
            "resume_at": self.resume_at.isoformat() if self.resume_at else None,
            "waves": self.waves,
        }

    @classmethod
    def resumed(
        cls,
        state: dict[str, Any],
        hours: QuietHours,
        policy: str,
        now: datetime,
        zones_for: Callable[[str], tuple[str, ...]] = time_zones_for,
    ) -> QuietWaves:
        """The next wave after a deferral. ``now`` is at least the moment it was due: a clock a little behind the
        triggerer's would otherwise find the window still closed and wait again for a second."""
        due = state.get("resume_at")
        if due:
            now = max(now.astimezone(timezone.utc), datetime.fromisoformat(due))
        done = {result["to"]: result for result in state.get("results", [])}
        return cls(hours, policy, now, done=done, waves=int(state.get("waves", 1)) + 1, zones_for=zones_for)
