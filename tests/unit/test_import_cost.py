"""DAG files import our modules at parse time, so none of them may pull in the heavy client libraries.

Each module is imported in a fresh interpreter after ``import airflow``; anything heavy that Airflow
itself already loads (Airflow 2.11 loads ``requests``) is not the module's fault and is left out.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest

PUBLIC_MODULES = (
    "airflow_provider_twilio.hooks.twilio",
    "airflow_provider_twilio.operators.sms",
    "airflow_provider_twilio.sensors.sms",
    "airflow_provider_twilio.triggers.sms",
    "airflow_provider_twilio.notifications.sms",
    "airflow_provider_twilio.triggers.status_events",
    "airflow_provider_twilio.operators.voice",
    "airflow_provider_twilio.sensors.voice",
    "airflow_provider_twilio.triggers.voice",
    "airflow_provider_twilio.notifications.voice",
    "airflow_provider_twilio.webhooks.plugin",  # every Airflow process loads plugins
)
HEAVY = ("twilio", "requests", "aiohttp", "phonenumbers")

PROBE = """
import importlib, json, sys
heavy = json.loads(sys.argv[2])
def loaded():
    return sorted(m for m in sys.modules if m.split(".")[0] in heavy)
import airflow
baseline = loaded()
if sys.argv[1]:
    importlib.import_module(sys.argv[1])
print("PROBE " + json.dumps({"baseline": baseline, "after": loaded()}))
"""


def _start(module: str) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, "-c", PROBE, module, json.dumps(HEAVY)],
        env=os.environ.copy(),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def _result(proc: subprocess.Popen[str], module: str) -> dict[str, list[str]] | str:
    """The probe's findings, or why the import failed."""
    out, err = proc.communicate(timeout=300)
    for line in out.splitlines():
        if line.startswith("PROBE "):
            return json.loads(line.removeprefix("PROBE "))
    return f"importing {module or 'airflow'} failed (exit {proc.returncode}):\n{err[-3000:]}"


@pytest.fixture(scope="module")
def probes() -> dict[str, dict[str, list[str]] | str]:
    """Every probe at once (fresh interpreters in parallel); the bare ``import airflow`` is under ''."""
    modules = ["", *PUBLIC_MODULES, "twilio.rest"]
    procs = {module: _start(module) for module in modules}
    return {module: _result(proc, module) for module, proc in procs.items()}


def _probe(probes: dict[str, dict[str, list[str]] | str], module: str) -> dict[str, list[str]]:
    result = probes[module]
    if isinstance(result, str):
        pytest.fail(result)
    return result


@pytest.mark.parametrize("module", PUBLIC_MODULES)
def test_public_module_loads_no_heavy_library(probes: dict[str, dict[str, list[str]] | str], module: str) -> None:
    airflow_alone = set(_probe(probes, "")["after"])
    result = _probe(probes, module)
    new = sorted(set(result["after"]) - set(result["baseline"]) - airflow_alone)
    assert not new, f"importing {module} loads {new}; import them inside the functions that use them"


def test_probe_sees_heavy_imports(probes: dict[str, dict[str, list[str]] | str]) -> None:
    """The probe itself works: the SDK's client module does pull in twilio and requests."""
    result = _probe(probes, "twilio.rest")
    new = {m.split(".")[0] for m in set(result["after"]) - set(result["baseline"])}
    assert "twilio" in new
    assert "requests" in new or "requests" in {m.split(".")[0] for m in result["baseline"]}
