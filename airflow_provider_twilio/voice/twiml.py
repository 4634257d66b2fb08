"""Moved to ``airflow_provider_twilio.twiml`` (shared by voice and the emulator)."""

from __future__ import annotations

from airflow_provider_twilio.twiml import (
    EMPTY_VERBS,
    GATHER_NESTED,
    MAX_TWIML_CHARS,
    PARSE_FAILURE,
    SCHEMA_WARNING,
    TEXT_VERBS,
    VOICE_VERBS,
    TwimlError,
    Verb,
    gather,
    parse,
    response,
    say,
)

__all__ = [
    "EMPTY_VERBS",
    "GATHER_NESTED",
    "MAX_TWIML_CHARS",
    "PARSE_FAILURE",
    "SCHEMA_WARNING",
    "TEXT_VERBS",
    "VOICE_VERBS",
    "TwimlError",
    "Verb",
    "gather",
    "parse",
    "response",
    "say",
]
