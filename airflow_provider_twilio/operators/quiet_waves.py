"""The Airflow side of quiet hours for the send operator: keep the waves in XCom and defer between them.

Before deferring, the results so far go to the task's XCom ``twilio_quiet_hours_waves`` (Airflow
keeps a task's XComs across a deferral and clears them when a new try starts), so the resumed wave
texts none of them again; a retried task relies on the message log instead (``deduplicate``).
"""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime, timezone
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from airflow_provider_twilio.sending.core import SendOutcome
    from airflow_provider_twilio.sending.quiet_waves import QuietWaves
    from airflow_provider_twilio.sending.validation import ValidatedBatch

WAVES_XCOM_KEY = "twilio_quiet_hours_waves"
RESUME_METHOD = "execute_after_quiet_hours"
SKIPPED_LOG_LIMIT = 20


def _now(operator: Any) -> datetime:
    return operator.current_time().astimezone(timezone.utc)


def first_waves(operator: Any) -> QuietWaves | None:
    """The first wave's plan, or None when the operator has no quiet hours."""
    from airflow_provider_twilio.sending.quiet_waves import QuietWaves

    if operator.quiet_hours is None:
        return None
    return QuietWaves(operator.quiet_hours, operator.quiet_hours_policy, _now(operator))


def resumed_waves(operator: Any, context: Any) -> QuietWaves:
    """The next wave's plan, from the results the waves before it recorded."""
    from airflow_provider_twilio.exceptions import TwilioProviderError
    from airflow_provider_twilio.sending.quiet_waves import QuietWaves

    ti = context["ti"]
    mapped = getattr(ti, "map_index", -1)
    own = {"map_indexes": mapped} if isinstance(mapped, int) and mapped >= 0 else {}
    state = ti.xcom_pull(task_ids=operator.task_id, key=WAVES_XCOM_KEY, **own)
    if not isinstance(state, dict):
        # Without the record of earlier waves this wave could text someone again: refuse, the retry reconciles.
        raise TwilioProviderError(
            f"Resumed after quiet hours but the XCom {WAVES_XCOM_KEY!r} of earlier waves is missing; "
            "nothing was sent in this wave"
        )
    return QuietWaves.resumed(state, operator.quiet_hours, operator.quiet_hours_policy, _now(operator))


def defer_if_more_waves(
    operator: Any, context: Any, batch: ValidatedBatch, outcome: SendOutcome, waves: QuietWaves
) -> SendOutcome:
    """Record this wave; defer until the next window opens if anyone is still waiting, else the whole outcome."""
    from airflow_provider_twilio.sending.report import batch_summary

    if outcome.auth_failure is not None:
        waves.fail_waiting(batch.recipients, outcome.auth_failure)  # later waves would be refused too
    results = waves.merge(batch.recipients, outcome.results)
    skipped = [result for result in results if result["status"] == "skipped"]
    waiting = len(batch.recipients) - len(results)
    operator.log.info(
        "Quiet hours %s, wave %d: %d recipient(s) sent to or tried; %d skipped so far; %d waiting for their window",
        waves.hours.label,
        waves.waves,
        len(outcome.results),
        len(skipped),
        waiting,
    )
    if waves.resume_at is not None:
        context["ti"].xcom_push(key=WAVES_XCOM_KEY, value=waves.state())
        operator.log.info("Deferring until %s, when the next window opens", waves.resume_at.isoformat())
        operator.defer(trigger=_date_time_trigger(waves.resume_at), method_name=RESUME_METHOD)
    operator.log.info(batch_summary(results))  # the last wave: every recipient has a result
    for result in skipped[:SKIPPED_LOG_LIMIT]:
        operator.log.warning("Not sent to %s: %s", result["to"], result["error_message"])
    if len(skipped) > SKIPPED_LOG_LIMIT:
        more = len(skipped) - SKIPPED_LOG_LIMIT
        operator.log.warning("... and %d more skipped (see the task's XCom return_value)", more)
    return replace(outcome, results=results)


def _date_time_trigger(moment: datetime) -> Any:
    try:
        from airflow.providers.standard.triggers.temporal import DateTimeTrigger
    except ImportError:  # Airflow 2.11 without the standard provider
        from airflow.triggers.temporal import DateTimeTrigger  # type: ignore[no-redef]
    return DateTimeTrigger(moment=moment)
