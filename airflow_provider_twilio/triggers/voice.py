"""TwilioCallStatusTrigger: the deferrable half of TwilioCallStatusSensor, a sibling of the message status trigger.

One Calls list request per poll for all pending calls; the SDK is imported inside ``run()`` only.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from airflow_provider_twilio.statuses import CALL_FAILURE, CALL_SUCCESS
from airflow_provider_twilio.triggers.status import DEFAULT_POLL_INTERVAL, TwilioStatusTrigger

if TYPE_CHECKING:
    from airflow_provider_twilio.tracking.core import StatusTracker


class TwilioCallStatusTrigger(TwilioStatusTrigger):
    """Waits until every call ends; fires ``{"status": "done", "states": {...}}`` (or an error event)."""

    SIDS_KWARG = "call_sids"

    def __init__(
        self,
        *,
        call_sids: list[str],
        success_statuses: list[str] | tuple[str, ...] = CALL_SUCCESS,
        failure_statuses: list[str] | tuple[str, ...] = CALL_FAILURE,
        states: dict[str, dict[str, Any]] | None = None,
        twilio_conn_id: str = "twilio_default",
        poll_interval: float = DEFAULT_POLL_INTERVAL,
    ) -> None:
        super().__init__(
            success_statuses=success_statuses,
            failure_statuses=failure_statuses,
            states=states,
            twilio_conn_id=twilio_conn_id,
            poll_interval=poll_interval,
        )
        self.call_sids = list(call_sids)

    def _new_tracker(self) -> StatusTracker:
        from airflow_provider_twilio.tracking.calls import CallTracker

        return CallTracker(self.call_sids, self.success_statuses, self.failure_statuses, self.states)
