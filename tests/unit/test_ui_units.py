"""The Twilio view's small parts: masking, the list cache, and the plugin's registration per Airflow line."""

from __future__ import annotations

import json
import threading
from pathlib import Path
from typing import Any

import pytest
import tomllib

from airflow_provider_twilio.ui.lists import ListCache
from airflow_provider_twilio.ui.masking import mask_number, shown

REPO_ROOT = Path(__file__).resolve().parents[2]


def airflow_line() -> tuple[int, int]:
    from airflow import __version__

    major, minor = __version__.split(".")[:2]
    return int(major), int(minor)


@pytest.mark.parametrize(
    ("number", "masked"),
    [
        ("+15551230001", "+1555•••0001"),
        ("whatsapp:+447700900123", "whatsapp:+4477•••0123"),
        ("+4930123", "•••"),
        ("", ""),
        (None, None),
    ],
)
def test_numbers_keep_country_area_and_last_four(number: str | None, masked: str | None) -> None:
    assert mask_number(number) == masked
    assert shown(number, full=True) == number


def test_concurrent_readers_share_one_list_request_per_connection_and_kind() -> None:
    calls: list[tuple[str, str, int]] = []
    gate = threading.Event()

    def fetch(kind: str, conn_id: str, page_size: int) -> list[dict[str, Any]]:
        calls.append((kind, conn_id, page_size))
        gate.wait(5)
        return [{"sid": "SM1", "status": "delivered"}]

    cache = ListCache(fetch, ttl=3600, page_size=50)
    readers = [threading.Thread(target=cache.get, args=("messages", "a")) for _ in range(8)]
    for reader in readers:
        reader.start()
    gate.set()
    for reader in readers:
        reader.join()
    cache.get("messages", "b")
    cache.get("calls", "a")
    assert sorted(calls) == [("calls", "a", 50), ("messages", "a", 50), ("messages", "b", 50)]
    assert cache.get("messages", "a").records == {"SM1": {"sid": "SM1", "status": "delivered"}}


def test_a_zero_ttl_reads_again_on_every_refresh() -> None:
    calls: list[str] = []
    cache = ListCache(lambda kind, conn_id, size: calls.append(conn_id) or [], ttl=0)
    for _ in range(3):
        cache.get("messages", "a")
    assert calls == ["a", "a", "a"]


def test_a_failed_list_says_which_error_and_nothing_of_the_connection() -> None:
    from twilio.base.exceptions import TwilioRestException

    def fetch(kind: str, conn_id: str, page_size: int) -> list[dict[str, Any]]:
        raise TwilioRestException(401, "https://user:s3cr3t@api.twilio.com/x", msg="Authenticate s3cr3t", code=20003)

    listing = ListCache(fetch).get("messages", "a")
    assert listing.records == {}
    assert listing.error == "TwilioRestException (AUTHENTICATION_CONNECTION_ERROR)"


def test_the_plugin_registers_views_only_on_airflow_3_1_and_later() -> None:
    from airflow_provider_twilio.ui.plugin import TwilioUiPlugin

    if airflow_line() < (3, 1):
        assert list(TwilioUiPlugin.fastapi_apps) == []
        assert TwilioUiPlugin.external_views == []
        return
    views = {view["destination"]: view for view in TwilioUiPlugin.external_views}
    assert views["dag_run"]["href"] == "/twilio/ui/runs/{DAG_ID}/{RUN_ID}"
    assert views["task_instance"]["href"] == "/twilio/ui/runs/{DAG_ID}/{RUN_ID}/tasks/{TASK_ID}/{MAP_INDEX}"
    assert views["nav"]["href"] == "/twilio/ui/dashboard"
    (app,) = TwilioUiPlugin.fastapi_apps
    assert app["url_prefix"] == "/twilio/ui"


def test_the_plugin_puts_a_card_on_the_home_dashboard_only_on_airflow_3_1_and_later() -> None:
    """Airflow's home dashboard takes React apps only, with the destination "dashboard" (3.1+)."""
    from airflow_provider_twilio.ui.plugin import CARD_NAME, TwilioUiPlugin

    if airflow_line() < (3, 1):
        assert getattr(TwilioUiPlugin, "react_apps", []) == []
        return
    from airflow.api_fastapi.core_api.datamodels.plugins import ReactAppResponse

    (card,) = TwilioUiPlugin.react_apps
    shown = ReactAppResponse.model_validate(card)  # as Airflow's plugins API hands it to the UI
    assert (shown.destination, shown.name) == ("dashboard", CARD_NAME)
    assert shown.bundle_url == "/twilio/ui/static/twilio-card.js"
    script = (REPO_ROOT / "airflow_provider_twilio" / "ui" / "static" / "twilio-card.js").read_text()
    assert f"const NAME = {json.dumps(CARD_NAME)};" in script  # the global Airflow looks the component up by
    assert "globalThis[NAME] = TwilioCard;" in script


def test_the_view_is_loaded_before_the_webhook_receiver_whose_prefix_holds_it() -> None:
    """Airflow mounts plugin apps in the order it loads them: ``/twilio`` first would shadow ``/twilio/ui``."""
    plugins = tomllib.loads((REPO_ROOT / "pyproject.toml").read_text())["project"]["entry-points"]["airflow.plugins"]
    assert list(plugins)[:2] == ["twilio_ui", "twilio_webhooks"]
    assert plugins["twilio_ui"] == "airflow_provider_twilio.ui.plugin:TwilioUiPlugin"


def test_a_page_holds_the_ids_as_escaped_attributes_and_renders_bodies_as_text() -> None:
    pytest.importorskip("fastapi", reason="the view's app is FastAPI, which Airflow 3 ships")
    from airflow_provider_twilio.ui.app import _page

    page = _page("run", {"dag-id": "d", "run-id": '"><script>alert(1)</script>'})
    assert 'data-run-id="&quot;&gt;&lt;script&gt;alert(1)&lt;/script&gt;"' in page
    assert "<script>alert(1)" not in page
    assert "innerHTML" not in page  # the script builds rows with textContent only
