"""The test DAGs that run under ``dag.test()`` (tests/integration/dags)."""

from __future__ import annotations

from pathlib import Path

DAGS = Path(__file__).resolve().parents[1] / "integration" / "dags"
