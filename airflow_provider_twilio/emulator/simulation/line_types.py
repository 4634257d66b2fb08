"""Line types Twilio Lookup v2 reports, and the emulator's magic numbers for each (see docs/emulator.md).

``+15005551TNN``: the digit ``T`` picks the line type, ``NN`` is any two digits, so a test can give a
batch up to 100 distinct numbers of one type. Every other possible number is ``mobile``.
"""

from __future__ import annotations

import re

LINE_TYPES_BY_DIGIT = (
    "mobile",
    "landline",
    "fixedVoip",
    "nonFixedVoip",
    "tollFree",
    "personal",
    "premium",
    "sharedCost",
    "voicemail",
    "unknown",
)

_MAGIC = re.compile(r"^\+15005551(\d)\d\d$")

CARRIERS = {"mobile": "Emulated Wireless", "landline": "Emulated Telephone", "nonFixedVoip": "Emulated VoIP"}


def line_type_of(number: str) -> str:
    match = _MAGIC.match(number)
    return LINE_TYPES_BY_DIGIT[int(match.group(1))] if match else "mobile"


def magic_number(line_type: str, index: int = 0) -> str:
    """The ``index``-th (0-99) magic number of ``line_type``, for tests and demos."""
    if not 0 <= index < 100:
        raise ValueError(f"index: {index} is not 0 to 99")
    return f"+15005551{LINE_TYPES_BY_DIGIT.index(line_type)}{index:02d}"
