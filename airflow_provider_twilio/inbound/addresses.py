"""Moved: phone numbers to ``airflow_provider_twilio.addresses``, SIDs to ``airflow_provider_twilio.sids``."""

from __future__ import annotations

from airflow_provider_twilio.addresses import check_shape, parse_numbers, shaped_numbers, validate_number
from airflow_provider_twilio.sids import parse_call_sids, parse_message_sids

__all__ = [
    "check_shape",
    "parse_call_sids",
    "parse_message_sids",
    "parse_numbers",
    "shaped_numbers",
    "validate_number",
]
