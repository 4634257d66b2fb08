"""Reading what the provider needs from an Airflow task context, the same on 2.11 and 3.x."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from datetime import datetime, timezone
from typing import Any, TypeVar

from airflow_provider_twilio.exceptions import TwilioTemplateError

T = TypeVar("T")


def try_number(context: Mapping[str, Any]) -> int:
    """This task instance's try, counting from 1."""
    ti = context.get("ti") or context.get("task_instance")
    number = getattr(ti, "try_number", None)
    return int(number) if number else 1


def run_window_start(context: Mapping[str, Any]) -> datetime | None:
    """When this DAG run began: what happened since then may come from an earlier try of this task.

    The first of the run's start, queue time, ``run_after`` and logical date that is known, as aware UTC.
    """
    dag_run = context.get("dag_run")
    for attribute in ("start_date", "queued_at", "run_after", "logical_date"):
        value = getattr(dag_run, attribute, None)
        if isinstance(value, datetime):
            return value if value.tzinfo else value.replace(tzinfo=timezone.utc)
    return None


def rendering_template_errors(render: Callable[[], T], owner: str) -> T:
    """Run a template render, turning Jinja failures (e.g. an undefined variable) into TwilioTemplateError."""
    import jinja2

    try:
        return render()
    except jinja2.TemplateError as err:
        raise TwilioTemplateError(
            f"{owner}: a templated field could not be rendered: {type(err).__name__}: {err}"
        ) from err
