"""Test modules share code through tests/support, never by importing one another or a conftest."""

from __future__ import annotations

import ast
from pathlib import Path

TESTS = Path(__file__).resolve().parents[1]
REPO_ROOT = TESTS.parent


def is_test_module(module: str) -> bool:
    return module.split(".")[-1].startswith("test_") or module.split(".")[-1] == "conftest"


def imported_modules(path: Path) -> set[str]:
    """Every module ``path`` imports, at module level or inside functions."""
    modules = set()
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if isinstance(node, ast.Import):
            modules.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            modules.add(node.module)
            # `from tests.integration import test_x` imports a module by name.
            modules.update(f"{node.module}.{alias.name}" for alias in node.names if is_test_module(alias.name))
    return modules


def test_no_test_module_imports_another_test_module_or_a_conftest() -> None:
    found = {
        (str(path.relative_to(REPO_ROOT)), module)
        for path in sorted(TESTS.rglob("*.py"))
        for module in imported_modules(path)
        if module.startswith("tests.") and is_test_module(module)
    }
    assert not found, sorted(found)


def test_the_root_conftest_imports_only_shared_helpers() -> None:
    from_tests = {m for m in imported_modules(TESTS / "conftest.py") if m.split(".")[0] == "tests"}
    assert all(m.startswith("tests.support.") for m in from_tests), sorted(from_tests)
