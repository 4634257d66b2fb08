"""Moved to ``airflow_provider_twilio.timing``; ``window_floor`` is ``timing.second_floor``."""

from __future__ import annotations

from airflow_provider_twilio.timing import DATE_RESOLUTION, as_utc, parse_api_date, parse_since
from airflow_provider_twilio.timing import second_floor as window_floor

__all__ = ["DATE_RESOLUTION", "as_utc", "parse_api_date", "parse_since", "window_floor"]
