"""Exports each day's messages to the object storage path in the run's params, as Parquet.

Used by tests/integration/test_log_export.py under ``dag.test()`` against the Twilio emulator and an
S3 API server. The timetable is spelled out: Airflow 3 gives a plain cron or timedelta schedule
runs with no data interval.
"""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

from airflow.timetables.interval import CronDataIntervalTimetable

from airflow_provider_twilio.transfers.logs import TwilioLogExportOperator

try:
    from airflow.sdk import DAG
except ImportError:  # Airflow 2.11
    from airflow import DAG

with DAG(
    dag_id="log_export",
    schedule=CronDataIntervalTimetable("@daily", timezone="UTC"),
    start_date=datetime(2026, 11, 20, tzinfo=timezone.utc),
    catchup=False,
    params={"path": ""},
    tags=["test"],
) as dag:
    TwilioLogExportOperator(
        task_id="export",
        resource="messages",
        path="{{ params.path }}",
        format="parquet",
        status_lookback=timedelta(0),
        retries=0,
    )
