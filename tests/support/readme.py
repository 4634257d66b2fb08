"""The README's examples as code, so tests can build and run exactly what a reader copies."""

from __future__ import annotations

import re
from pathlib import Path

README = Path(__file__).resolve().parents[2] / "README.md"


def minimal_dag_source() -> str:
    section = README.read_text().split("## A minimal DAG", 1)[1]
    match = re.search(r"```python\n(.*?)```", section, re.DOTALL)
    assert match, "the README's minimal DAG section has no python block"
    return match.group(1)
