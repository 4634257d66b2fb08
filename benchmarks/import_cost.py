"""What each public module adds to DAG parsing, measured against the Slack operator as a yardstick.

A DAG file is parsed in Airflow's DAG-file processor, which has already imported ``airflow`` and the
processor module (``airflow.dag_processing.processor``, which brings in serialization and with it Airflow's
own ``BaseTrigger``). So each sample is a fresh interpreter that imports those first and then the module
under test: the figure is what the module adds to parsing, and that is what the target judges. The same
figures over a bare ``import airflow`` are reported beside them, unjudged.

Installed packages run from bytecode that pip compiled at install time; the provider is compiled the same
way before measuring, so neither side pays for compiling its sources (``PYTHONDONTWRITEBYTECODE`` would
otherwise make every sample compile ours and none of Slack's). Samples of all modules are interleaved to
spread machine noise evenly, and the median is reported.

Usage: ``python benchmarks/import_cost.py [--repeats N]``. The last line is ``BENCH_JSON [...]``.
"""

from __future__ import annotations

import argparse
import compileall
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
DAG_PARSE_CONTEXT = "airflow.dag_processing.processor"
"""Loaded in every process that parses DAG files, before any DAG file is read."""
PACKAGE_DIR = Path(__file__).resolve().parent.parent / "airflow_provider_twilio"
TARGET_RATIO = 0.05
"""Every public module adds under this fraction of the Slack operator's import time (DAG parsing stays cheap)."""

# Runs in the fresh interpreter: time `import airflow`, load the context, then the module, and report what changed.
PROBE = """
import importlib, json, sys, time
heavy = {heavy!r}
def loaded():
    return sorted(h for h in heavy if h in sys.modules)
t0 = time.perf_counter()
import airflow
if sys.argv[2]:
    importlib.import_module(sys.argv[2])
t1 = time.perf_counter()
before_modules = len(sys.modules)
before_heavy = loaded()
importlib.import_module(sys.argv[1])
t2 = time.perf_counter()
print("PROBE " + json.dumps({{
    "context_s": t1 - t0,
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
    context_s: list[float] = field(default_factory=list)
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


def probe(module: str, context: str, env: dict[str, str]) -> dict[str, Any]:
    proc = subprocess.run(
        [sys.executable, "-c", PROBE.format(heavy=HEAVY), module, context],
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    for line in proc.stdout.splitlines():
        if line.startswith("PROBE "):
            return json.loads(line.removeprefix("PROBE "))
    raise RuntimeError(f"importing {module} failed (exit {proc.returncode}):\n{proc.stderr[-2000:]}")


def measure(modules: list[str], context: str, repeats: int, env: dict[str, str]) -> dict[str, Samples]:
    samples = {m: Samples(m) for m in modules}
    for _ in range(repeats):
        for module in modules:
            result = probe(module, context, env)
            sample = samples[module]
            sample.extra_s.append(result["extra_s"])
            sample.extra_modules.append(result["extra_modules"])
            sample.context_s.append(result["context_s"])
            sample.heavy_new.update(result["heavy_new"])
    return samples


def compile_bytecode() -> None:
    """Compile the provider as ``pip install`` does, so imports read bytecode like Slack's do."""
    if not compileall.compile_dir(str(PACKAGE_DIR), quiet=1):
        raise RuntimeError(f"compiling {PACKAGE_DIR} failed")


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


def build_rows(parsing: dict[str, Samples], bare: dict[str, Samples]) -> list[dict[str, Any]]:
    slack, bare_slack = parsing[YARDSTICK], bare[YARDSTICK]
    rows: list[dict[str, Any]] = []
    for module in PUBLIC_MODULES:
        s, b = parsing[module], bare[module]
        rows.append(
            row(
                f"{s.short_name} adds to DAG parsing",
                s.ms,
                "ms",
                slack.ms,
                f"< {TARGET_RATIO} x slack",
                s.ms < TARGET_RATIO * slack.ms,
            )
        )
        # Module count explains the time; it is reported, not judged.
        rows.append(row(f"{s.short_name} extra modules", s.modules, "modules", slack.modules, "-", None))
        # Over a bare `import airflow`, trigger modules also pay for Airflow's BaseTrigger: shown, not judged.
        rows.append(row(f"{s.short_name} over bare import airflow", b.ms, "ms", bare_slack.ms, "-", None))
        rows.append(
            row(
                f"{s.short_name} heavy modules loaded",
                len(s.heavy_new | b.heavy_new),
                "modules",
                len(slack.heavy_new),
                "0",
                not (s.heavy_new | b.heavy_new),
            )
        )
    return rows


def report(title: str, samples: dict[str, Samples], repeats: int) -> None:
    slack = samples[YARDSTICK]
    context_ms = statistics.median(t for s in samples.values() for t in s.context_s) * 1000
    print(f"{title} (median of {repeats} fresh interpreters each; loading that took {context_ms:.0f} ms)")
    print(f"  {'module':<30} {'extra ms':>9} {'modules':>8} {'vs slack':>9}  heavy modules loaded")
    for module in (*PUBLIC_MODULES, YARDSTICK):
        s = samples[module]
        ratio = f"{s.ms / slack.ms:.3f}" if slack.ms else "-"
        heavy = ", ".join(sorted(s.heavy_new)) or "none"
        print(f"  {s.short_name:<30} {s.ms:>9.1f} {s.modules:>8.0f} {ratio:>9}  {heavy}")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=5, help="fresh interpreters per module (default 5)")
    args = parser.parse_args(argv)

    compile_bytecode()
    home = tempfile.mkdtemp(prefix="twilio-import-cost-")
    env = {**os.environ, "AIRFLOW_HOME": home, "AIRFLOW__CORE__LOAD_EXAMPLES": "False"}
    env.pop("AIRFLOW_CONN_TWILIO_DEFAULT", None)
    modules = [*PUBLIC_MODULES, YARDSTICK]
    bare_repeats = args.repeats // 2 + 1
    try:
        parsing = measure(modules, DAG_PARSE_CONTEXT, args.repeats, env)
        bare = measure(modules, "", bare_repeats, env)
    finally:
        shutil.rmtree(home, ignore_errors=True)
    report(f"What each module adds to DAG parsing (after {DAG_PARSE_CONTEXT})", parsing, args.repeats)
    report("The same over a bare `import airflow` (reported, not judged)", bare, bare_repeats)
    heavy = ", ".join(HEAVY)
    print(f"  target: no heavy module ({heavy}) and under {TARGET_RATIO} x the Slack operator's cost to DAG parsing")
    print("BENCH_JSON " + json.dumps(build_rows(parsing, bare)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
