"""The import contracts of ``make lint`` catch what they promise to: an import sideways, up, or in a cycle.

Each case copies the package, adds one offending import, and runs import-linter with the project's own
contracts on the copy; the untouched copy must pass, so the failure is the added import's.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
LINT_IMPORTS = Path(sys.executable).with_name("lint-imports")

pytestmark = pytest.mark.skipif(
    not LINT_IMPORTS.exists(),
    reason="import-linter is installed only in the Airflow 3 environment, where make lint runs",
)

# (file to add the import to, the import, the contract that must break)
OFFENCES = {
    "a domain core importing another sideways": (
        "sending/core.py",
        "from airflow_provider_twilio.inbound import matching",
        "Airflow-facing > domain cores > shared lower layer; nothing sideways or up",
    ),
    "the lower layer importing up": (
        "addresses.py",
        "from airflow_provider_twilio.operators import sms",
        "Airflow-facing > domain cores > shared lower layer; nothing sideways or up",
    ),
    "a module nobody placed in a layer": (
        "notifications/sms.py",
        "from airflow_provider_twilio import unplaced",
        "Airflow-facing > domain cores > shared lower layer; nothing sideways or up",
    ),
    "the emulator's plumbing importing a resource": (
        "emulator/http/errors.py",
        "from airflow_provider_twilio.emulator.resources import messages",
        "The emulator on one axis",
    ),
    "the provider importing the emulator": (
        "hooks/twilio.py",
        "from airflow_provider_twilio.emulator import server",
        "Nothing but the pytest plugin imports the emulator",
    ),
}


def _lint(tree: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(LINT_IMPORTS), "--no-cache"],
        cwd=tree,
        env={"PATH": "/usr/bin:/bin", "PYTHONPATH": str(tree)},
        capture_output=True,
        text=True,
        timeout=300,
    )


@pytest.fixture
def tree(tmp_path: Path) -> Path:
    shutil.copytree(
        ROOT / "airflow_provider_twilio",
        tmp_path / "airflow_provider_twilio",
        ignore=shutil.ignore_patterns("__pycache__", "example_dags"),
    )
    shutil.copy(ROOT / "pyproject.toml", tmp_path / "pyproject.toml")
    return tmp_path


def test_the_package_as_it_is_keeps_every_contract(tree: Path) -> None:
    result = _lint(tree)
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-2000:]
    assert "0 broken" in result.stdout


@pytest.mark.parametrize("offence", list(OFFENCES))
def test_an_added_offending_import_breaks_its_contract(tree: Path, offence: str) -> None:
    path, line, contract = OFFENCES[offence]
    if "unplaced" in line:
        (tree / "airflow_provider_twilio" / "unplaced.py").write_text('"""A module in no layer."""\n')
    module = tree / "airflow_provider_twilio" / path
    module.write_text(module.read_text() + f"\n{line}  # noqa\n")
    result = _lint(tree)
    assert result.returncode != 0, result.stdout[-3000:]
    broken = result.stdout[result.stdout.index("Broken contracts") :]
    assert contract in " ".join(broken.split()), broken[:3000]
