"""Message and call SIDs given as one SID, a list, the operators' result dicts, or a rendered list of them."""

from __future__ import annotations

import re
from typing import Any

from airflow_provider_twilio.checks import flatten, shown
from airflow_provider_twilio.exceptions import TwilioInputError, TwilioMissingInputError

# Twilio's own patterns (the 2010-04-01 OpenAPI spec): a two-letter type and 32 hex digits of either case.
# The one definition for every check: use them with ``fullmatch``.
MESSAGE_SID = re.compile(r"(?:SM|MM)[0-9a-fA-F]{32}")
CALL_SID = re.compile(r"CA[0-9a-fA-F]{32}")
ACCOUNT_SID = re.compile(r"AC[0-9a-fA-F]{32}")


def parse_message_sids(value: Any, parameter: str = "message_sids") -> list[str]:
    """SIDs from one SID, a list, or the send operator's results (their ``sid``); checked, unique."""
    return _parse_sids(value, parameter, MESSAGE_SID, "message SID", "'SM' or 'MM'")


def parse_call_sids(value: Any, parameter: str = "call_sids") -> list[str]:
    """Call SIDs from one SID, a list, or the call operator's results (calls never placed have none)."""
    return _parse_sids(value, parameter, CALL_SID, "call SID", "'CA'")


def _parse_sids(value: Any, parameter: str, pattern: re.Pattern[str], what: str, prefix: str) -> list[str]:
    items = flatten(value, key="sid", param=parameter, what=f"{what}s")
    sids = list(dict.fromkeys(item.strip() for item in items))
    if not sids:
        raise TwilioMissingInputError(f"{parameter}: no {what} given (got {shown(value)})")
    for sid in sids:
        if not pattern.fullmatch(sid):
            raise TwilioInputError(f"{parameter}: {sid!r} is not a {what}; expected {prefix} followed by 32 hex digits")
    return sids
