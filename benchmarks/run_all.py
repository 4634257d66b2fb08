"""Run every benchmark in this folder and gather their results into one table (``make bench``).

Each benchmark is a script that prints a readable report and, as its last line, ``BENCH_JSON `` and a
JSON list of rows. The table goes to stdout and to ``benchmarks/RESULTS.md`` with the date and the
machine it ran on, because figures mean little without them.
"""

from __future__ import annotations

import datetime
import json
import os
import platform
import subprocess
import sys
from dataclasses import dataclass, field
from importlib import metadata
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
RESULTS = HERE / "RESULTS.md"
MARKER = "BENCH_JSON "
COLUMNS = ("benchmark", "metric", "value", "baseline", "ratio", "target", "ok")


@dataclass
class Outcome:
    script: str
    returncode: int
    rows: list[dict[str, Any]] = field(default_factory=list)
    problem: str | None = None


def discover() -> list[Path]:
    me = Path(__file__).resolve()
    return sorted(p for p in HERE.glob("*.py") if p.resolve() != me and not p.name.startswith("_"))


def run(script: Path) -> Outcome:
    """Run one benchmark, echoing its report as it goes, and pick out its result rows."""
    print(f"\n=== {script.name} ===", flush=True)
    proc = subprocess.Popen(
        [sys.executable, str(script)],
        cwd=HERE.parent,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    assert proc.stdout is not None
    payload: str | None = None
    for line in proc.stdout:
        if line.startswith(MARKER):
            payload = line[len(MARKER) :]
        else:
            print(line, end="", flush=True)
    outcome = Outcome(script.name, proc.wait())
    if outcome.returncode != 0:
        outcome.problem = f"exited with {outcome.returncode}"
    elif payload is None:
        outcome.problem = f"printed no {MARKER.strip()} line"
    else:
        try:
            outcome.rows = json.loads(payload)
        except json.JSONDecodeError as exc:
            outcome.problem = f"printed an unreadable {MARKER.strip()} line ({exc})"
    return outcome


def cpu_model() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()


def machine() -> dict[str, str]:
    try:
        airflow_version = metadata.version("apache-airflow")
    except metadata.PackageNotFoundError:
        airflow_version = "not installed"
    return {
        "date": datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%d %H:%M UTC"),
        "cpu": cpu_model(),
        "cores": str(os.cpu_count()),
        "python": platform.python_version(),
        "airflow": airflow_version,
        "os": f"{platform.system()} {platform.release()}",
    }


def number(value: float) -> str:
    """Readable at a glance: thousands separated, small values to four significant digits."""
    if isinstance(value, bool):
        return str(value)
    if abs(value) >= 1000:
        return f"{value:,.0f}"
    return f"{value:.4g}"


def cell(row: dict[str, Any], column: str) -> str:
    value = row.get(column)
    if value is None or value == "":
        return "-"
    if column == "ok":
        return "yes" if value else "NO"
    text = number(value) if isinstance(value, (int, float)) else str(value)
    if column in ("value", "baseline") and row.get("unit"):
        return f"{text} {row['unit']}"
    return text


def table(rows: list[dict[str, Any]]) -> list[list[str]]:
    return [[cell(row, column) for column in COLUMNS] for row in rows]


def plain(cells: list[list[str]]) -> str:
    widths = [max(len(c) for c in column) for column in zip(COLUMNS, *cells, strict=False)]
    lines = [COLUMNS, tuple("-" * w for w in widths), *cells]
    return "\n".join("  ".join(c.ljust(w) for c, w in zip(line, widths, strict=True)).rstrip() for line in lines)


def markdown(cells: list[list[str]], info: dict[str, str], outcomes: list[Outcome]) -> str:
    out = [
        "# Benchmark results",
        "",
        "Produced by `make bench` (`benchmarks/run_all.py`). Each ratio compares against a baseline measured",
        "in the same run.",
        "",
        f"- Date: {info['date']}",
        f"- Machine: {info['cpu']}, {info['cores']} cores, {info['os']}",
        f"- Python {info['python']}, Airflow {info['airflow']}",
        "",
        "| " + " | ".join(COLUMNS) + " |",
        "|" + "|".join("---" for _ in COLUMNS) + "|",
    ]
    out += ["| " + " | ".join(c.replace("|", "\\|") for c in line) + " |" for line in cells]
    failed = [o for o in outcomes if o.problem]
    if failed:
        out += ["", "Benchmarks that did not finish:", ""]
        out += [f"- `{o.script}`: {o.problem}" for o in failed]
    return "\n".join(out) + "\n"


def main() -> int:
    outcomes = [run(script) for script in discover()]
    rows = [row for outcome in outcomes for row in outcome.rows]
    info = machine()
    cells = table(rows)

    print("\n=== results ===")
    print(f"{info['date']} | {info['cpu']}, {info['cores']} cores | Python {info['python']}, Airflow {info['airflow']}")
    print(plain(cells))
    for outcome in outcomes:
        if outcome.problem:
            print(f"CRASHED: {outcome.script} {outcome.problem}")
    RESULTS.write_text(markdown(cells, info, outcomes))
    print(f"\nwritten to {RESULTS.relative_to(HERE.parent)}")
    return 1 if any(o.problem for o in outcomes) else 0


if __name__ == "__main__":
    sys.exit(main())
