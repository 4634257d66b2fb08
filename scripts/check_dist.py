"""Check a built sdist and wheel before release: what `make dist` runs after building them.

1. twine renders the metadata (the long description included) as PyPI would, and CHANGELOG.md has an entry
   for the version built;
2. the wheel holds the package, its licence files and nothing else: no tests, benchmarks or build output;
   it carries every example DAG as airflow_provider_twilio/example_dags/<name>.py;
   the sdist holds the licence files and no virtualenvs, caches or build output;
3. the sdist installs into a fresh virtualenv with the pinned Airflow 3 constraints, Airflow's CLI lists the
   provider with the built version, the installed copy finds its example DAGs next to its own code,
   and it sends an SMS to its own emulator.

Usage: check_dist.py DIST_DIR
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tarfile
import tempfile
import zipfile
from collections.abc import Iterable
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PACKAGE = "airflow_provider_twilio"
DISTRIBUTION = "airflow-provider-twilio"
LICENCE_FILES = ("LICENSE", "NOTICE")
EXAMPLE_DAGS = ROOT / "example_dags"
SHIPPED_EXAMPLE_DAGS = f"{PACKAGE}/example_dags/"
CONSTRAINTS = ROOT / "constraints" / "airflow-3.3.txt"
UV = ROOT / ".venv" / "tools" / "bin" / "uv"
# Path parts no distribution may carry: build output, caches and this repository's own tooling.
NEVER_SHIPPED = {".venv", "build", "dist", "__pycache__", ".mypy_cache", ".ruff_cache", ".pytest_cache"}

SMOKE = """
import os, pathlib, sys
import airflow_provider_twilio
from airflow_provider_twilio.emulator import TwilioEmulator
from airflow_provider_twilio.hooks.twilio import TwilioHook
from airflow_provider_twilio.notifications.sms import TwilioSmsNotifier

location = pathlib.Path(airflow_provider_twilio.__file__).resolve()
assert location.is_relative_to(pathlib.Path(sys.prefix).resolve()), f"imported from {location}, not the venv"
examples = sorted(path.name for path in (location.parent / "example_dags").glob("*.py"))
assert examples == sys.argv[1:], f"installed example DAGs {examples}, expected {sys.argv[1:]}"
with TwilioEmulator() as emulator:
    os.environ["AIRFLOW_CONN_TWILIO_DEFAULT"] = emulator.connection_uri
    ok, message = TwilioHook().test_connection()
    assert ok, message
    TwilioSmsNotifier(to="+15551230001", body="release check").send()
    sent = [(m["to"], m["body"]) for m in emulator.messages()]
    assert sent == [("+15551230001", "release check")], sent
print("installed provider sent", sent)
"""


def wheel_problems(names: Iterable[str], version: str) -> list[str]:
    """Everything wrong with a wheel's file list: missing licence files, anything but the package."""
    names = list(names)
    dist_info = f"{PACKAGE}-{version}.dist-info/"
    problems = [
        f"wheel lacks {dist_info}licenses/{licence}"
        for licence in LICENCE_FILES
        if f"{dist_info}licenses/{licence}" not in names
    ]
    for name in names:
        if not name.startswith((f"{PACKAGE}/", dist_info)):
            problems.append(f"wheel holds {name}, outside {PACKAGE}/ and its dist-info")
        elif _never_shipped(name):
            problems.append(f"wheel holds build output or a cache: {name}")
    return problems


def example_dags() -> list[str]:
    """The file names of the repository's example DAGs, which the wheel ships."""
    return sorted(path.name for path in EXAMPLE_DAGS.glob("*.py"))


def example_dag_problems(names: Iterable[str]) -> list[str]:
    """The example DAGs a wheel's file list lacks (they ship as airflow_provider_twilio/example_dags/)."""
    shipped = set(names)
    wanted = [SHIPPED_EXAMPLE_DAGS + name for name in example_dags()]
    return [f"wheel lacks {path}" for path in wanted if path not in shipped]


def sdist_problems(names: Iterable[str], version: str) -> list[str]:
    """Everything wrong with an sdist's file list: missing licence files or metadata, build output, caches."""
    names = list(names)
    top = f"{PACKAGE}-{version}/"
    problems = [
        f"sdist lacks {top}{required}" for required in (*LICENCE_FILES, "PKG-INFO") if top + required not in names
    ]
    problems += [f"sdist holds build output or a cache: {name}" for name in names if _never_shipped(name)]
    return problems


def _never_shipped(name: str) -> bool:
    return bool(NEVER_SHIPPED.intersection(name.split("/"))) or name.endswith((".pyc", ".pyo"))


def _one(dist: Path, pattern: str) -> Path:
    found = sorted(dist.glob(pattern))
    if len(found) != 1:
        sys.exit(f"expected one {pattern} in {dist}, found {[p.name for p in found]}")
    return found[0]


def _run(*command: str | Path, **kwargs: object) -> subprocess.CompletedProcess[str]:
    shown = ["<smoke script>" if part == SMOKE else str(part) for part in command]
    print("+", " ".join(shown), flush=True)
    return subprocess.run([str(part) for part in command], check=True, text=True, **kwargs)  # type: ignore[call-overload]


def _installed_provider_works(sdist: Path, version: str) -> None:
    with tempfile.TemporaryDirectory(prefix="dist-check-") as tmp:
        venv, home = Path(tmp) / "venv", Path(tmp) / "airflow-home"
        _run(UV, "venv", "--quiet", "--python", sys.executable, venv)
        python = venv / "bin" / "python"
        requirement = f"{DISTRIBUTION}[emulator] @ {sdist.resolve().as_uri()}"
        _run(UV, "pip", "install", "--quiet", "--python", python, "-c", CONSTRAINTS, requirement)
        # Outside the repository, so nothing imports the source tree instead of the installed copy.
        env = {**os.environ, "AIRFLOW_HOME": str(home), "AIRFLOW__CORE__LOAD_EXAMPLES": "False"}
        env.pop("AIRFLOW_CONN_TWILIO_DEFAULT", None)
        listed = _run(
            venv / "bin" / "airflow", "providers", "get", DISTRIBUTION, "-o", "json",
            cwd=tmp, env=env, stdout=subprocess.PIPE,
        ).stdout  # fmt: skip
        providers = json.loads(listed[listed.index("[") :])
        if providers != [{"Provider": DISTRIBUTION, "Version": version}]:
            sys.exit(f"airflow providers get listed {providers}, expected {DISTRIBUTION} {version}")
        print(f"airflow providers get: {DISTRIBUTION} {version}")
        _run(python, "-c", SMOKE, *example_dags(), cwd=tmp, env=env)


def main(dist: Path) -> None:
    wheel, sdist = _one(dist, "*.whl"), _one(dist, "*.tar.gz")
    version = wheel.name.split("-")[1]
    _run(sys.executable, "-m", "twine", "check", "--strict", wheel, sdist)
    if f"## [{version}]" not in (ROOT / "CHANGELOG.md").read_text():
        sys.exit(f"CHANGELOG.md has no '## [{version}]' entry for the version built")
    with zipfile.ZipFile(wheel) as archive:
        problems = wheel_problems(archive.namelist(), version) + example_dag_problems(archive.namelist())
    with tarfile.open(sdist) as archive:
        problems += sdist_problems(archive.getnames(), version)
    if problems:
        sys.exit("\n".join(["distribution contents:", *problems]))
    print(
        f"contents: {wheel.name} holds only {PACKAGE}/ (with {len(example_dags())} example DAGs) "
        f"and its dist-info with {', '.join(LICENCE_FILES)}"
    )
    _installed_provider_works(sdist, version)
    print(f"dist OK: {sdist.name}, {wheel.name}")


if __name__ == "__main__":
    if len(sys.argv) != 2:
        sys.exit(__doc__)
    main(Path(sys.argv[1]))
