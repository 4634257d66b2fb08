"""The exported columns, one stable list per resource, and how an SDK record becomes one row.

Columns are only ever added at the end, never renamed or retyped (docs/exports.md is the table).
Dates are UTC timestamps (second resolution, as Twilio keeps them); prices are decimals as Twilio
gives them (negative: a cost), null until Twilio has priced the record.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal, InvalidOperation
from typing import Any

from airflow_provider_twilio.exceptions import error_type_for
from airflow_provider_twilio.timing import parse_api_date

RESOURCES = ("messages", "calls", "recordings")

# (name, type) with type one of: string, int, decimal, timestamp, bool.
_MESSAGE_COLUMNS = (
    ("sid", "string"),
    ("account_sid", "string"),
    ("messaging_service_sid", "string"),
    ("direction", "string"),
    ("from", "string"),
    ("to", "string"),
    ("status", "string"),
    ("error_code", "int"),
    ("error_name", "string"),
    ("num_segments", "int"),
    ("num_media", "int"),
    ("price", "decimal"),
    ("price_unit", "string"),
    ("date_created", "timestamp"),
    ("date_sent", "timestamp"),
    ("date_updated", "timestamp"),
)
_CALL_COLUMNS = (
    ("sid", "string"),
    ("account_sid", "string"),
    ("parent_call_sid", "string"),
    ("direction", "string"),
    ("from", "string"),
    ("to", "string"),
    ("status", "string"),
    ("answered_by", "string"),
    ("duration", "int"),
    ("price", "decimal"),
    ("price_unit", "string"),
    ("date_created", "timestamp"),
    ("start_time", "timestamp"),
    ("end_time", "timestamp"),
    ("date_updated", "timestamp"),
)
_RECORDING_COLUMNS = (
    ("sid", "string"),
    ("account_sid", "string"),
    ("call_sid", "string"),
    ("conference_sid", "string"),
    ("status", "string"),
    ("source", "string"),
    ("channels", "int"),
    ("duration", "int"),
    ("error_code", "int"),
    ("price", "decimal"),
    ("price_unit", "string"),
    ("date_created", "timestamp"),
    ("start_time", "timestamp"),
    ("date_updated", "timestamp"),
    ("audio_path", "string"),
)
_EXPORTED_AT = (("exported_at", "timestamp"),)
BODY_COLUMN = ("body", "string")


@dataclass(frozen=True)
class Schema:
    """The columns of one export: the resource's, ``body`` when asked for (messages only), ``exported_at``."""

    resource: str
    columns: tuple[tuple[str, str], ...]

    @classmethod
    def of(cls, resource: str, include_body: bool) -> Schema:
        base = {"messages": _MESSAGE_COLUMNS, "calls": _CALL_COLUMNS, "recordings": _RECORDING_COLUMNS}[resource]
        body = (BODY_COLUMN,) if include_body and resource == "messages" else ()
        return cls(resource, base + body + _EXPORTED_AT)

    @property
    def names(self) -> list[str]:
        return [name for name, _ in self.columns]

    def arrow(self) -> Any:
        """The pyarrow schema (pyarrow is imported only here, when a Parquet file is written)."""
        import pyarrow as pa

        types = {
            "string": pa.string(),
            "int": pa.int64(),
            "decimal": pa.decimal128(12, 5),
            "timestamp": pa.timestamp("s", tz="UTC"),
            "bool": pa.bool_(),
        }
        return pa.schema([pa.field(name, types[kind]) for name, kind in self.columns])


def _int(value: Any) -> int | None:
    if value is None or value == "":
        return None
    try:
        return int(value)
    except (TypeError, ValueError):
        return None


def _decimal(value: Any) -> Decimal | None:
    if value is None or value == "":
        return None
    try:
        return Decimal(str(value)).quantize(Decimal("0.00001"))
    except InvalidOperation:
        return None


def _time(value: Any) -> datetime | None:
    return parse_api_date(value)


_CONVERT: dict[str, Callable[[Any], Any]] = {
    "string": lambda v: None if v is None else str(v),
    "int": _int,
    "decimal": _decimal,
    "timestamp": _time,
    "bool": lambda v: None if v is None else bool(v),
}


def _field(record: Any, name: str) -> Any:
    attribute = {"from": "from_"}.get(name, name)
    return getattr(record, attribute, None)


def to_row(schema: Schema, record: Any, exported_at: datetime, extra: dict[str, Any] | None = None) -> dict[str, Any]:
    """One SDK record (``MessageInstance``, ``CallInstance``, ``RecordingInstance``) as a row of ``schema``."""
    row: dict[str, Any] = {}
    given = extra or {}
    for name, kind in schema.columns:
        if name == "exported_at":
            row[name] = exported_at
        elif name == "error_name":
            code = _int(_field(record, "error_code"))
            row[name] = None if code is None else error_type_for(code).value
        elif name in given:
            row[name] = given[name]
        else:
            row[name] = _CONVERT[kind](_field(record, name))
    return row
