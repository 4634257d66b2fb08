"""The Twilio connection type as each Airflow 3 line's api-server builds it for the UI.

The UI's "Add Connection" dialog lists what ``HookMetaService.hook_meta_data()`` returns
(``GET /ui/connections/hook_meta``). How it gets there differs per line:

- 3.0: the hook's ``get_connection_form_widgets()``, with wtforms swapped for Airflow's stand-ins, but
  only when Flask-AppBuilder and wtforms are installed (the FAB provider brings them). Without them
  Airflow 3.0 shows no extra fields for any provider's hook.
- 3.1: the same stand-ins, installed even without Flask-AppBuilder.
- 3.2 and later: the provider info's ``conn-fields``.

Each case runs Airflow's own service in a fresh interpreter: it patches modules and caches its result.
"""

from __future__ import annotations

import importlib.util
import json
import subprocess
import sys
from typing import Any

import pytest

from airflow_provider_twilio.connection_form import CONN_FIELDS, UI_FIELD_BEHAVIOUR
from airflow_provider_twilio.hooks.twilio import TwilioHook

FAB_MODULES = ("flask_appbuilder", "wtforms", "flask_babel")
FAB_INSTALLED = all(importlib.util.find_spec(m) for m in FAB_MODULES)

PROBE = f"""
import importlib.abc, json, sys
if sys.argv[1] == "absent":
    class HideFab(importlib.abc.MetaPathFinder):
        def find_spec(self, name, path, target=None):
            if name.partition(".")[0] in {FAB_MODULES!r}:
                raise ModuleNotFoundError(f"No module named {{name!r}}", name=name)
            return None
    sys.meta_path.insert(0, HideFab())
from airflow.api_fastapi.core_api.services.ui.connections import HookMetaService
listed = [m.model_dump(mode="json") for m in HookMetaService.hook_meta_data()]
print("PROBE " + json.dumps(listed))
"""


def airflow_line() -> tuple[int, int]:
    from airflow import __version__

    major, minor = __version__.split(".")[:2]
    return int(major), int(minor)


def connection_types(fab: str) -> dict[str, dict[str, Any]]:
    """``hook_meta_data()`` of this Airflow, by connection type, with Flask-AppBuilder installed or hidden."""
    done = subprocess.run([sys.executable, "-c", PROBE, fab], capture_output=True, text=True, timeout=180, check=False)
    lines = [line for line in done.stdout.splitlines() if line.startswith("PROBE ")]
    assert lines, f"the probe failed (exit {done.returncode}):\n{done.stderr[-3000:]}"
    return {entry["connection_type"]: entry for entry in json.loads(lines[0].removeprefix("PROBE "))}


@pytest.fixture(scope="module", params=["installed", "absent"])
def fab(request: pytest.FixtureRequest) -> str:
    if airflow_line() < (3, 0):
        pytest.skip("Airflow 2.11's UI is Flask-AppBuilder's; test_connection_form.py covers its form")
    if request.param == "installed" and not FAB_INSTALLED:
        pytest.skip("Flask-AppBuilder is not installed with this Airflow")
    return str(request.param)


def test_the_ui_lists_twilio_with_every_field(fab: str) -> None:
    types = connection_types(fab)
    assert "twilio" in types, f"no twilio connection type among {sorted(types)}"
    twilio = types["twilio"]
    assert twilio["hook_name"] == "Twilio"
    assert twilio["hook_class_name"] == "airflow_provider_twilio.hooks.twilio.TwilioHook"

    if fab == "absent" and airflow_line() < (3, 1):
        # Airflow 3.0 builds no form for any hook without wtforms; the README says to install the FAB provider.
        assert twilio["standard_fields"] is None and twilio["extra_fields"] is None
        assert all(entry["extra_fields"] is None for entry in types.values())
        return

    standard = twilio["standard_fields"]
    relabel, placeholders = UI_FIELD_BEHAVIOUR["relabeling"], UI_FIELD_BEHAVIOUR["placeholders"]
    for name in ("login", "password"):
        assert standard[name] == {"hidden": False, "title": relabel[name], "placeholder": placeholders[name]}
    for name in ("host", "port", "url_schema"):
        assert standard[name]["hidden"] is True, name

    extras = twilio["extra_fields"]
    assert list(extras) == list(CONN_FIELDS)
    for name, spec in CONN_FIELDS.items():
        field = extras[name]
        assert field["schema"]["title"] == spec["label"], name
        assert field["description"] == spec["description"], name
        # The one secret extra is a password input; the others are plain.
        assert field["schema"].get("format") == spec["schema"].get("format"), name
    # A text box on the lines that build the form from wtforms stand-ins, a number from conn-fields.
    assert extras["timeout"]["value"] in (30, "30")


def test_legacy_widgets_build_with_the_api_servers_stand_ins(monkeypatch: pytest.MonkeyPatch) -> None:
    """Airflow 3.0/3.1 replace wtforms with stand-ins that take only label, validators, description,
    default and widget; a hook whose fields pass anything else is dropped from the UI."""
    if airflow_line() < (3, 0):
        pytest.skip("Airflow 2.11 has no api-server")
    import types

    from airflow.api_fastapi.core_api.services.ui.connections import HookMetaService

    wtforms = types.ModuleType("wtforms")
    wtforms.StringField = HookMetaService.MockStringField  # type: ignore[attr-defined]
    wtforms.PasswordField = HookMetaService.MockPasswordField  # type: ignore[attr-defined]
    validators = types.ModuleType("wtforms.validators")
    validators.Optional = HookMetaService.MockOptional  # type: ignore[attr-defined]
    babel = types.ModuleType("flask_babel")
    babel.lazy_gettext = str  # type: ignore[attr-defined]
    widgets = types.ModuleType("flask_appbuilder.fieldwidgets")
    widgets.BS3TextFieldWidget = HookMetaService.MockAnyWidget  # type: ignore[attr-defined]
    widgets.BS3PasswordFieldWidget = HookMetaService.MockAnyWidget  # type: ignore[attr-defined]
    fab_package = types.ModuleType("flask_appbuilder")
    fab_package.fieldwidgets = widgets  # type: ignore[attr-defined]
    for name, module in {
        "wtforms": wtforms,
        "wtforms.validators": validators,
        "flask_babel": babel,
        "flask_appbuilder": fab_package,
        "flask_appbuilder.fieldwidgets": widgets,
    }.items():
        monkeypatch.setitem(sys.modules, name, module)

    fields = TwilioHook.get_connection_form_widgets()

    assert list(fields) == list(CONN_FIELDS)
    for name, field in fields.items():
        secret = CONN_FIELDS[name]["schema"].get("format") == "password"
        kind = HookMetaService.MockPasswordField if secret else HookMetaService.MockStringField
        assert isinstance(field, kind), name
        assert field.param.schema["title"] == CONN_FIELDS[name]["label"]
        assert field.param.description == CONN_FIELDS[name]["description"]
