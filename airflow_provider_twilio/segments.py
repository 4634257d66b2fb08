"""Counts SMS segments the way carriers and Twilio do (GSM-7 with its extension table, else UCS-2).

Shared by the sender (validation and the pre-send log) and the emulator (``num_segments``).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

# GSM 03.38 basic character set (escape excluded) and the extension table, whose characters
# take an escape plus one septet each.
GSM7_BASIC = frozenset(
    "@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !\"#¤%&'()*+,-./0123456789:;<=>?"
    "¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà"
)
GSM7_EXTENSION = frozenset("^{}\\[~]|€\f")

GSM7_SINGLE, GSM7_MULTI = 160, 153
UCS2_SINGLE, UCS2_MULTI = 70, 67

Encoding = Literal["GSM-7", "UCS-2"]


@dataclass(frozen=True)
class SegmentCount:
    encoding: Encoding
    segments: int
    units: int
    """Septets for GSM-7, UTF-16 code units for UCS-2."""


def is_gsm7(text: str) -> bool:
    return all(char in GSM7_BASIC or char in GSM7_EXTENSION for char in text)


def count_segments(body: str) -> SegmentCount:
    """Segments needed for ``body``; an escape pair or a surrogate pair is never split across two."""
    if is_gsm7(body):
        widths = [2 if char in GSM7_EXTENSION else 1 for char in body]
        return SegmentCount("GSM-7", _pack(widths, GSM7_SINGLE, GSM7_MULTI), sum(widths))
    widths = [2 if ord(char) > 0xFFFF else 1 for char in body]
    return SegmentCount("UCS-2", _pack(widths, UCS2_SINGLE, UCS2_MULTI), sum(widths))


def _pack(widths: list[int], single_limit: int, multi_limit: int) -> int:
    total = sum(widths)
    if total <= single_limit:
        return 1
    segments, used = 1, 0
    for width in widths:
        if used + width > multi_limit:
            segments += 1
            used = 0
        used += width
    return segments
