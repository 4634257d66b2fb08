"""Provider registration: the info dict is valid for the installed Airflow and Airflow finds the hook."""

from __future__ import annotations

import importlib
import json
import warnings
from importlib import metadata
from pathlib import Path
from typing import Any

import pytest

import airflow_provider_twilio
from airflow_provider_twilio import get_provider_info

ENTRY_POINT_VALUE = "airflow_provider_twilio:get_provider_info"


def provider_distribution() -> metadata.Distribution:
    """The installed distribution whose ``apache_airflow_provider`` entry point is ours."""
    found = [
        entry_point.dist
        for entry_point in metadata.entry_points(group="apache_airflow_provider")
        if entry_point.value == ENTRY_POINT_VALUE and entry_point.dist is not None
    ]
    assert len(found) == 1, found
    return found[0]


def airflow_provider_schema() -> dict[str, Any]:
    import airflow

    path = Path(airflow.__file__).parent / "provider_info.schema.json"
    return json.loads(path.read_text())


def test_provider_info_validates_against_the_installed_airflow_schema() -> None:
    import jsonschema

    schema = airflow_provider_schema()
    jsonschema.Draft7Validator.check_schema(schema)
    jsonschema.validate(get_provider_info(), schema)


def test_schema_validation_would_catch_a_broken_info() -> None:
    import jsonschema

    broken = get_provider_info()
    broken["connection-types"] = [{"connection-type": "twilio"}]
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.validate(broken, airflow_provider_schema())


def test_package_name_and_version_match_the_installed_distribution() -> None:
    dist = provider_distribution()
    info = get_provider_info()
    assert info["package-name"] == dist.metadata["Name"] == "airflow-provider-twilio"
    assert info["versions"][0] == airflow_provider_twilio.__version__ == dist.version


def test_provider_info_names_the_provider_parts() -> None:
    info = get_provider_info()
    modules = {module for group in ("hooks", "operators", "sensors", "triggers") for entry in info[group]
               for module in entry["python-modules"]}  # fmt: skip
    assert modules == {
        "airflow_provider_twilio.hooks.twilio",
        "airflow_provider_twilio.operators.sms",
        "airflow_provider_twilio.sensors.sms",
        "airflow_provider_twilio.triggers.sms",
        "airflow_provider_twilio.triggers.status_events",
        "airflow_provider_twilio.operators.voice",
        "airflow_provider_twilio.sensors.voice",
        "airflow_provider_twilio.triggers.voice",
    }
    assert info["notifications"] == [
        "airflow_provider_twilio.notifications.sms.TwilioSmsNotifier",
        "airflow_provider_twilio.notifications.voice.TwilioCallNotifier",
    ]
    assert info["extra-links"] == ["airflow_provider_twilio.operators.sms.TwilioConsoleMessagesLink"]
    (connection_type,) = info["connection-types"]
    assert connection_type["connection-type"] == "twilio"
    assert connection_type["hook-class-name"] == "airflow_provider_twilio.hooks.twilio.TwilioHook"
    assert connection_type["hook-name"] == "Twilio"


def test_providers_manager_finds_the_provider_connection_type_and_hook() -> None:
    from airflow.providers_manager import ProvidersManager

    manager = ProvidersManager()
    assert "airflow-provider-twilio" in manager.providers
    assert manager.providers["airflow-provider-twilio"].version == airflow_provider_twilio.__version__
    assert_finds_twilio_hook(manager)


def test_task_runtime_providers_manager_finds_the_hook() -> None:
    """Airflow 3 tasks resolve hooks through the Task SDK's own manager."""
    try:
        from airflow.sdk.providers_manager_runtime import ProvidersManagerTaskRuntime
    except ImportError:
        pytest.skip("the Task SDK has its own providers manager from Airflow 3.2 on")
    assert_finds_twilio_hook(ProvidersManagerTaskRuntime())


def assert_finds_twilio_hook(manager: Any) -> None:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        hook_info = manager.hooks["twilio"]
    assert hook_info is not None
    assert hook_info.hook_class_name == "airflow_provider_twilio.hooks.twilio.TwilioHook"
    assert hook_info.connection_id_attribute_name == "twilio_conn_id"
    assert hook_info.hook_name == "Twilio"
    assert hook_info.package_name == "airflow-provider-twilio"
    assert hook_info.connection_testable


def test_airflow_builds_a_twilio_hook_from_a_connection(monkeypatch: pytest.MonkeyPatch) -> None:
    """The path the UI's Test button takes: Connection.get_hook() via the providers manager."""
    from airflow.models.connection import Connection

    from airflow_provider_twilio.hooks.twilio import TwilioHook

    connection = Connection(conn_id="via_manager", conn_type="twilio", login="AC" + "0" * 32, password="t0ken")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        hook = connection.get_hook()
    assert isinstance(hook, TwilioHook)
    assert hook.twilio_conn_id == "via_manager"


def test_everything_the_provider_info_names_imports() -> None:
    info = get_provider_info()
    modules = [
        m for group in ("hooks", "operators", "sensors", "triggers") for e in info[group] for m in e["python-modules"]
    ]
    for module in modules:
        importlib.import_module(module)
    for dotted in [*info["notifications"], *info["extra-links"], info["connection-types"][0]["hook-class-name"]]:
        module, _, name = dotted.rpartition(".")
        assert isinstance(getattr(importlib.import_module(module), name), type), dotted


def test_providers_manager_registers_the_notifier_and_extra_link() -> None:
    from airflow.providers_manager import ProvidersManager

    manager = ProvidersManager()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        notifiers = {getattr(n, "notification_class_name", n) for n in manager.notification}
        links = set(manager.extra_links_class_names)
    assert "airflow_provider_twilio.notifications.sms.TwilioSmsNotifier" in notifiers
    assert "airflow_provider_twilio.operators.sms.TwilioConsoleMessagesLink" in links
