"""The README's minimal DAG is real code: it must build on every supported Airflow."""

from __future__ import annotations

import re
from pathlib import Path

README = Path(__file__).resolve().parents[2] / "README.md"


def minimal_dag_source() -> str:
    section = README.read_text().split("## A minimal DAG", 1)[1]
    match = re.search(r"```python\n(.*?)```", section, re.DOTALL)
    assert match, "the README's minimal DAG section has no python block"
    return match.group(1)


def test_readme_minimal_dag_builds() -> None:
    namespace: dict[str, object] = {}
    exec(compile(minimal_dag_source(), "README.md", "exec"), namespace)
    ask, wait = namespace["ask"], namespace["wait"]
    assert ask.task_id == "ask" and wait.task_id == "wait"  # type: ignore[attr-defined]
    assert wait.upstream_task_ids == {"ask"}  # type: ignore[attr-defined]
    assert wait.deferrable is True  # type: ignore[attr-defined]
