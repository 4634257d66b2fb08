"""One line per batch that says what became of every recipient: sent, opted out, skipped (by reason), failed.

Counted from the results alone (status and error type), so every policy that keeps someone from being
texted is reported the same way, by adding its results to the batch's.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from typing import Any

from airflow_provider_twilio.sending.results import is_failure, is_opted_out, is_skipped


def outcome_counts(results: Iterable[dict[str, Any]]) -> dict[str, int]:
    """Recipients per outcome: ``sent``, ``opted out``, ``skipped <REASON>`` for each reason, ``failed``."""
    counts: Counter[str] = Counter()
    for result in results:
        if is_opted_out(result):
            counts["opted out"] += 1
        elif is_skipped(result):
            counts[f"skipped {result['error_type']}"] += 1
        elif is_failure(result):
            counts["failed"] += 1
        else:
            counts["sent"] += 1
    order = {"sent": 0, "opted out": 1, "failed": 3}
    return dict(sorted(counts.items(), key=lambda item: (order.get(item[0], 2), item[0])))


def batch_summary(results: list[dict[str, Any]]) -> str:
    """E.g. "Outcome for 1000 recipient(s): 950 sent, 37 opted out, 13 skipped QUIET_HOURS"."""
    counts = outcome_counts(results)
    parts = ", ".join(f"{count} {outcome}" for outcome, count in counts.items()) or "nothing to send"
    return f"Outcome for {len(results)} recipient(s): {parts}"
