"""Offer each accepted inbound text to the HITL requests waiting for an answer by text (``answers/``).

Called by the receiver after the webhook's signature and form were checked and its asset events
recorded. The resolver answers a text once however often it is delivered, to however many workers.
"""

from __future__ import annotations

from typing import Any

from airflow_provider_twilio.webhooks.config import WebhookConfig


def start() -> None:
    """Apply held answers in this api-server worker (answers that came before their task was parked)."""
    from airflow_provider_twilio.answers.held import ensure_applying

    ensure_applying()


def offer_text(config: WebhookConfig, form: Any) -> str:
    """What became of the text as an answer (for the log): answered, held, refused, not_for_us, ..."""
    from airflow_provider_twilio.answers.resolve import answer_by_text
    from airflow_provider_twilio.webhooks.forms import inbound_form

    start()
    text = inbound_form(form, config.account_sid)
    outcome = answer_by_text(
        config.conn_id, from_number=text.from_, to_number=text.to, body=text.body, message_sid=text.sid
    )
    return outcome.result.value
