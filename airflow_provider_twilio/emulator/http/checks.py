"""Checks on values the Python API and the control endpoints accept, each naming the field and its valid range.

They raise ``ValueError``; the control endpoints answer it with ``400``.
"""

from __future__ import annotations

import math
from typing import Any

MAX_LATENCY = 600.0
"""Seconds: longer than any client timeout worth testing, short enough that a request still ends."""
MAX_DELAY = 86400.0
"""Seconds for ``status_delay`` and auto-reply delays: one day."""


def seconds(name: str, value: Any, maximum: float) -> float:
    """A finite number of seconds from 0 to ``maximum``."""
    try:
        number = float(value)
    except (TypeError, ValueError):
        number = math.nan
    if not 0.0 <= number <= maximum:  # also refuses NaN
        raise ValueError(f"{name} must be a number of seconds from 0 to {maximum:g}, got {value!r}")
    return number


def text(name: str, value: str) -> str:
    """Text that can be stored and served as UTF-8 (a lone surrogate cannot)."""
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        raise ValueError(f"{name} must be valid Unicode text; it holds a lone surrogate") from None
    return value
