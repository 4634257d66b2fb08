"""One window exported: pages of up to 1,000 records streamed from the SDK into a temporary object,
which then replaces the window's file, so a reader never sees a half-written file under its name.

``base`` is any path object with ``/``, ``open``, ``mkdir``, ``iterdir``, ``replace`` and ``unlink``
(Airflow's ObjectStoragePath, or ``pathlib.Path``): this module does not import Airflow.
"""

from __future__ import annotations

import contextlib
import secrets
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Any

from airflow_provider_twilio.exceptions import TwilioInputError
from airflow_provider_twilio.exports.schema import RESOURCES, Schema, to_row
from airflow_provider_twilio.exports.windows import Window, one_second_before
from airflow_provider_twilio.exports.writers import FORMATS, open_writer
from airflow_provider_twilio.timing import parse_api_date

MAX_PAGE_SIZE = 1000
AUDIO_FORMATS = ("wav", "mp3")
TEMP_MARK = ".tmp-"


@dataclass(frozen=True)
class ExportSpec:
    """What to export and how: checked once, before any request."""

    resource: str
    format: str = "parquet"
    include_body: bool = False
    page_size: int = MAX_PAGE_SIZE
    audio_format: str = "wav"

    def __post_init__(self) -> None:
        if self.resource not in RESOURCES:
            raise TwilioInputError(f"resource must be one of {', '.join(RESOURCES)}; got {self.resource!r}")
        if self.format not in FORMATS:
            raise TwilioInputError(f"format must be one of {', '.join(FORMATS)}; got {self.format!r}")
        if isinstance(self.page_size, bool) or not isinstance(self.page_size, int):
            raise TwilioInputError(f"page_size must be a whole number; got {self.page_size!r}")
        if not 1 <= self.page_size <= MAX_PAGE_SIZE:
            raise TwilioInputError(f"page_size must be from 1 to {MAX_PAGE_SIZE}; got {self.page_size}")
        if self.audio_format not in AUDIO_FORMATS:
            raise TwilioInputError(f"audio_format must be one of {', '.join(AUDIO_FORMATS)}; got {self.audio_format!r}")

    @property
    def schema(self) -> Schema:
        return Schema.of(self.resource, self.include_body)

    @property
    def suffix(self) -> str:
        return ".parquet" if self.format == "parquet" else ".jsonl"


@dataclass(frozen=True)
class WindowResult:
    window: Window
    path: str
    rows: int

    def summary(self) -> dict[str, Any]:
        return {
            "start": self.window.start.isoformat(),
            "end": self.window.end.isoformat(),
            "path": self.path,
            "rows": self.rows,
        }


def _records(client: Any, spec: ExportSpec, window: Window) -> Iterator[tuple[Any, datetime | None]]:
    """(record, the time that places it in a window), newest first, one page in memory at a time."""
    last = one_second_before(window.end)
    if spec.resource == "messages":
        for record in client.messages.stream(
            date_sent_after=window.start, date_sent_before=last, page_size=spec.page_size
        ):
            yield record, parse_api_date(record.date_sent)
    elif spec.resource == "calls":
        for record in client.calls.stream(
            start_time_after=window.start, start_time_before=last, page_size=spec.page_size
        ):
            yield record, parse_api_date(record.start_time)
    else:
        for record in client.recordings.stream(
            date_created_after=window.start, date_created_before=last, page_size=spec.page_size
        ):
            yield record, parse_api_date(record.date_created)


def _clear_leftovers(directory: Any, name: str) -> None:
    """Temporary objects a killed try left for this file: nothing reads them, the retry removes them."""
    try:
        entries = list(directory.iterdir())
    except (FileNotFoundError, NotADirectoryError):
        return
    for entry in entries:
        if entry.name.startswith(f".{name}") and TEMP_MARK in entry.name:
            entry.unlink()


def _forget_listings(path: Any) -> None:
    """An object store's cached directory listings (s3fs keeps them) may predate the temporary object.

    Airflow 3.3's ObjectStoragePath operates through the fsspec instance of the path it wraps, which
    is not always the one its ``fs`` names (without a conn_id): forget both."""
    for holder in (path, getattr(path, "__wrapped__", None)):
        fs = getattr(holder, "fs", None)
        if fs is not None and hasattr(fs, "invalidate_cache"):
            fs.invalidate_cache()


def _replace_from_temp(final: Any, write: Any) -> None:
    """``write(stream)`` into a temporary object beside ``final``, then move it to ``final``."""
    temp = final.parent / f".{final.name}{TEMP_MARK}{secrets.token_hex(4)}"
    try:
        with temp.open("wb") as stream:
            write(stream)
        _forget_listings(temp)
        temp.replace(final)
    except BaseException:
        with contextlib.suppress(OSError):
            temp.unlink()
        raise


def _download_audio(client: Any, record: Any, spec: ExportSpec, target: Any) -> None:
    """The recording's media through the SDK's own HTTP session and credentials, streamed to ``target``."""
    base = client.api.base_url.rstrip("/")
    url = f"{base}{record.uri.removesuffix('.json')}.{spec.audio_format}"
    session = client.http_client.session
    if session is None:
        import requests

        session = requests.Session()
    with session.get(url, auth=client.auth, stream=True, timeout=60) as response:
        response.raise_for_status()

        def copy(stream: Any) -> None:
            for chunk in response.iter_content(chunk_size=1 << 16):
                stream.write(chunk)

        _replace_from_temp(target, copy)


def export_window(client: Any, spec: ExportSpec, window: Window, base: Any) -> WindowResult:
    """Write ``window``'s rows (and, for recordings, its audio files) under ``base``; returns the file and count."""
    directory = base / window.partition
    directory.mkdir(parents=True, exist_ok=True)
    final = directory / f"{window.name}{spec.suffix}"
    _clear_leftovers(directory, final.name)
    schema = spec.schema
    exported_at = datetime.now(timezone.utc).replace(microsecond=0)
    audio_dir = directory / "audio"
    count = 0

    def write(stream: Any) -> None:
        nonlocal count
        audio_ready = False
        writer = open_writer(spec.format, stream, schema)
        batch: list[dict[str, Any]] = []
        for record, placed in _records(client, spec, window):
            if not window.holds(placed):
                continue  # Twilio's bounds are inclusive and to the second: [start, end) is ours
            extra = None
            if spec.resource == "recordings":
                audio = audio_dir / f"{record.sid}.{spec.audio_format}"
                if not audio_ready:
                    audio_dir.mkdir(parents=True, exist_ok=True)
                    audio_ready = True
                _download_audio(client, record, spec, audio)
                extra = {"audio_path": f"{window.partition}/audio/{audio.name}"}
            batch.append(to_row(schema, record, exported_at, extra))
            if len(batch) == spec.page_size:
                writer.write(batch)
                count += len(batch)
                batch = []
        writer.write(batch)
        count += len(batch)
        writer.close()

    _replace_from_temp(final, write)
    return WindowResult(window, str(final), count)
