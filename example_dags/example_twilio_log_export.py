"""Every day, export yesterday's messages, calls and call recordings to the lake.

Each task writes ``<lake>/<resource>/date=YYYY-MM-DD/part-<start>_<end>.parquet`` for its data
interval, exactly once however often it is re-run, and rewrites the last three days' files so late
delivery statuses (queued -> delivered/undelivered) reach the lake. Recordings also write their audio
under ``date=.../audio/``. Message bodies are left out: they are personal data. See docs/exports.md.

The lake is ``TWILIO_LAKE`` (default ``s3://lake/twilio``; the Amazon provider gives Airflow ``s3://``).
"""

from __future__ import annotations

import datetime
import os

from airflow.providers.common.compat.sdk import DAG, Asset
from airflow.timetables.interval import CronDataIntervalTimetable

from airflow_provider_twilio.transfers.logs import TwilioLogExportOperator

LAKE = os.environ.get("TWILIO_LAKE", "s3://lake/twilio").rstrip("/")

with DAG(
    dag_id="example_twilio_log_export",
    # A data-interval timetable: on Airflow 3 a plain "@daily" gives runs no interval to export.
    schedule=CronDataIntervalTimetable("@daily", timezone="UTC"),
    start_date=datetime.datetime(2025, 1, 1, tzinfo=datetime.timezone.utc),
    catchup=False,
    tags=["example", "twilio"],
    doc_md=__doc__,
):
    for resource in ("messages", "calls", "recordings"):
        TwilioLogExportOperator(
            task_id=f"{resource}_to_lake",
            resource=resource,
            path=f"{LAKE}/{resource}/",
            format="parquet",
            status_lookback=datetime.timedelta(days=3),
            outlets=[Asset(f"{LAKE}/{resource}/")],
        )
