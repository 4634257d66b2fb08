"""Recipients who replied STOP: Twilio refuses them with 21610 until they text START.

Not a failure by default (the sender did nothing wrong, and sending again cannot help); a task or a
notifier that must not succeed while anyone is unreachable this way asks for ``opted_out_error``.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from airflow_provider_twilio.exceptions import ErrorType, TwilioOptedOutError
from airflow_provider_twilio.sending.results import is_opted_out, summarize_failures

OPTED_OUT_CODE = 21610


def opted_out(results: Iterable[dict[str, Any]]) -> list[dict[str, Any]]:
    """The results of recipients who replied STOP to this sender."""
    return [result for result in results if is_opted_out(result)]


def opted_out_error(results: list[dict[str, Any]], headline: str) -> TwilioOptedOutError:
    """One error naming every opted-out recipient, carrying all results (error type RECIPIENT_OPTED_OUT_ERROR).

    A ``TwilioSendError`` that Airflow does not retry: the next try would be refused the same way.
    """
    return TwilioOptedOutError(
        f"{headline}:\n{summarize_failures(opted_out(results))}",
        results=results,
        error_type=ErrorType.RECIPIENT_OPTED_OUT_ERROR,
        code=OPTED_OUT_CODE,
    )
