"""The webhook plugin registers on both Airflow lines; only Airflow 3 gets an app to mount."""

from __future__ import annotations

from airflow_provider_twilio import get_provider_info


def airflow_line() -> tuple[int, int]:
    from airflow import __version__

    major, minor = __version__.split(".")[:2]
    return int(major), int(minor)


def test_the_provider_info_declares_the_plugin_and_it_loads() -> None:
    import importlib

    from airflow.plugins_manager import AirflowPlugin

    (declared,) = get_provider_info()["plugins"]
    module, _, name = declared["plugin-class"].rpartition(".")
    plugin = getattr(importlib.import_module(module), name)
    assert issubclass(plugin, AirflowPlugin) and plugin.name == declared["name"] == "twilio_webhooks"


def test_fastapi_app_only_on_airflow_3_3_and_later() -> None:
    from airflow_provider_twilio.webhooks import webhooks_supported
    from airflow_provider_twilio.webhooks.plugin import TwilioWebhooksPlugin

    # The human-in-the-loop inbox poller (3.1+) is the other app; see the next test.
    apps = [app for app in TwilioWebhooksPlugin.fastapi_apps if app["url_prefix"] != "/twilio-hitl-inbox"]
    assert webhooks_supported() is (airflow_line() >= (3, 3))
    if not webhooks_supported():
        assert apps == []
        return
    (app,) = apps
    assert app["url_prefix"] == "/twilio"
    paths = {(route.path, tuple(sorted(route.methods))) for route in app["app"].routes if hasattr(route, "methods")}
    assert {("/{conn_id}/sms", ("POST",)), ("/{conn_id}/status", ("POST",)), ("/{conn_id}/gather", ("POST",))} <= paths
    assert ("/{conn_id}/choice", ("POST",)) in paths


def test_the_inbox_poller_app_is_mounted_on_airflow_3_1_and_later_and_has_no_routes() -> None:
    """The pull path runs in the api-server on every line with human-in-the-loop, webhooks or not."""
    from airflow_provider_twilio.webhooks.plugin import TwilioWebhooksPlugin

    inbox = [app for app in TwilioWebhooksPlugin.fastapi_apps if app["url_prefix"] == "/twilio-hitl-inbox"]
    if airflow_line() < (3, 1):
        assert inbox == []
        return
    (app,) = inbox
    assert [route for route in app["app"].routes if hasattr(route, "methods")] == []
    assert app["app"].router.lifespan_context is not None
