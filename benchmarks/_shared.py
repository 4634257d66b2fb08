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


def print_phases(stats: Any, phases: Any, per: float, unit: str, *, top: tuple[int, int] = (25, 50)) -> None:
    """CPU by phase (``(label, file suffix, function)``: its cumulative time), scaled by ``per``, then the
    top functions by own and by cumulative time. ``stats`` is a ``pstats.Stats`` of every profiled thread."""
    import io

    raw = stats.stats
    total = sum(tt for (_cc, _nc, tt, _ct, _callers) in raw.values())
    print(f"  profiled total {total * per:.3f} ms/{unit}")
    for label, suffix, name in phases:
        cumulative = sum(
            ct for (file, _line, func), (_cc, _nc, _tt, ct, _callers) in raw.items()
            if func == name and file.endswith(suffix)
        )  # fmt: skip
        print(f"  {label:36s} {cumulative * per:7.3f} ms/{unit}  {cumulative / total:5.1%}")
    out = io.StringIO()
    stats.stream = out
    stats.sort_stats("tottime").print_stats(top[0])
    stats.sort_stats("cumulative").print_stats(top[1])
    print(out.getvalue())
