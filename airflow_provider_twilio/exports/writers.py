"""Rows to a file one batch at a time: a Parquet row group or JSON lines per page, nothing kept after."""

from __future__ import annotations

import json
from datetime import datetime
from decimal import Decimal
from typing import IO, Any, Protocol

from airflow_provider_twilio.exports.schema import Schema

FORMATS = ("parquet", "jsonl")


class RowWriter(Protocol):
    def write(self, rows: list[dict[str, Any]]) -> None: ...

    def close(self) -> None: ...


class ParquetRows:
    """One row group per ``write``; pyarrow is imported when the first file is opened."""

    def __init__(self, stream: IO[bytes], schema: Schema) -> None:
        import pyarrow.parquet as pq

        self._schema = schema.arrow()
        self._writer = pq.ParquetWriter(stream, self._schema, compression="zstd")

    def write(self, rows: list[dict[str, Any]]) -> None:
        import pyarrow as pa

        if rows:
            self._writer.write_table(pa.Table.from_pylist(rows, schema=self._schema))

    def close(self) -> None:
        self._writer.close()


def _json_value(value: Any) -> Any:
    if isinstance(value, datetime):
        return value.strftime("%Y-%m-%dT%H:%M:%SZ")
    if isinstance(value, Decimal):
        return str(value)
    return value


class JsonLines:
    """One JSON object per line; timestamps as ``YYYY-MM-DDTHH:MM:SSZ``, prices as decimal strings."""

    def __init__(self, stream: IO[bytes], schema: Schema) -> None:
        self._stream = stream
        self._names = schema.names

    def write(self, rows: list[dict[str, Any]]) -> None:
        lines = "".join(
            json.dumps({name: _json_value(row[name]) for name in self._names}, ensure_ascii=False) + "\n"
            for row in rows
        )
        self._stream.write(lines.encode())

    def close(self) -> None:
        self._stream.flush()


def open_writer(format: str, stream: IO[bytes], schema: Schema) -> RowWriter:
    if format == "parquet":
        return ParquetRows(stream, schema)
    return JsonLines(stream, schema)
