"""What the benchmark scripts share: the ``BENCH_JSON`` row shape, percentiles, waiting for a server."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any


def percentile(values: list[float], q: float) -> float:
    """The ``q`` quantile (0..1) of ``values``, nearest rank."""
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


def row(
    benchmark: str, metric: str, value: float, unit: str, baseline: float | None, target: str, ok: bool | None
) -> dict[str, Any]:
    """One metric; ``ratio`` is value / baseline when a same-run baseline exists."""
    return {
        "benchmark": benchmark,
        "metric": metric,
        "value": round(value, 4),
        "unit": unit,
        "baseline": None if baseline is None else round(baseline, 4),
        "ratio": None if not baseline else round(value / baseline, 3),
        "target": target,
        "ok": ok,
    }


def wait_until(probe: Callable[[], bool], what: str, timeout: float = 240.0) -> None:
    """Poll ``probe`` every half second; RuntimeError naming ``what`` after ``timeout`` seconds."""
    deadline = time.monotonic() + timeout
    while not probe():
        if time.monotonic() > deadline:
            raise RuntimeError(f"no {what} within {timeout:.0f} s")
        time.sleep(0.5)
