"""The status sensors' shared core: wait until every SID reaches a final status, poking or deferred.

``TwilioMessageStatusSensor`` and ``TwilioCallStatusSensor`` are siblings over ``TwilioStatusSensor``:
each keeps only its own SIDs and says how to parse them, which tracker follows them and which trigger
waits for them in the triggerer.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import timedelta
from typing import TYPE_CHECKING, Any

from airflow_provider_twilio._compat import BaseSensorOperator, PokeReturnValue, conf
from airflow_provider_twilio.exceptions import TwilioProviderError, error_from_event, is_transient

if TYPE_CHECKING:
    from airflow.triggers.base import BaseTrigger

    from airflow_provider_twilio.hooks.twilio import TwilioHook
    from airflow_provider_twilio.tracking.core import StatusTracker


def default_deferrable() -> bool:
    """Airflow's ``[operators] default_deferrable``, for sensors not told either way."""
    return conf.getboolean("operators", "default_deferrable", fallback=False)


def deferral_timeout(sensor: BaseSensorOperator) -> timedelta | None:
    """The sensor's own ``timeout`` also bounds the wait in the triggerer."""
    seconds = getattr(sensor, "timeout", None)
    return timedelta(seconds=float(seconds)) if seconds else None


class TwilioStatusSensor(BaseSensorOperator):
    """Wait until every SID reaches a success status; fail naming each that reached a failure status.

    Subclasses keep their SIDs under their own name and implement ``_sids``, ``_new_tracker`` and
    ``_trigger``.
    """

    ui_color = "#f22f46"

    def __init__(
        self,
        *,
        success_statuses: Sequence[str],
        failure_statuses: Sequence[str],
        twilio_conn_id: str = "twilio_default",
        deferrable: bool | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(**kwargs)
        self.success_statuses = tuple(success_statuses)
        self.failure_statuses = tuple(failure_statuses)
        self.twilio_conn_id = twilio_conn_id
        self.deferrable = default_deferrable() if deferrable is None else deferrable
        self._tracker: StatusTracker | None = None
        self._twilio_hook: TwilioHook | None = None

    def _sids(self) -> list[str]:
        """This sensor's SIDs, parsed and checked."""
        raise NotImplementedError

    def _new_tracker(self, sids: list[str], states: dict[str, dict[str, Any]] | None = None) -> StatusTracker:
        """The tracker that follows these SIDs, optionally from states already known."""
        raise NotImplementedError

    def _trigger(self, tracker: StatusTracker) -> BaseTrigger:
        """The trigger that waits for ``tracker``'s SIDs in the triggerer."""
        raise NotImplementedError

    def _prepare(self) -> StatusTracker:
        return self._new_tracker(self._sids())

    def execute(self, context: Any) -> Any:
        self._tracker = self._prepare()
        self.log.info("Waiting for %d %s(s) to end", len(self._tracker.sids), self._tracker.NOUN)
        if not self.deferrable:
            return super().execute(context)
        self.defer(
            trigger=self._trigger(self._tracker),
            method_name="execute_complete",
            timeout=deferral_timeout(self),
        )
        return None

    def poke(self, context: Any) -> PokeReturnValue | bool:
        from airflow_provider_twilio.hooks.twilio import TwilioHook

        tracker = self._tracker or self._prepare()
        self._tracker = tracker
        if self._twilio_hook is None:
            self._twilio_hook = TwilioHook(twilio_conn_id=self.twilio_conn_id)
        try:
            tracker.refresh(self._twilio_hook.get_conn())
        except TwilioProviderError as err:
            if not is_transient(err):
                raise
            self.log.warning("Fetching %s status failed; trying again next poke: %s", tracker.NOUN, err.message)
            return False
        self.log.info("Status: %s", tracker.summary())
        return self._finish(tracker)

    def _finish(self, tracker: StatusTracker) -> PokeReturnValue | bool:
        if not tracker.done:
            return False
        if tracker.failures():
            raise tracker.failure_error()
        return PokeReturnValue(is_done=True, xcom_value=tracker.result())

    def execute_complete(self, context: Any, event: dict[str, Any]) -> dict[str, dict[str, Any]]:
        if event.get("status") != "done":
            raise error_from_event(event)
        tracker = self._new_tracker(list(event["states"]), event["states"])
        if tracker.failures():
            raise tracker.failure_error()
        return tracker.result()
