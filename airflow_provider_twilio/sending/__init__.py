"""The one sending core behind TwilioSendSmsOperator and TwilioSmsNotifier.

Modules here import the Twilio SDK and ``phonenumbers`` only inside the functions that use them,
so operators and notifiers can import this package at DAG-parse time for free.
"""

from __future__ import annotations

from airflow_provider_twilio.addresses import parse_recipients
from airflow_provider_twilio.sending.batch import BatchOptions, RetryPolicy
from airflow_provider_twilio.sending.core import SendOutcome, send_batch
from airflow_provider_twilio.sending.validation import MessageRequest, ValidatedBatch, validate_batch

__all__ = [
    "BatchOptions",
    "MessageRequest",
    "RetryPolicy",
    "SendOutcome",
    "ValidatedBatch",
    "parse_recipients",
    "send_batch",
    "validate_batch",
]
