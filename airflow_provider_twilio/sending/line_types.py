"""Number hygiene: Twilio Lookup v2 line types before an SMS batch, so landlines are not paid for.

Each number is looked up once per DAG run: answers are kept in the task's own record (Airflow's task
state store, which survives retries; Airflow 3.3+), written as the lookups come in, and a retried try
reads them instead of asking Twilio again. Lookups run ``max_concurrency`` at a time.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait
from dataclasses import replace
from typing import Any, Protocol

from airflow_provider_twilio.addresses import is_whatsapp
from airflow_provider_twilio.exceptions import AUTH_ERROR_TYPES, TwilioApiError, TwilioProviderError
from airflow_provider_twilio.retry import RetryPolicy, read_with_retries
from airflow_provider_twilio.sending.core import SendOutcome
from airflow_provider_twilio.sending.results import from_error, skipped
from airflow_provider_twilio.sending.validation import ValidatedBatch

LINE_TYPE = "LINE_TYPE"
"""The ``error_type`` of a recipient skipped for its line type (status ``skipped``)."""

TEXTABLE_LINE_TYPES = frozenset({"mobile", "nonFixedVoip", "fixedVoip", "personal"})
"""Line types that receive SMS: mobiles, VoIP numbers (which carriers route texts to) and personal numbers.
Landline, tollFree, premium, sharedCost, uan, voicemail, pager and unknown are skipped."""

INVALID = "invalid"
"""Recorded for a number Twilio says is not valid (it has no line type)."""

UNKNOWN = "unknown"
"""Recorded when Twilio answers with no line type."""

CACHE_KEY = "twilio_line_types"
"""The task state store key holding how many parts of ``{number: line type}`` the run has written; part
``i`` is under ``twilio_line_types/i``. Parts stay small (Airflow warns above 64 KB per value) and each
answer is written once, not the whole map again."""

SAVE_EVERY = 500
"""New answers are written to the task's record as a part of this many, and once more at the end (or on failure)."""

LOOKUP_FIELDS = "line_type_intelligence"


class Store(Protocol):
    """What is used of Airflow's ``task_state_store`` accessor."""

    def get(self, key: str, default: Any = None) -> Any: ...

    def set(self, key: str, value: Any) -> None: ...


class LineTypeCache:
    """The run's answers: read once from the task's record, written back in parts as lookups finish."""

    def __init__(self, store: Store | None) -> None:
        self._store = store
        self.known: dict[str, str] = {}
        self._parts = 0
        if store is not None:
            count = store.get(CACHE_KEY)
            self._parts = count if isinstance(count, int) and not isinstance(count, bool) and count > 0 else 0
            for index in range(self._parts):
                part = store.get(f"{CACHE_KEY}/{index}")
                if isinstance(part, dict):
                    self.known.update({str(k): v for k, v in part.items() if isinstance(v, str)})
        self._unsaved: dict[str, str] = {}

    def add(self, number: str, line_type: str) -> None:
        self.known[number] = line_type
        self._unsaved[number] = line_type
        if len(self._unsaved) >= SAVE_EVERY:
            self.save()

    def save(self) -> None:
        if self._store is not None and self._unsaved:
            # The part first, then the count that makes it visible: a try stopped in between loses only it.
            self._store.set(f"{CACHE_KEY}/{self._parts}", self._unsaved)
            self._parts += 1
            self._store.set(CACHE_KEY, self._parts)
        self._unsaved = {}


def line_type_from(instance: Any) -> str:
    """The line type of a Lookup v2 answer: Twilio's ``type``, ``unknown`` when absent, ``invalid`` for a non-number."""
    if instance.valid is False:
        return INVALID
    intelligence = instance.line_type_intelligence
    kind = intelligence.get("type") if isinstance(intelligence, dict) else None
    return kind if isinstance(kind, str) and kind else UNKNOWN


def skip_reason(to: str, line_type: str) -> str:
    if line_type == INVALID:
        return f"not texted: Twilio Lookup says {to} is not a valid phone number"
    return (
        f"not texted: Twilio Lookup reports a {line_type} line, and SMS goes only to "
        f"{', '.join(sorted(TEXTABLE_LINE_TYPES))} lines"
    )


class LineTypeScreen:
    """Looks up every SMS recipient's line type and holds back the ones that cannot receive a text.

    WhatsApp addresses are not looked up: WhatsApp reaches an app account, which a landline number can
    hold too (WhatsApp Business), and Lookup's line type says nothing about it.
    """

    def __init__(
        self,
        store: Store | None,
        *,
        max_concurrency: int,
        retry: RetryPolicy | None = None,
        log: logging.Logger | Any = None,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self.cache = LineTypeCache(store)
        self.max_concurrency = max_concurrency
        self.retry = retry or RetryPolicy()
        self.log = log or logging.getLogger(__name__)
        self._sleep = sleep
        self.looked_up = 0

    def screen(self, client: Any, batch: ValidatedBatch) -> tuple[ValidatedBatch, dict[str, dict[str, Any]]]:
        """The batch of textable recipients, and a result for each one held back (skipped or failed lookup)."""
        numbers = [to for to in batch.recipients if not is_whatsapp(to)]
        cached = [to for to in numbers if to in self.cache.known]
        errors = self._look_up(client, [to for to in numbers if to not in self.cache.known])
        held: dict[str, dict[str, Any]] = {}
        for to in numbers:
            if to in errors:
                held[to] = from_error(to, errors[to])
            elif self.cache.known[to] not in TEXTABLE_LINE_TYPES:
                held[to] = skipped(to, LINE_TYPE, skip_reason(to, self.cache.known[to]))
        self.log.info(
            "Line types: %d number(s) looked up, %d known from an earlier try of this run, %d WhatsApp address(es) "
            "not looked up; %d held back (%d not textable, %d lookup failure(s)), %d to send",
            self.looked_up,
            len(cached),
            len(batch.recipients) - len(numbers),
            len(held),
            len(held) - len(errors),
            len(errors),
            len(batch.recipients) - len(held),
        )
        return replace(batch, recipients=tuple(to for to in batch.recipients if to not in held)), held

    def _look_up(self, client: Any, numbers: list[str]) -> dict[str, TwilioProviderError]:
        """Fill the cache for ``numbers``; a number whose lookup fails keeps its error (it is not cached)."""
        if not numbers:
            return {}
        phone_numbers = client.lookups.v2.phone_numbers
        errors: dict[str, TwilioProviderError] = {}

        def fetch(number: str) -> str:
            return line_type_from(
                read_with_retries(lambda: phone_numbers(number).fetch(fields=LOOKUP_FIELDS), self.retry, self._sleep)
            )

        workers = min(self.max_concurrency, len(numbers))
        pool = ThreadPoolExecutor(max_workers=workers, thread_name_prefix="twilio-lookup")
        try:
            pending: dict[Future[str], str] = {}
            queue = iter(numbers)
            # Only max_concurrency lookups are submitted at a time, so a stop (auth failure, SIGTERM) leaves
            # nothing queued behind them.
            for number in queue:
                pending[pool.submit(fetch, number)] = number
                if len(pending) >= self.max_concurrency:
                    break
            while pending:
                done, _ = wait(pending, return_when=FIRST_COMPLETED)
                for future in done:
                    number = pending.pop(future)
                    try:
                        self.cache.add(number, future.result())
                        self.looked_up += 1
                    except TwilioProviderError as error:
                        if error.error_type in AUTH_ERROR_TYPES:
                            raise TwilioApiError(
                                f"Line type lookups stopped, nothing was sent: {error.message}",
                                error_type=error.error_type,
                                code=error.code,
                                http_status=error.http_status,
                            ) from error
                        errors[number] = TwilioApiError(
                            f"not texted: its line type could not be looked up ({error.message})",
                            error_type=error.error_type,
                            code=error.code,
                            http_status=error.http_status,
                        )
                    following = next(queue, None)
                    if following is not None:
                        pending[pool.submit(fetch, following)] = following
        finally:
            pool.shutdown(wait=True, cancel_futures=True)
            self.cache.save()
        return errors


def with_held(outcome: SendOutcome, recipients: tuple[str, ...], held: dict[str, dict[str, Any]]) -> SendOutcome:
    """The outcome for the whole batch: results in recipient order, held-back recipients included."""
    if not held:
        return outcome
    sent = iter(outcome.results)
    results = [held[to] if to in held else next(sent) for to in recipients]
    return SendOutcome(results=results, reconciled=outcome.reconciled, auth_failure=outcome.auth_failure)
