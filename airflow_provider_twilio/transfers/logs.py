"""TwilioLogExportOperator: message, call and recording history into object storage, once per interval."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import timedelta
from typing import Any

from airflow_provider_twilio._compat import BaseOperator, object_storage_path
from airflow_provider_twilio.exports.export import ExportSpec, export_window
from airflow_provider_twilio.exports.windows import Window, manual_window, parse_lookback, scheduled_windows

DEFAULT_STATUS_LOOKBACK = timedelta(days=3)


class TwilioLogExportOperator(BaseOperator):
    """Export ``resource`` for this run's data interval to ``path``; returns one summary per file written.

    Each window is written to ``<path>/date=YYYY-MM-DD/part-<start>_<end>.<format>`` through a temporary
    object that then replaces the file, so a re-run or retry of the same interval rewrites the same file
    and a killed try never leaves a half file under that name. See docs/exports.md for the schema.

    :param resource: ``"messages"`` (placed by ``DateSent``), ``"calls"`` (``StartTime``) or
        ``"recordings"`` (``DateCreated``; also the audio, at ``date=.../audio/<RecordingSid>.wav``).
    :param path: any ObjectStoragePath URL (``s3://...``, ``gs://...``, ``file:///...``); templated.
    :param format: ``"parquet"`` (one row group per page) or ``"jsonl"``.
    :param status_lookback: also rewrite the earlier windows of the interval's length that start within
        this long before it, so their rows carry the statuses they reached since (default 3 days).
    :param include_body: add the message ``body`` column; off by default, as bodies are personal data.
    :param since: with ``until``, the window of a run that has no data interval (a manual run of an
        unscheduled DAG); ISO-8601, templated. Also read from the run's params when not given.
    :param page_size: records per request and per row group (1-1,000).
    :param audio_format: ``"wav"`` or ``"mp3"``, for recordings.
    :param path_conn_id: the Airflow connection the object store is reached with.
    """

    template_fields: Sequence[str] = ("path", "since", "until", "twilio_conn_id", "path_conn_id")
    ui_color = "#f22f46"

    def __init__(
        self,
        *,
        resource: str,
        path: str,
        format: str = "parquet",
        status_lookback: timedelta | float = DEFAULT_STATUS_LOOKBACK,
        include_body: bool = False,
        since: Any = None,
        until: Any = None,
        page_size: int = 1000,
        audio_format: str = "wav",
        twilio_conn_id: str = "twilio_default",
        path_conn_id: str | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(**kwargs)
        self.spec = ExportSpec(resource, format, include_body, page_size, audio_format)
        self.status_lookback = parse_lookback(status_lookback)
        self.resource, self.format, self.include_body = resource, format, include_body
        self.path = path
        self.since, self.until = since, until
        self.twilio_conn_id = twilio_conn_id
        self.path_conn_id = path_conn_id

    def windows(self, context: Any) -> list[Window]:
        start, end = context.get("data_interval_start"), context.get("data_interval_end")
        params = context.get("params") or {}
        since = self.since if self.since not in (None, "") else params.get("since")
        until = self.until if self.until not in (None, "") else params.get("until")
        if since not in (None, "") or until not in (None, "") or start is None or end is None or start == end:
            return [manual_window(since, until)]
        return scheduled_windows(start, end, self.status_lookback)

    def execute(self, context: Any) -> list[dict[str, Any]]:
        from airflow_provider_twilio.hooks.twilio import TwilioHook

        windows = self.windows(context)
        client = TwilioHook(twilio_conn_id=self.twilio_conn_id).get_conn()
        base = object_storage_path(self.path, conn_id=self.path_conn_id)
        results = []
        for window in windows:
            result = export_window(client, self.spec, window, base)
            self.log.info(
                "%s %s to %s: %d rows in %s", self.resource, window.start, window.end, result.rows, result.path
            )
            results.append(result.summary())
        return results
