"""The released wheel carries the licence files, the package and its example DAGs, and nothing else: built here
with the real build backend."""

from __future__ import annotations

import importlib.util
import re
import tarfile
import zipfile
from dataclasses import dataclass
from pathlib import Path
from types import ModuleType

import pytest

import airflow_provider_twilio

ROOT = Path(__file__).resolve().parents[2]
VERSION = airflow_provider_twilio.__version__
DIST_INFO = f"airflow_provider_twilio-{VERSION}.dist-info"


def _check_dist() -> ModuleType:
    spec = importlib.util.spec_from_file_location("check_dist", ROOT / "scripts" / "check_dist.py")
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@dataclass
class Built:
    sdist: list[str]
    wheel: list[str]
    metadata: str


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> Built:
    """The sdist built from the work tree, then the wheel built from the unpacked sdist, as a release does."""
    from build import ProjectBuilder

    out = tmp_path_factory.mktemp("dist")
    sdist = Path(ProjectBuilder(ROOT).build("sdist", out))
    with tarfile.open(sdist) as archive:
        sdist_names = archive.getnames()
        archive.extractall(out / "src", filter="data")
    wheel = Path(ProjectBuilder(out / "src" / sdist.name.removesuffix(".tar.gz")).build("wheel", out))
    with zipfile.ZipFile(wheel) as archive:
        return Built(sdist_names, archive.namelist(), archive.read(f"{DIST_INFO}/METADATA").decode())


def test_wheel_carries_license_and_notice(built: Built) -> None:
    wheel = built.wheel
    assert f"{DIST_INFO}/licenses/LICENSE" in wheel
    assert f"{DIST_INFO}/licenses/NOTICE" in wheel
    assert "License-Expression: Apache-2.0" in built.metadata
    assert "License-File: NOTICE" in built.metadata


def test_wheel_holds_no_tests_benchmarks_or_build_output(built: Built) -> None:
    wheel = built.wheel
    assert "airflow_provider_twilio/__init__.py" in wheel
    assert not [name for name in wheel if name.split("/")[0] in {"tests", "benchmarks", "build", "dist"}]
    assert not [name for name in wheel if not name.startswith(("airflow_provider_twilio/", DIST_INFO))]
    assert _check_dist().wheel_problems(wheel, VERSION) == []


def test_pypi_description_links_into_the_repository(built: Built) -> None:
    """PyPI shows the README alone: its relative links and images must point at the repository."""
    description = built.metadata.split("\n\n", 1)[1]
    home = "https://github.com/airflow-provider-twilio/airflow-provider-twilio"
    assert f"]({home}/blob/main/docs/index.md)" in description
    assert (
        "](https://raw.githubusercontent.com/airflow-provider-twilio/airflow-provider-twilio/main/docs/" in description
    )
    assert not re.findall(r"\]\((?!https?://|#)[^)]+\)", description)


def test_sdist_carries_license_and_notice(built: Built) -> None:
    sdist = built.sdist
    top = f"airflow_provider_twilio-{VERSION}"
    assert {f"{top}/LICENSE", f"{top}/NOTICE", f"{top}/CHANGELOG.md"} <= set(sdist)
    assert _check_dist().sdist_problems(sdist, VERSION) == []


def test_the_release_check_rejects_a_wheel_with_tests_or_without_notice() -> None:
    problems = _check_dist().wheel_problems(
        [
            "airflow_provider_twilio/__init__.py",
            f"{DIST_INFO}/licenses/LICENSE",
            "tests/unit/test_hook.py",
            "benchmarks/bulk_send.py",
            "airflow_provider_twilio/__pycache__/__init__.cpython-311.pyc",
        ],
        VERSION,
    )
    assert problems == [
        f"wheel lacks {DIST_INFO}/licenses/NOTICE",
        "wheel holds tests/unit/test_hook.py, outside airflow_provider_twilio/ and its dist-info",
        "wheel holds benchmarks/bulk_send.py, outside airflow_provider_twilio/ and its dist-info",
        "wheel holds build output or a cache: airflow_provider_twilio/__pycache__/__init__.cpython-311.pyc",
    ]


def test_wheel_ships_the_example_dags(built: Built) -> None:
    """Installed users find the example DAGs at <site-packages>/airflow_provider_twilio/example_dags/."""
    examples = sorted(path.name for path in (ROOT / "example_dags").glob("*.py"))
    assert "example_twilio_escalation.py" in examples
    shipped = sorted(
        name.removeprefix("airflow_provider_twilio/example_dags/")
        for name in built.wheel
        if name.startswith("airflow_provider_twilio/example_dags/")
    )
    assert shipped == examples
    assert _check_dist().example_dag_problems(built.wheel) == []


def test_the_release_check_rejects_a_wheel_without_the_example_dags() -> None:
    check_dist = _check_dist()
    wheel = ["airflow_provider_twilio/__init__.py", "airflow_provider_twilio/example_dags/example_twilio_send_sms.py"]
    missing = [name for name in check_dist.example_dags() if name != "example_twilio_send_sms.py"]
    assert missing
    assert check_dist.example_dag_problems(wheel) == [
        f"wheel lacks airflow_provider_twilio/example_dags/{name}" for name in missing
    ]
