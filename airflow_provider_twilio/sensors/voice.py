"""TwilioCallStatusSensor: wait until placed calls end; the message status sensor's sibling, for calls."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from airflow_provider_twilio.sensors.status import TwilioStatusSensor
from airflow_provider_twilio.statuses import CALL_FAILURE, CALL_SUCCESS

if TYPE_CHECKING:
    from airflow.triggers.base import BaseTrigger

    from airflow_provider_twilio.tracking.core import StatusTracker

DEFAULT_CALL_SUCCESS = CALL_SUCCESS
DEFAULT_CALL_FAILURE = CALL_FAILURE


class TwilioCallStatusSensor(TwilioStatusSensor):
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
        super().__init__(success_statuses=success_statuses, failure_statuses=failure_statuses, **kwargs)
        self.call_sids = call_sids

    def _sids(self) -> list[str]:
        from airflow_provider_twilio.sids import parse_call_sids

        return parse_call_sids(self.call_sids, "call_sids")

    def _new_tracker(self, sids: list[str], states: dict[str, dict[str, Any]] | None = None) -> StatusTracker:
        from airflow_provider_twilio.tracking.calls import CallTracker

        return CallTracker(sids, self.success_statuses, self.failure_statuses, states)

    def _trigger(self, tracker: StatusTracker) -> BaseTrigger:
        from airflow_provider_twilio.triggers.voice import TwilioCallStatusTrigger

        return TwilioCallStatusTrigger(
            call_sids=tracker.sids,
            success_statuses=list(self.success_statuses),
            failure_statuses=list(self.failure_statuses),
            twilio_conn_id=self.twilio_conn_id,
            poll_interval=float(self.poke_interval),
        )
