"""The operator's number hygiene and budget parameters: checked when the DAG is parsed, built when it runs."""

from __future__ import annotations

import logging
from typing import Any

from airflow_provider_twilio.checks import shown
from airflow_provider_twilio.exceptions import TwilioInputError
from airflow_provider_twilio.retry import RetryPolicy
from airflow_provider_twilio.sending.budget import (
    Budget,
    checked_max_cost,
    checked_max_price,
    checked_max_total_segments,
    checked_price_per_segment,
)
from airflow_provider_twilio.sending.line_types import LineTypeScreen

LOOKUPS = ("line_type",)


def checked_lookup(value: Any) -> str | None:
    if value is None or value in LOOKUPS:
        return value
    raise TwilioInputError(f"lookup: {shown(value)} is not valid; expected None or one of {', '.join(LOOKUPS)}")


def checked_hygiene_and_budget(
    *, lookup: Any, price_per_segment: Any, max_total_segments: Any, max_cost: Any, max_price: Any
) -> tuple[str | None, Budget]:
    """Every parameter checked up front; a bad one fails the DAG import, naming the parameter and value."""
    prices = checked_price_per_segment(price_per_segment)
    return checked_lookup(lookup), Budget(
        price_per_segment=prices,
        max_total_segments=checked_max_total_segments(max_total_segments),
        max_cost=checked_max_cost(max_cost, prices),
        max_price=checked_max_price(max_price),
    )


def line_type_screen(
    lookup: str | None, context: Any, max_concurrency: int, retry: RetryPolicy, log: logging.Logger | Any
) -> LineTypeScreen | None:
    """The screen for this try, remembering answers in the task's own record where Airflow keeps one (3.3+)."""
    if lookup is None:
        return None
    store = context.get("task_state_store") if hasattr(context, "get") else None
    if store is None:
        log.info("Line types are remembered across tries from Airflow 3.3 on; here a retried try looks them up again")
    return LineTypeScreen(store, max_concurrency=max_concurrency, retry=retry, log=log)
