"""A DAG for the dashboard card's browser test: it texts two people, one of whom the emulator never
reaches (``+15005550010`` ends ``undelivered`` with Twilio's 30003)."""

from __future__ import annotations

import pendulum
from airflow.sdk import DAG

from airflow_provider_twilio.operators.sms import TwilioSendSmsOperator

REACHED, UNREACHABLE = "+15551230201", "+15005550010"

with DAG("ui_dashboard_failures", schedule=None, start_date=pendulum.datetime(2026, 1, 1), catchup=False):
    TwilioSendSmsOperator(task_id="tell_on_call", to=[REACHED, UNREACHABLE], body="Nightly load finished.")
