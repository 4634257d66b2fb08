"""TwilioCallStatusSensor: wait until placed calls end; the message status sensor's machinery, for calls."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from airflow_provider_twilio.sensors.sms import TwilioMessageStatusSensor

if TYPE_CHECKING:
    from airflow_provider_twilio.tracking.core import StatusTracker

DEFAULT_CALL_SUCCESS = ("completed", "busy", "no-answer", "canceled")
DEFAULT_CALL_FAILURE = ("failed",)


class TwilioCallStatusSensor(TwilioMessageStatusSensor):
    """Wait until every call ends; fail naming each call that reached a failure status (``failed`` by default).

    Returns ``{sid: {"sid", "to", "from", "status", "answered_by", "duration", "error_code", "error_type",
    "created"}}``. All pending calls are read with one Calls list request per poke (SIDs seen for the
    first time are fetched once). Deferrable: ``TwilioCallStatusTrigger`` does the same in the triggerer.

    :param call_sids: a SID, a list, or the call operator's results (its XCom, also rendered).
    """

    template_fields: Sequence[str] = ("call_sids", "twilio_conn_id")

    def __init__(
        self,
        *,
        call_sids: Any,
        success_statuses: Sequence[str] = DEFAULT_CALL_SUCCESS,
        failure_statuses: Sequence[str] = DEFAULT_CALL_FAILURE,
        **kwargs: Any,
    ) -> None:
        super().__init__(
            message_sids=None, success_statuses=success_statuses, failure_statuses=failure_statuses, **kwargs
        )
        self.call_sids = call_sids

    def _prepare(self) -> StatusTracker:
        from airflow_provider_twilio.inbound.addresses import parse_call_sids

        return self._new_tracker(parse_call_sids(self.call_sids, "call_sids"))

    def _new_tracker(self, sids: list[str], states: dict[str, dict[str, Any]] | None = None) -> StatusTracker:
        from airflow_provider_twilio.tracking.calls import CallTracker

        return CallTracker(sids, self.success_statuses, self.failure_statuses, states)

    def _trigger(self, tracker: StatusTracker) -> Any:
        from airflow_provider_twilio.triggers.voice import TwilioCallStatusTrigger

        return TwilioCallStatusTrigger(
            call_sids=tracker.sids,
            success_statuses=list(self.success_statuses),
            failure_statuses=list(self.failure_statuses),
            twilio_conn_id=self.twilio_conn_id,
            poll_interval=float(self.poke_interval),
        )
