"""Sending the one text a reply earns, through the provider's sending core, after the transaction committed."""

from __future__ import annotations

import logging
from typing import Any

log = logging.getLogger(__name__)


def send_reply(conn_id: str, *, to: str, from_: str | None, body: str) -> str | None:
    """Text ``body`` to ``to`` from the number the person wrote to; the message SID, or None if it failed.

    A failure is logged, never raised: the answer is already recorded, and sending again later could
    text twice.
    """
    from airflow_provider_twilio.hooks.twilio import TwilioHook
    from airflow_provider_twilio.sending.batch import BatchOptions
    from airflow_provider_twilio.sending.with_hook import send_through_hook

    fields: dict[str, Any] = {"to": to, "body": body}
    if from_:
        fields["from_"] = from_
    try:
        _, outcome = send_through_hook(TwilioHook(twilio_conn_id=conn_id), fields, BatchOptions(), log=log)
    except Exception as err:
        log.warning("Could not send the answer to a HITL reply: %s", type(err).__name__)
        return None
    result = outcome.results[0]
    if result["sid"] is None:  # refused, or the phone replied STOP (opted_out): either way not sent
        log.warning("Could not send the answer to a HITL reply: %s %s", result["status"], result["error_code"])
        return None
    return str(result["sid"])
