"""When an answer may resume its task: only once Airflow has fully parked it.

On Airflow 3.3 the worker reports ``awaiting_input`` and then exits; the executor reports that exit
to the scheduler a moment later. A response that resumes the task before the scheduler has processed
that report makes the scheduler fail it ("finished with state success, but the task instance's state
attribute is queued"). The report leaves no mark in the database, so an answer is applied only when
the task has been in ``awaiting_input`` for ``SETTLE_SECONDS`` (its row unchanged that long); until
then it is held. On Airflow 3.1/3.2 Airflow's own ``HITLTrigger`` resumes the deferred task once the
response is written, so an answer is written at once.
"""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from typing import Any

SETTLE_SECONDS = 10.0
"""Several scheduler loops (one a second by default) after the worker parked the task."""


def resumes_itself() -> bool:
    """True before Airflow 3.3: the HITL trigger, not the answer, resumes the task."""
    from airflow.utils.state import TaskInstanceState

    return getattr(TaskInstanceState, "AWAITING_INPUT", None) is None


def is_parked(ti: Any, now: datetime | None = None) -> bool:
    """Whether an answer may be written for ``ti`` now (see the module docstring)."""
    if resumes_itself():
        return True
    from airflow.utils.state import TaskInstanceState

    if ti.state != TaskInstanceState.AWAITING_INPUT:
        return False
    changed = ti.updated_at
    if changed is None:
        return False
    now = now or datetime.now(timezone.utc)
    return now - changed >= timedelta(seconds=SETTLE_SECONDS)
