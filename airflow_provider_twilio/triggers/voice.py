"""TwilioCallStatusTrigger: the deferrable half of TwilioCallStatusSensor, on the message status trigger's loop.

One Calls list request per poll for all pending calls; the SDK is imported inside ``run()`` only.
"""

from __future__ import annotations

from typing import Any

from airflow_provider_twilio.triggers.sms import DEFAULT_POLL_INTERVAL, TwilioMessageStatusTrigger


class TwilioCallStatusTrigger(TwilioMessageStatusTrigger):
    """Waits until every call ends; fires ``{"status": "done", "states": {...}}`` (or an error event)."""

    def __init__(
        self,
        *,
        call_sids: list[str],
        success_statuses: list[str] | tuple[str, ...] = ("completed", "busy", "no-answer", "canceled"),
        failure_statuses: list[str] | tuple[str, ...] = ("failed",),
        states: dict[str, dict[str, Any]] | None = None,
        twilio_conn_id: str = "twilio_default",
        poll_interval: float = DEFAULT_POLL_INTERVAL,
    ) -> None:
        super().__init__(
            message_sids=call_sids,
            success_statuses=success_statuses,
            failure_statuses=failure_statuses,
            states=states,
            twilio_conn_id=twilio_conn_id,
            poll_interval=poll_interval,
        )

    def _new_tracker(self) -> Any:
        from airflow_provider_twilio.tracking.calls import CallTracker

        return CallTracker(self.message_sids, self.success_statuses, self.failure_statuses, self.states)

    def serialize(self) -> tuple[str, dict[str, Any]]:
        classpath, kwargs = super().serialize()
        kwargs["call_sids"] = kwargs.pop("message_sids")
        return classpath, kwargs
