"""DAG files import our modules at parse time, so none of them may pull in the heavy client libraries.

Each module is imported in its own child process, forked from one interpreter right after ``import
airflow`` (so Airflow is imported once, not once per module); anything heavy that Airflow itself
already loads (Airflow 2.11 loads ``requests``) is not the module's fault and is left out.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest

from tests.support.public_modules import HEAVY, PUBLIC_MODULES

PROBE = """
import importlib, json, os, sys, traceback
heavy = json.loads(sys.argv[1])
def loaded():
    return sorted(m for m in sys.modules if m.split(".")[0] in heavy)
import airflow
baseline = loaded()
print("PROBE " + json.dumps({"module": "", "result": {"baseline": baseline, "after": baseline}}), flush=True)
for module in sys.argv[2:]:
    # Each module in a child forked after `import airflow`: a fresh interpreter each, minus Airflow's import.
    pid = os.fork()
    if pid == 0:
        try:
            importlib.import_module(module)
            result = {"baseline": baseline, "after": loaded()}
        except BaseException:
            result = "importing " + module + " failed:\\n" + traceback.format_exc()[-3000:]
        print("PROBE " + json.dumps({"module": module, "result": result}), flush=True)
        os._exit(0)
    os.waitpid(pid, 0)
"""


@pytest.fixture(scope="module")
def probes() -> dict[str, dict[str, list[str]] | str]:
    """Every probe's findings by module; the bare ``import airflow`` is under ''."""
    modules = [*PUBLIC_MODULES, "twilio.rest"]
    proc = subprocess.run(
        [sys.executable, "-c", PROBE, json.dumps(HEAVY), *modules],
        env=os.environ.copy(),
        capture_output=True,
        text=True,
        timeout=300,
    )
    found = {}
    for line in proc.stdout.splitlines():
        if line.startswith("PROBE "):
            report = json.loads(line.removeprefix("PROBE "))
            found[report["module"]] = report["result"]
    failure = f"the probe failed (exit {proc.returncode}):\n{proc.stderr[-3000:]}"
    return {module: found.get(module, failure) for module in ["", *modules]}


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
