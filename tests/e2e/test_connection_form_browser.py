"""The Twilio connection form in Airflow 3's UI, driven in Chromium against a real api-server.

A user adds a Twilio connection pointed at the local emulator, tests it (success), and adds one
with a wrong token (Twilio's 20003 reason shown). The screenshot is kept as docs/connection-form.png.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from airflow_provider_twilio.connection_form import CONN_FIELDS, UI_FIELD_BEHAVIOUR
from airflow_provider_twilio.emulator import TwilioEmulator

pytestmark = [pytest.mark.browser, pytest.mark.airflow3]

REPO_ROOT = Path(__file__).resolve().parents[2]
SCREENSHOT = REPO_ROOT / "docs" / "connection-form.png"
NEWEST_LINE = (3, 3)
DEFAULT_FROM = "+15005550006"
ACCOUNT_SID = "AC" + "0123456789abcdef" * 2
AUTH_TOKEN = "5ca1ab1e" * 4
WRONG_TOKEN = "0" * 32
TIMEOUT_MS = 30_000


def airflow_rejects_portless_tests() -> bool:
    """Airflow 3.3.2's UI posts ``port: 0`` for a connection without a port, and its API then refuses
    to reuse the stored secret (fixed upstream in apache/airflow#73298)."""
    from airflow.api_fastapi.core_api.routes.public import connections

    same_endpoint = getattr(connections, "_same_endpoint", None)
    return same_endpoint is not None and not same_endpoint(0, None)


@pytest.fixture
def emulator() -> Iterator[TwilioEmulator]:
    # Fixed credentials keep the committed screenshot stable from run to run.
    with TwilioEmulator(account_sid=ACCOUNT_SID, auth_token=AUTH_TOKEN) as emu:
        yield emu


@pytest.fixture
def page(browser: Any, airflow_api_server: Any) -> Iterator[Any]:
    context = browser.new_context(base_url=airflow_api_server.base_url, viewport={"width": 1280, "height": 1000})
    context.set_default_timeout(TIMEOUT_MS)
    if airflow_rejects_portless_tests():
        context.route("**/api/v2/connections/test", _drop_placeholder_port)
    page = context.new_page()
    # Log in before the first page: Airflow 3.1's login lands on the home page, not the page asked for.
    page.goto("/api/v2/auth/login")
    try:
        yield page
    finally:
        context.close()


def _drop_placeholder_port(route: Any) -> None:
    """Send what the UI means (no port) instead of the ``Number(null) == 0`` it computes."""
    body = json.loads(route.request.post_data or "{}")
    if body.get("port") == 0:
        body["port"] = None
    route.continue_(post_data=json.dumps(body))


def open_twilio_form(page: Any) -> Any:
    page.goto("/connections")
    page.get_by_role("button", name="Add Connection").click()
    dialog = page.get_by_role("dialog")
    dialog.get_by_role("combobox").fill("Twilio")
    page.get_by_role("option", name="Twilio", exact=True).click()
    dialog.get_by_label("Account SID or API key SID").wait_for()
    return dialog


def show_section(dialog: Any, name: str) -> None:
    """Open one of the form's accordion sections (opening one closes the others)."""
    button = dialog.get_by_role("button", name=name, exact=True)
    if button.get_attribute("aria-expanded") != "true":
        button.click()


def fill_twilio_form(dialog: Any, conn_id: str, emu: TwilioEmulator, token: str) -> None:
    dialog.get_by_label("Connection ID").fill(conn_id)
    show_section(dialog, "Standard Fields")
    dialog.get_by_label(UI_FIELD_BEHAVIOUR["relabeling"]["login"]).fill(emu.account_sid)
    dialog.get_by_label(UI_FIELD_BEHAVIOUR["relabeling"]["password"]).fill(token)
    show_section(dialog, "Extra Fields")
    dialog.locator("[name=element_base_url]").fill(emu.base_url)
    dialog.locator("[name=element_default_from]").fill(DEFAULT_FROM)


def save(page: Any, dialog: Any, conn_id: str) -> Any:
    with page.expect_response(lambda r: r.url.endswith("/api/v2/connections") and r.request.method == "POST") as made:
        dialog.get_by_role("button", name="Save").click()
    assert made.value.status == 201, made.value.text()
    row = page.get_by_role("row").filter(has=page.get_by_role("cell", name=conn_id, exact=True))
    row.wait_for()
    return row


def press_test(page: Any, row: Any) -> dict[str, Any]:
    with page.expect_response("**/api/v2/connections/test") as tested:
        row.get_by_role("button", name="Test Connection").click()
    assert tested.value.status == 200, tested.value.text()
    return dict(tested.value.json())


def toast(page: Any, text: str) -> Any:
    from playwright.sync_api import expect

    message = page.locator("[data-scope=toast][data-part=root]").filter(has_text=text).first
    expect(message).to_be_visible()
    return message


def screenshot_path(tmp_path: Path) -> Path:
    """The README shows the newest form; other Airflow lines keep theirs with the test's files."""
    from airflow import __version__

    major, minor = (int(part) for part in __version__.split(".")[:2])
    return SCREENSHOT if (major, minor) >= NEWEST_LINE else tmp_path / SCREENSHOT.name


def test_twilio_connection_form(page: Any, emulator: TwilioEmulator, airflow_api_server: Any, tmp_path: Path) -> None:
    from playwright.sync_api import expect

    emu = emulator
    dialog = open_twilio_form(page)

    # Standard fields: relabelled, with placeholders; unused ones hidden; the secret is a password input.
    relabel, placeholders = UI_FIELD_BEHAVIOUR["relabeling"], UI_FIELD_BEHAVIOUR["placeholders"]
    login = dialog.get_by_label(relabel["login"])
    secret = dialog.get_by_label(relabel["password"])
    expect(login).to_have_attribute("placeholder", placeholders["login"])
    expect(secret).to_have_attribute("placeholder", placeholders["password"])
    expect(secret).to_have_attribute("type", "password")
    for hidden in ("Host", "Port", "Schema", "Login", "Password"):
        expect(dialog.get_by_text(hidden, exact=True)).to_have_count(0)

    # Extra fields: every declared field, labelled and described, with its default.
    show_section(dialog, "Extra Fields")
    for name, spec in CONN_FIELDS.items():
        expect(dialog.locator(f"[name=element_{name}]")).to_be_visible()
        expect(dialog.get_by_text(spec["label"], exact=True)).to_be_visible()
        expect(dialog.get_by_text(spec["description"], exact=True)).to_be_visible()
    expect(dialog.locator("[name=element_timeout]")).to_have_value("30")

    fill_twilio_form(dialog, "twilio_ui", emu, emu.auth_token)
    show_section(dialog, "Standard Fields")
    expect(secret).to_have_value(emu.auth_token)
    shot = screenshot_path(tmp_path)
    shot.parent.mkdir(exist_ok=True)
    dialog.screenshot(path=str(shot))
    row = save(page, dialog, "twilio_ui")

    # Test: the api-server runs TwilioHook.test_connection() against the emulator.
    emu.clear_request_log()
    result = press_test(page, row)
    assert result["status"] is True
    assert result["message"].startswith(f"Connected to Twilio account {emu.account_sid} (")
    toast(page, f"Connected to Twilio account {emu.account_sid}")
    account_path = f"/2010-04-01/Accounts/{emu.account_sid}.json"
    assert [(r["method"], r["path"], r["status"]) for r in emu.request_log()] == [("GET", account_path, 200)]

    # The saved connection, read back through Airflow's REST API (the secret stays masked).
    saved = page.request.get("/api/v2/connections/twilio_ui")
    assert saved.status == 200, saved.text()
    stored = saved.json()
    assert (stored["conn_type"], stored["login"], stored["password"]) == ("twilio", emu.account_sid, "***")
    assert stored["host"] is None and stored["port"] is None
    extra = json.loads(stored["extra"])
    assert (extra["base_url"], extra["default_from"]) == (emu.base_url, DEFAULT_FROM)
    assert str(extra["timeout"]) == "30"  # a number from conn-fields (3.2+), text from the older lines' text box

    # ... and through the CLI, which decrypts it: the hook gets exactly what the form held.
    exported = json.loads(airflow_api_server.airflow("connections", "get", "twilio_ui", "-o", "json"))
    (cli_view,) = exported
    assert (cli_view["login"], cli_view["password"]) == (emu.account_sid, emu.auth_token)
    assert cli_view["extra_dejson"]["base_url"] == emu.base_url

    # A wrong token: Twilio's reason (20003) reaches the UI.
    dialog = open_twilio_form(page)
    fill_twilio_form(dialog, "twilio_ui_wrong", emu, WRONG_TOKEN)
    row = save(page, dialog, "twilio_ui_wrong")
    result = press_test(page, row)
    assert result["status"] is False
    assert "20003" in result["message"]
    assert WRONG_TOKEN not in result["message"]
    toast(page, "20003")
