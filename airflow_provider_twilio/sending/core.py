"""The one entry point the operator and the notifier call to send a validated batch."""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from airflow_provider_twilio.exceptions import TwilioProviderError
from airflow_provider_twilio.retry import read_log_or_refuse
from airflow_provider_twilio.sending.batch import BatchOptions, BatchSender
from airflow_provider_twilio.sending.reconcile import find_already_sent
from airflow_provider_twilio.sending.report import batch_summary
from airflow_provider_twilio.sending.results import from_message, is_failure
from airflow_provider_twilio.sending.validation import ValidatedBatch

_default_log = logging.getLogger(__name__)


@dataclass(frozen=True)
class SendOutcome:
    results: list[dict[str, Any]]
    """One dict per recipient, in recipient order (see ``results.RESULT_KEYS``)."""
    reconciled: int
    """Recipients skipped because an earlier try had already sent them this message."""
    auth_failure: TwilioProviderError | None

    @property
    def failures(self) -> list[dict[str, Any]]:
        return [result for result in self.results if is_failure(result)]


def messages_resource(client: Any) -> Any:
    """The account's messages list resource, built once and shared by every send of a batch."""
    return client.api.v2010.account.messages


def send_batch(
    messages: Any,
    batch: ValidatedBatch,
    options: BatchOptions | None = None,
    *,
    dedupe_since: datetime | None = None,
    log: logging.Logger | Any = None,
    sleep: Callable[[float], None] = time.sleep,
    summarize: bool = True,
) -> SendOutcome:
    """Send ``batch``; with ``dedupe_since``, first skip recipients already sent this message since then.

    ``summarize=False`` leaves the one-line outcome to a caller that adds results of its own (recipients held
    back before sending), so the line counts every recipient of the batch.

    Raises only if the log needed for de-duplication cannot be read: sending blindly could text twice.
    """
    log = log or _default_log
    options = options or BatchOptions()
    recipients = list(batch.recipients)
    already: dict[str, Any] = {}
    if dedupe_since is not None:
        already = read_log_or_refuse(
            lambda: find_already_sent(messages, recipients, batch.request, dedupe_since),
            options.retry,
            sleep,
            "Could not read the message log to skip recipients an earlier try already texted, so nothing was sent",
        )
        if already:
            log.info(
                "%d of %d recipient(s) already got this message earlier in this run; not sending to them again",
                len(already),
                len(recipients),
            )
    sender = BatchSender(messages, batch.request, options, log, sleep=sleep)
    sent = sender.run([to for to in recipients if to not in already])
    results = [from_message(to, already[to]) if to in already else sent[to] for to in recipients]
    if summarize:
        log.info(batch_summary(results))
    if sender.auth_failure is not None:
        log.error("Twilio refused the credentials; stopped the batch: %s", sender.auth_failure.message)
    return SendOutcome(results=results, reconciled=len(already), auth_failure=sender.auth_failure)
