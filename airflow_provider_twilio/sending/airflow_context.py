"""Moved to ``airflow_provider_twilio.run_context``."""

from __future__ import annotations

from airflow_provider_twilio.run_context import rendering_template_errors, run_window_start, try_number

__all__ = ["rendering_template_errors", "run_window_start", "try_number"]
