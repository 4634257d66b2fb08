"""Validate against a connection's defaults and send: the whole path the operator and the notifier share."""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import datetime
from typing import Any

from airflow_provider_twilio.exceptions import TwilioSendError
from airflow_provider_twilio.sending.batch import BatchOptions
from airflow_provider_twilio.sending.budget import Budget, budget_statement
from airflow_provider_twilio.sending.core import SendOutcome, messages_resource, send_batch
from airflow_provider_twilio.sending.line_types import LineTypeScreen, with_held
from airflow_provider_twilio.sending.report import batch_summary
from airflow_provider_twilio.sending.results import common_error_type, summarize_failures
from airflow_provider_twilio.sending.validation import ValidatedBatch, validate_batch


def send_through_hook(
    hook: Any,
    fields: dict[str, Any],
    options: BatchOptions,
    *,
    log: logging.Logger | Any,
    dedupe_since: datetime | None = None,
    narrow: Callable[[ValidatedBatch], ValidatedBatch] | None = None,
    budget: Budget | None = None,
    screen: LineTypeScreen | None = None,
) -> tuple[ValidatedBatch, SendOutcome]:
    """Check every field before the first request (the connection supplies the default sender), then send.

    ``budget`` is checked on the whole batch before any request, lookups included. ``narrow`` cuts the
    checked batch down to the recipients a policy lets through now (quiet hours); ``screen`` then holds
    back those whose line type cannot take a text. The outcome has results for the narrowed recipients
    only, and the whole checked batch is returned. The batch's one-line outcome is logged here, held-back
    recipients included; with ``narrow`` the caller logs it once it has merged the results of the rest.
    """
    settings = hook.settings
    batch = validate_batch(
        **fields,
        default_from=settings.default_from,
        default_messaging_service_sid=settings.default_messaging_service_sid,
    )
    log.info(batch.describe())
    if budget is not None:
        log.info(budget_statement(budget, batch))
    sending = batch if narrow is None else narrow(batch)
    client = hook.get_conn()
    sendable, held = screen.screen(client, sending) if screen is not None else (sending, {})
    sent = send_batch(messages_resource(client), sendable, options, dedupe_since=dedupe_since, log=log, summarize=False)
    outcome = with_held(sent, sending.recipients, held)
    if narrow is None:
        log.info(batch_summary(outcome.results))
    return batch, outcome


def failed_recipients_error(outcome: SendOutcome, headline: str) -> TwilioSendError:
    """One error naming every recipient that failed and why, carrying all results."""
    failures = outcome.failures
    codes = {failure["error_code"] for failure in failures}
    return TwilioSendError(
        f"{headline}:\n{summarize_failures(failures)}",
        results=outcome.results,
        error_type=common_error_type(failures),
        code=codes.pop() if len(codes) == 1 else None,
    )
