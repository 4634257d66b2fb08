"""The README's performance table quotes benchmarks/RESULTS.md: the same rows, from the same run."""

from __future__ import annotations

import re
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[2]
HEADER = ["benchmark", "metric", "value", "baseline", "ratio", "target", "ok"]


def section(text: str, heading: str) -> str:
    start = text.index(f"\n## {heading}\n")
    end = text.find("\n## ", start + 1)
    return text[start : end if end != -1 else len(text)]


def table_rows(text: str) -> list[list[str]]:
    rows = [
        [cell.strip() for cell in line.strip().strip("|").split("|")]
        for line in text.splitlines()
        if line.startswith("|")
    ]
    return [row for row in rows if row != HEADER and not all(set(cell) <= {"-"} for cell in row)]


def test_every_row_of_the_readme_table_is_a_row_of_results_md_from_the_run_it_names() -> None:
    readme = section((REPO_ROOT / "README.md").read_text(), "Performance")
    results = (REPO_ROOT / "benchmarks" / "RESULTS.md").read_text()
    quoted = table_rows(readme)
    assert len(quoted) >= 10, "the README's performance table is missing"
    recorded = table_rows(results)
    assert [row for row in quoted if row not in recorded] == []
    run_date = re.search(r"^- Date: (.+)$", results, re.MULTILINE)
    assert run_date is not None and f"({run_date.group(1)}," in readme, "the README names another run"
