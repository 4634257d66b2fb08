"""Provider registration: the info dict is valid for the installed Airflow and Airflow finds the hook."""

from __future__ import annotations

import importlib
import inspect
import json
import pkgutil
import re
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
        "airflow_provider_twilio.triggers.events",
        "airflow_provider_twilio.triggers.sms",
        "airflow_provider_twilio.triggers.status_events",
        "airflow_provider_twilio.operators.voice",
        "airflow_provider_twilio.sensors.voice",
        "airflow_provider_twilio.triggers.voice",
    }
    assert info["notifications"] == [
        "airflow_provider_twilio.notifications.sms.TwilioSmsNotifier",
        "airflow_provider_twilio.notifications.voice.TwilioCallNotifier",
        "airflow_provider_twilio.notifications.hitl.TwilioHITLNotifier",
        "airflow_provider_twilio.notifications.hitl_call.TwilioHITLCallNotifier",
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


ROOT = Path(__file__).resolve().parents[2]
# Each group of the provider info, and the Airflow base class its classes derive from.
GROUP_BASES = {
    "hooks": ("airflow_provider_twilio.hooks", "BaseHook"),
    "operators": ("airflow_provider_twilio.operators", "BaseOperator"),
    "sensors": ("airflow_provider_twilio.sensors", "BaseSensorOperator"),
    "triggers": ("airflow_provider_twilio.triggers", "BaseTrigger"),
    "notifications": ("airflow_provider_twilio.notifications", "BaseNotifier"),
}


def documented_names() -> set[str]:
    """Every identifier the README and the guides name in code: what users are told to import."""
    pages = [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]
    return {name for page in pages for name in re.findall(r"\bTwilio\w+", page.read_text())}


def documented_classes(package: str, base_name: str) -> dict[str, str]:
    """Classes of ``package`` the docs name that derive from Airflow's ``base_name``: name -> defining module."""
    documented = documented_names()
    found = {}
    for module_info in pkgutil.iter_modules(importlib.import_module(package).__path__, f"{package}."):
        if module_info.name.rpartition(".")[2].startswith("_"):
            continue
        module = importlib.import_module(module_info.name)
        for name, cls in inspect.getmembers(module, inspect.isclass):
            bases = {base.__name__ for base in cls.__mro__[1:]}
            if cls.__module__ == module.__name__ and base_name in bases and name in documented:
                found[name] = module.__name__
    return found


def listed_modules(info: dict[str, Any], group: str) -> set[str]:
    if group == "notifications":
        return {dotted.rpartition(".")[0] for dotted in info[group]}
    return {module for entry in info[group] for module in entry["python-modules"]}


@pytest.mark.parametrize("group", sorted(GROUP_BASES))
def test_provider_info_lists_every_module_with_a_documented_class(group: str) -> None:
    """A hook, operator, sensor, trigger or notifier the docs name is in a module Airflow is told about."""
    package, base_name = GROUP_BASES[group]
    classes = documented_classes(package, base_name)
    assert classes, f"no documented {base_name} subclass found in {package}"
    listed = listed_modules(get_provider_info(), group)
    missing = sorted(f"{module} ({name})" for name, module in classes.items() if module not in listed)
    assert not missing, f"get_provider_info()[{group!r}] does not list {missing}"


def test_provider_info_lists_every_documented_notifier_class() -> None:
    documented = documented_classes(*GROUP_BASES["notifications"])
    listed = get_provider_info()["notifications"]
    assert sorted(f"{module}.{name}" for name, module in documented.items()) == sorted(listed)


def test_provider_description_names_every_capability() -> None:
    description = get_provider_info()["description"]
    capabilities = [
        "SMS",
        "MMS",
        "WhatsApp",
        "voice calls",
        "keypress",
        "replies",
        "delivery",
        "call status",
        "inbound texts",
        "status callbacks",
        "asset watchers",
        "webhooks",
        "api-server",
        "emulator",
    ]
    assert [capability for capability in capabilities if capability not in description] == []
