"""The README's minimal DAG is real code: it must build on every supported Airflow."""

from __future__ import annotations

from tests.support.readme import minimal_dag_source


def test_readme_minimal_dag_builds() -> None:
    namespace: dict[str, object] = {}
    exec(compile(minimal_dag_source(), "README.md", "exec"), namespace)
    ask, wait = namespace["ask"], namespace["wait"]
    assert ask.task_id == "ask" and wait.task_id == "wait"  # type: ignore[attr-defined]
    assert wait.upstream_task_ids == {"ask"}  # type: ignore[attr-defined]
    assert wait.deferrable is True  # type: ignore[attr-defined]
