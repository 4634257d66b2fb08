"""The Twilio connection form: provider-info declarations and the hook's legacy methods agree.

Airflow >= 3.2 builds the form from ``conn-fields``/``ui-field-behaviour``; older Airflow calls
``get_connection_form_widgets()``/``get_ui_field_behaviour()``. Each route is reduced to the same
plain description (fields with label, placeholder, default, description; hidden fields; relabels)
and compared.
"""

from __future__ import annotations

import importlib.util
import json
import subprocess
import sys
from typing import Any

import pytest

from airflow_provider_twilio import get_provider_info
from airflow_provider_twilio.hooks.twilio import TwilioHook

LEGACY_FORM_AVAILABLE = all(importlib.util.find_spec(m) for m in ("wtforms", "flask_appbuilder", "flask_babel"))
EXPECTED_EXTRAS = [
    "account_sid",
    "default_from",
    "default_messaging_service_sid",
    "region",
    "edge",
    "base_url",
    "timeout",
    "webhook_base_url",
    "webhook_auth_token",
    "webhook_trust_forwarded_headers",
]


def twilio_connection_type() -> dict[str, Any]:
    (entry,) = [c for c in get_provider_info()["connection-types"] if c["connection-type"] == "twilio"]
    return entry


def declared_form() -> dict[str, Any]:
    """The form as the provider info declares it (the route Airflow >= 3.2 takes)."""
    entry = twilio_connection_type()
    behaviour = entry["ui-field-behaviour"]
    fields = {
        name: {
            "label": spec["label"],
            "description": spec.get("description"),
            "default": spec["schema"].get("default"),
            "placeholder": behaviour["placeholders"].get(name),
        }
        for name, spec in entry["conn-fields"].items()
    }
    standard_placeholders = {k: v for k, v in behaviour["placeholders"].items() if k not in fields}
    return {
        "fields": fields,
        "hidden": sorted(behaviour["hidden-fields"]),
        "relabeling": behaviour["relabeling"],
        "standard_placeholders": standard_placeholders,
    }


def legacy_form() -> dict[str, Any]:
    """The form as the hook's methods build it (the route Airflow < 3.2 takes)."""
    widgets = TwilioHook.get_connection_form_widgets()
    behaviour = TwilioHook.get_ui_field_behaviour()
    placeholders = behaviour["placeholders"]
    fields = {}
    for name, unbound in widgets.items():
        kwargs = unbound.kwargs
        fields[name] = {
            "label": str(unbound.args[0]),
            "description": kwargs.get("description"),
            "default": kwargs.get("default"),
            "placeholder": placeholders.get(name),  # Airflow 2's form applies these to the extra fields
        }
    return {
        "fields": fields,
        "hidden": sorted(behaviour["hidden_fields"]),
        "relabeling": behaviour["relabeling"],
        "standard_placeholders": {k: v for k, v in placeholders.items() if k not in fields},
        "extra_placeholders": {k: v for k, v in placeholders.items() if k in fields},
    }


def as_text(value: Any) -> str | None:
    """A declared default as a text field holds it."""
    return None if value is None else str(value)


def test_declared_form_is_complete_and_shows_real_formats() -> None:
    form = declared_form()
    assert list(form["fields"]) == EXPECTED_EXTRAS
    assert form["relabeling"] == {"login": "Account SID or API key SID", "password": "Auth token or API key secret"}
    assert form["hidden"] == ["extra", "host", "port", "schema"]
    assert form["standard_placeholders"]["login"].startswith("AC")
    assert "SK" in form["standard_placeholders"]["login"]
    assert form["fields"]["default_from"]["placeholder"] == "+15005550006"
    assert form["fields"]["account_sid"]["placeholder"] == "AC" + "x" * 32
    assert form["fields"]["default_messaging_service_sid"]["placeholder"] == "MG" + "x" * 32
    assert form["fields"]["base_url"]["placeholder"] == "https://api.twilio.com"
    assert form["fields"]["timeout"]["default"] == 30
    # The form states the rules the hook enforces (hooks/settings.py), so a refused value is no surprise.
    for name in ("region", "edge"):
        assert "lowercase letters, digits and hyphens only" in form["fields"][name]["description"], name
    assert "at most 3600" in form["fields"]["timeout"]["description"]
    for name, field in form["fields"].items():
        assert field["label"], name
        assert field["description"], name
        assert field["placeholder"], name
    schema_types = {name: spec["schema"]["type"] for name, spec in twilio_connection_type()["conn-fields"].items()}
    assert schema_types.pop("timeout") == ["number", "null"]
    assert set(map(tuple, schema_types.values())) == {("string", "null")}
    assert "/twilio/<conn_id>/sms" in form["fields"]["webhook_base_url"]["description"]


def test_the_only_secrets_are_the_password_and_the_masked_webhook_auth_token() -> None:
    """The standard password field, and the webhook signing token (a password input, masked by its name)."""
    secrets = [
        name
        for name, spec in twilio_connection_type()["conn-fields"].items()
        if spec["schema"].get("format") == "password"
    ]
    assert secrets == ["webhook_auth_token"]
    assert "password" not in twilio_connection_type()["ui-field-behaviour"]["hidden-fields"]
    try:
        from airflow.sdk.execution_time.secrets_masker import should_hide_value_for_key
    except ImportError:  # Airflow 2
        from airflow.utils.log.secrets_masker import should_hide_value_for_key
    assert should_hide_value_for_key("webhook_auth_token")


@pytest.mark.skipif(not LEGACY_FORM_AVAILABLE, reason="Flask-AppBuilder/wtforms are not installed with this Airflow")
def test_both_routes_yield_the_same_form() -> None:
    declared = declared_form()
    legacy = legacy_form()
    for field in declared["fields"].values():
        field["default"] = as_text(field["default"])
    assert legacy["fields"] == declared["fields"]
    assert list(legacy["fields"]) == list(declared["fields"])
    assert legacy["hidden"] == declared["hidden"]
    assert legacy["relabeling"] == declared["relabeling"]
    assert legacy["standard_placeholders"] == declared["standard_placeholders"]
    assert legacy["extra_placeholders"] == {n: f["placeholder"] for n, f in declared["fields"].items()}


@pytest.mark.skipif(not LEGACY_FORM_AVAILABLE, reason="Flask-AppBuilder/wtforms are not installed with this Airflow")
def test_legacy_widgets_use_field_classes_airflow_accepts() -> None:
    from wtforms import BooleanField, IntegerField, PasswordField, StringField

    allowed = {BooleanField, IntegerField, PasswordField, StringField}
    for name, unbound in TwilioHook.get_connection_form_widgets().items():
        assert unbound.field_class in allowed, name


@pytest.mark.skipif(LEGACY_FORM_AVAILABLE, reason="Flask-AppBuilder is installed, so the legacy form can be built")
def test_legacy_widgets_fail_the_way_airflow_tolerates() -> None:
    """Without Flask-AppBuilder (Airflow 3), Airflow skips a hook's widgets only on this ImportError."""
    with pytest.raises(ImportError) as caught:
        TwilioHook.get_connection_form_widgets()
    assert caught.value.name in ("flask_appbuilder", "wtforms")
    assert TwilioHook.get_ui_field_behaviour()["relabeling"] == declared_form()["relabeling"]


def airflow_reads_conn_fields() -> bool:
    from airflow import __version__
    from packaging.version import Version

    return Version(__version__) >= Version("3.2")


@pytest.mark.skipif(
    not (LEGACY_FORM_AVAILABLE or airflow_reads_conn_fields()),
    reason="this Airflow builds the form only in its api-server, with stand-ins for wtforms "
    "(test_connection_form_api_server.py runs that service)",
)
def test_providers_manager_serves_the_declared_form() -> None:
    """What the providers manager hands the UI, whichever route this Airflow takes."""
    from airflow.providers_manager import ProvidersManager

    manager = ProvidersManager()
    declared = declared_form()
    prefix = "extra__twilio__"
    widgets = {k[len(prefix) :]: v for k, v in manager.connection_form_widgets.items() if k.startswith(prefix)}
    assert list(widgets) == EXPECTED_EXTRAS
    for name, info in widgets.items():
        assert info.field_name == name
        assert info.is_sensitive is (name == "webhook_auth_token")
        expected = declared["fields"][name]
        if isinstance(info.field, dict):  # Airflow >= 3.2: the JSON-schema form
            assert info.field["schema"]["title"] == expected["label"]
            assert info.field["description"] == expected["description"]
            assert info.field["value"] == expected["default"]
        else:  # older Airflow: the hook's wtforms field
            assert str(info.field.args[0]) == expected["label"]
            assert info.field.kwargs["description"] == expected["description"]
            assert info.field.kwargs.get("default") == as_text(expected["default"])

    behaviour = manager.field_behaviours["twilio"]
    assert sorted(behaviour["hidden_fields"]) == declared["hidden"]
    assert behaviour["relabeling"] == declared["relabeling"]
    expected_placeholders = dict(declared["standard_placeholders"])
    expected_placeholders.update({prefix + n: f["placeholder"] for n, f in declared["fields"].items()})
    assert behaviour["placeholders"] == expected_placeholders


PROBE = """
import json, warnings
warnings.simplefilter("always")
with warnings.catch_warnings(record=True) as caught:
    from airflow.providers_manager import ProvidersManager
    manager = ProvidersManager()
    manager.hooks.get("twilio")
    manager.connection_form_widgets
    manager.field_behaviours
print(json.dumps([str(w.message) for w in caught if "TwilioHook" in str(w.message)]))
"""


def test_airflow_3_reads_the_declarations_without_deprecation_warnings() -> None:
    from airflow import __version__

    if int(__version__.split(".")[0]) < 3:
        pytest.skip("Airflow 2.11 only knows the hook methods")
    done = subprocess.run([sys.executable, "-c", PROBE], capture_output=True, text=True, timeout=120, check=True)
    assert json.loads(done.stdout.strip().splitlines()[-1]) == []
