"""Checks the sending options an operator or notifier is built with, so a bad value fails the DAG import,
not the send."""

from __future__ import annotations

import math
from typing import Any

from airflow_provider_twilio.exceptions import TwilioInputError


def checked_max_concurrency(value: Any) -> int:
    """Requests in flight at once: a whole number, at least 1 (text such as "10" is refused, not guessed at)."""
    if not isinstance(value, int) or isinstance(value, bool) or value < 1:
        raise TwilioInputError(
            f"max_concurrency: {value!r} ({type(value).__name__}) is not valid; expected a whole number >= 1, e.g. 10"
        )
    return value


def checked_max_rate(value: Any) -> float | None:
    """Messages per second, or None for no limit: a positive, finite number."""
    if value is None:
        return None
    if not isinstance(value, (int, float)) or isinstance(value, bool) or not math.isfinite(value) or value <= 0:
        raise TwilioInputError(
            f"max_rate: {value!r} ({type(value).__name__}) is not valid; expected a positive number of messages "
            "per second, or None for no limit"
        )
    return float(value)


MAX_COMMIT_GRACE_PERIOD = 600


def checked_commit_grace_period(value: Any) -> float | None:
    """Seconds to wait for a late commit, or None for the sender's default: 0 to 600."""
    if value is None:
        return None
    if (
        not isinstance(value, (int, float))
        or isinstance(value, bool)
        or not math.isfinite(value)
        or not 0 <= value <= MAX_COMMIT_GRACE_PERIOD
    ):
        raise TwilioInputError(
            f"commit_grace_period: {value!r} ({type(value).__name__}) is not valid; expected a number of seconds "
            f"from 0 to {MAX_COMMIT_GRACE_PERIOD}, or None for the default (10)"
        )
    return float(value)
