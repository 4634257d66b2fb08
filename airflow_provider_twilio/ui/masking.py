"""Phone numbers as a reader may see them: ``+1555•••0001`` unless the reader may see them in full."""

from __future__ import annotations

MASK = "•••"
KEEP_HEAD = 5
"""``+`` and the first four digits (country and area code in North America)."""
KEEP_TAIL = 4


def mask_number(value: str | None) -> str | None:
    """Keep the channel prefix, the first digits and the last four; anything short is hidden whole."""
    if not value:
        return value
    channel, sep, number = value.rpartition(":")
    if len(number) <= KEEP_HEAD + KEEP_TAIL:
        return f"{channel}{sep}{MASK}"
    return f"{channel}{sep}{number[:KEEP_HEAD]}{MASK}{number[-KEEP_TAIL:]}"


def shown(value: str | None, *, full: bool) -> str | None:
    return value if full else mask_number(value)
