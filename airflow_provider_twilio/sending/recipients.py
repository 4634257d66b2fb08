"""Moved to ``airflow_provider_twilio.addresses`` (one set of address rules for sending, calls and inbound)."""

from __future__ import annotations

from airflow_provider_twilio.addresses import (
    MAX_NESTING,
    WHATSAPP_PREFIX,
    impossible_number_reason,
    normalize_address,
    parse_recipients,
    split_recipients,
)
from airflow_provider_twilio.checks import shown

__all__ = [
    "MAX_NESTING",
    "WHATSAPP_PREFIX",
    "impossible_number_reason",
    "normalize_address",
    "parse_recipients",
    "shown",
    "split_recipients",
]
