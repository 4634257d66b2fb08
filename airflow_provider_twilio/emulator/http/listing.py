"""What every list endpoint shares: PageSize, Page and PageToken, date filters, and the page envelope.

Pages are cursor-based like Twilio's: ``next_page_uri`` carries the filters and a ``PageToken`` naming
the last item served, so a page never repeats or skips items created between requests.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlencode

from airflow_provider_twilio.emulator.http.errors import bad_request
from airflow_provider_twilio.emulator.http.timefmt import parse_filter_date

DEFAULT_PAGE_SIZE = 50
MAX_PAGE_SIZE = 1000


@dataclass(frozen=True)
class DateFilter:
    """``DateSent``, ``DateSent<`` or ``DateSent>``: a day (date-only value) or an instant, inclusive."""

    op: str  # "=", "<", ">"
    at: float
    date_only: bool

    def matches(self, sent: float | None) -> bool:
        if sent is None:
            return False
        second = float(int(sent))
        if self.date_only:
            day_start, day_end = self.at, self.at + 86400
            if self.op == "=":
                return day_start <= second < day_end
            if self.op == "<":
                return second < day_end
            return second >= day_start
        if self.op == "=":
            return second == self.at
        if self.op == "<":
            return second <= self.at
        return second >= self.at


@dataclass(frozen=True)
class PageRequest:
    """``PageSize`` (capped at 1,000), ``Page`` (for the envelope only) and the cursor in ``PageToken``."""

    size: int
    number: int
    cursor: int | None
    token: str | None

    @classmethod
    def parse(cls, params: Mapping[str, str], token_prefix: str) -> PageRequest:
        token = params.get("PageToken") or None
        size, number = _page_size(params.get("PageSize")), _page_number(params.get("Page"))
        return cls(size, number, _cursor(token, token_prefix), token)


def _page_size(value: str | None) -> int:
    if value is None or value == "":
        return DEFAULT_PAGE_SIZE
    try:
        size = int(value)
    except ValueError:
        raise bad_request(20001, f"PageSize {value!r} is not a number from 1 to {MAX_PAGE_SIZE}") from None
    if size < 1:
        raise bad_request(20001, f"PageSize {value!r} must be a number from 1 to {MAX_PAGE_SIZE}")
    return min(size, MAX_PAGE_SIZE)


def _page_number(value: str | None) -> int:
    try:
        return max(int(value or 0), 0)
    except ValueError:
        raise bad_request(20001, f"Page {value!r} is not a number") from None


def _cursor(token: str | None, prefix: str) -> int | None:
    if token is None:
        return None
    digits = token[len(prefix) :]
    if not token.startswith(prefix) or not digits or len(digits) > 32:
        raise bad_request(20001, f"PageToken {token!r} is not valid")
    try:
        return int(digits, 16)
    except ValueError:
        raise bad_request(20001, f"PageToken {token!r} is not valid") from None


def date_filters(params: Mapping[str, str], name: str) -> tuple[DateFilter, ...]:
    """``name``, ``name<`` and ``name>`` (e.g. ``DateSent``), each a day or an instant; see timefmt."""
    filters = []
    for key, op in ((name, "="), (name + "<", "<"), (name + ">", ">")):
        value = params.get(key)
        if not value:
            continue
        parsed = parse_filter_date(value)
        if parsed is None:
            raise bad_request(
                20001,
                f"{key} {value!r} is not a date: use YYYY-MM-DD (GMT), a timestamp such as 2026-11-22T14:20:00Z, "
                "or an RFC 2822 date",
            )
        filters.append(DateFilter(op=op, at=parsed[0], date_only=parsed[1]))
    return tuple(filters)


def envelope(
    path: str,
    params: Mapping[str, str],
    filter_keys: Sequence[str],
    page: PageRequest,
    key: str,
    items: list[dict[str, Any]],
    next_cursor: int | None,
    token_prefix: str,
) -> dict[str, Any]:
    """The list resource around one page; ``next_cursor`` is None on the last page."""
    filters = [(name, params[name]) for name in filter_keys if params.get(name)]

    def uri(number: int, token: str | None) -> str:
        query = [*filters, ("PageSize", str(page.size)), ("Page", str(number))]
        if token is not None:
            query.append(("PageToken", token))
        return f"{path}?{urlencode(query)}"

    start = page.number * page.size
    return {
        "end": start + max(len(items) - 1, 0),
        "first_page_uri": uri(0, None),
        "next_page_uri": None if next_cursor is None else uri(page.number + 1, f"{token_prefix}{next_cursor:032x}"),
        "page": page.number,
        "page_size": page.size,
        "previous_page_uri": None,
        "start": start,
        "uri": uri(page.number, page.token),
        key: items,
    }
