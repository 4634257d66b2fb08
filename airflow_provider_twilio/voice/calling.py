"""The path the call operator and the call notifier share: check everything, reconcile, call, follow."""

from __future__ import annotations

import logging
from collections.abc import Mapping
from typing import Any

from airflow_provider_twilio.exceptions import TwilioInputError
from airflow_provider_twilio.retry import RetryPolicy, read_log_or_refuse
from airflow_provider_twilio.run_context import run_window_start, try_number
from airflow_provider_twilio.voice.escalation import Escalation
from airflow_provider_twilio.voice.keypress import KeypressCheck, task_keypress
from airflow_provider_twilio.voice.reconcile import find_placed_calls
from airflow_provider_twilio.voice.request import CallRequest, check_keypress, validate_call


def webhook_base_url(hook: Any) -> str | None:
    extras = getattr(hook.get_connection(hook.twilio_conn_id), "extra_dejson", {}) or {}
    value = extras.get("webhook_base_url")
    return str(value).strip() or None if value else None


def escalate(
    hook: Any,
    context: Mapping[str, Any] | None,
    *,
    fields: dict[str, Any],
    mode: str,
    require_keypress: str | None,
    deduplicate: bool,
    poll_interval: float,
    log: logging.Logger | Any,
) -> list[dict[str, Any]]:
    """Check every field before the first call, skip numbers an earlier try already rang, then call."""
    base_url = webhook_base_url(hook) if require_keypress else None
    key = check_keypress(require_keypress, base_url, hook.twilio_conn_id)
    keypress, action = _keypress(key, base_url, hook.twilio_conn_id, context)
    request = validate_call(
        **fields, default_from=hook.settings.default_from, require_keypress=key, gather_action=action
    )
    log.info(request.describe())
    client = hook.get_conn()
    escalation = Escalation(client, request, poll_interval=poll_interval, log=log, keypress=keypress)
    placed = _already_placed(escalation, request, context, log) if deduplicate and context else {}
    if mode == "all":
        return escalation.all_at_once(placed)
    return escalation.until_acknowledged(placed)


def _keypress(
    key: str | None, base_url: str | None, conn_id: str, context: Mapping[str, Any] | None
) -> tuple[KeypressCheck | None, str | None]:
    """Where the key is posted (the receiver, for this task instance) and how the task reads it back."""
    if key is None or base_url is None:
        return None, None
    ti = (context or {}).get("ti")
    if ti is None:
        raise TwilioInputError("require_keypress: needs a running task instance, where the keypress is recorded")
    return task_keypress(base_url, conn_id, ti, key)


def _already_placed(
    escalation: Escalation, request: CallRequest, context: Mapping[str, Any], log: logging.Logger | Any
) -> dict[str, Any]:
    """On try 2+, the calls this DAG run already placed to these numbers; raises if the log cannot be read."""
    if try_number(context) <= 1:
        return {}
    since = run_window_start(context)
    if since is None:
        log.warning("Try %d: the DAG run has no start date, so earlier calls cannot be found", try_number(context))
        return {}
    placed = read_log_or_refuse(
        lambda: find_placed_calls(escalation.calls, request.to, request.from_, since),
        RetryPolicy(),
        escalation.sleep,
        "Could not read the Calls log to skip people an earlier try already called, so nobody was called",
    )
    if placed:
        log.info(
            "Try %d: %d number(s) were already called in this DAG run; following those calls instead of calling again",
            try_number(context),
            len(placed),
        )
    return placed
