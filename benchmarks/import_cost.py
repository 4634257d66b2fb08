"""What each public module adds to DAG parsing, measured against the Slack operator as a yardstick.

Every sample is a fresh interpreter that imports ``airflow`` first and then the module under test, so
the figures are the module's own cost on top of Airflow. Samples of all modules are interleaved to
spread machine noise evenly, and the median is reported.

Usage: ``python benchmarks/import_cost.py [--repeats N]``. The last line is ``BENCH_JSON [...]``.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))  # the module list is shared with the tests

from tests.support.public_modules import HEAVY, PUBLIC_MODULES

YARDSTICK = "airflow.providers.slack.operators.slack"
TARGET_RATIO = 0.05
"""Every public module adds under this fraction of the Slack operator's import time (DAG parsing stays cheap)."""

# Runs in the fresh interpreter: time `import airflow`, then the module, and report what changed.
PROBE = """
import json, sys, time
heavy = {heavy!r}
def loaded():
    return sorted(h for h in heavy if h in sys.modules)
t0 = time.perf_counter()
import airflow
t1 = time.perf_counter()
before_modules = len(sys.modules)
before_heavy = loaded()
import importlib
importlib.import_module(sys.argv[1])
t2 = time.perf_counter()
print("PROBE " + json.dumps({{
    "airflow_s": t1 - t0,
    "extra_s": t2 - t1,
    "extra_modules": len(sys.modules) - before_modules,
    "heavy_new": [h for h in loaded() if h not in before_heavy],
}}))
"""


@dataclass
class Samples:
    module: str
    extra_s: list[float] = field(default_factory=list)
    extra_modules: list[int] = field(default_factory=list)
    airflow_s: list[float] = field(default_factory=list)
    heavy_new: set[str] = field(default_factory=set)

    @property
    def short_name(self) -> str:
        return self.module.removeprefix("airflow_provider_twilio.").removeprefix("airflow.providers.")

    @property
    def ms(self) -> float:
        return statistics.median(self.extra_s) * 1000

    @property
    def modules(self) -> float:
        return statistics.median(self.extra_modules)


def probe(module: str, env: dict[str, str]) -> dict[str, Any]:
    proc = subprocess.run(
        [sys.executable, "-c", PROBE.format(heavy=HEAVY), module],
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    for line in proc.stdout.splitlines():
        if line.startswith("PROBE "):
            return json.loads(line.removeprefix("PROBE "))
    raise RuntimeError(f"importing {module} failed (exit {proc.returncode}):\n{proc.stderr[-2000:]}")


def measure(modules: list[str], repeats: int, env: dict[str, str]) -> dict[str, Samples]:
    samples = {m: Samples(m) for m in modules}
    for _ in range(repeats):
        for module in modules:
            result = probe(module, env)
            sample = samples[module]
            sample.extra_s.append(result["extra_s"])
            sample.extra_modules.append(result["extra_modules"])
            sample.airflow_s.append(result["airflow_s"])
            sample.heavy_new.update(result["heavy_new"])
    return samples


def row(metric: str, value: float, unit: str, baseline: float | None, target: str, ok: bool | None) -> dict[str, Any]:
    ratio = round(value / baseline, 4) if baseline else None
    return {
        "benchmark": "import_cost",
        "metric": metric,
        "value": round(value, 2),
        "unit": unit,
        "baseline": None if baseline is None else round(baseline, 2),
        "ratio": ratio,
        "target": target,
        "ok": ok,
    }


def build_rows(samples: dict[str, Samples]) -> list[dict[str, Any]]:
    slack = samples[YARDSTICK]
    rows: list[dict[str, Any]] = []
    for module in PUBLIC_MODULES:
        s = samples[module]
        rows.append(
            row(
                f"{s.short_name} extra import time",
                s.ms,
                "ms",
                slack.ms,
                f"< {TARGET_RATIO} x slack",
                s.ms < TARGET_RATIO * slack.ms,
            )
        )
        # Module count explains the time; it is reported, not judged.
        rows.append(row(f"{s.short_name} extra modules", s.modules, "modules", slack.modules, "-", None))
        rows.append(
            row(
                f"{s.short_name} heavy modules loaded",
                len(s.heavy_new),
                "modules",
                len(slack.heavy_new),
                "0",
                not s.heavy_new,
            )
        )
    return rows


def report(samples: dict[str, Samples], repeats: int) -> None:
    slack = samples[YARDSTICK]
    airflow_ms = statistics.median(t for s in samples.values() for t in s.airflow_s) * 1000
    print(f"Import cost over `import airflow` (median of {repeats} fresh interpreters each)")
    print(f"  import airflow itself: {airflow_ms:.0f} ms")
    print(f"  {'module':<30} {'extra ms':>9} {'modules':>8} {'vs slack':>9}  heavy modules loaded")
    for module in (*PUBLIC_MODULES, YARDSTICK):
        s = samples[module]
        ratio = f"{s.ms / slack.ms:.3f}" if slack.ms else "-"
        heavy = ", ".join(sorted(s.heavy_new)) or "none"
        print(f"  {s.short_name:<30} {s.ms:>9.1f} {s.modules:>8.0f} {ratio:>9}  {heavy}")
    print(f"  target: no heavy module ({', '.join(HEAVY)}) and under {TARGET_RATIO} x the Slack operator's cost")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=5, help="fresh interpreters per module (default 5)")
    args = parser.parse_args(argv)

    home = tempfile.mkdtemp(prefix="twilio-import-cost-")
    env = {**os.environ, "AIRFLOW_HOME": home, "AIRFLOW__CORE__LOAD_EXAMPLES": "False"}
    env.pop("AIRFLOW_CONN_TWILIO_DEFAULT", None)
    try:
        samples = measure([*PUBLIC_MODULES, YARDSTICK], args.repeats, env)
    finally:
        shutil.rmtree(home, ignore_errors=True)
    report(samples, args.repeats)
    print("BENCH_JSON " + json.dumps(build_rows(samples)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
