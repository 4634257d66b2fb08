"""The Twilio tab in Airflow's UI, in Debian's Chromium, against a real api-server, scheduler,
dag-processor and triggerer.

The approval example runs against the emulator (its approver answers "YES 4821"); the run's Twilio
tab, opened by a viewer, shows the outbound text, the reply, its match groups and the delivered
status with the numbers masked, and keeps reading its data while open; an admin sees the numbers in
full. The screenshot (the viewer's) is kept as docs/ui.png.
"""

from __future__ import annotations

import json
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from airflow_provider_twilio.emulator import TwilioEmulator
from tests.support.hitl_stack import HitlStack
from tests.support.ui_stack import APPROVAL_EXAMPLE, token, ui_stack

pytestmark = [pytest.mark.browser, pytest.mark.airflow3]

REPO_ROOT = Path(__file__).resolve().parents[2]
SCREENSHOT = REPO_ROOT / "docs" / "ui.png"
NEWEST_LINE = (3, 3)
DAG_ID = "example_twilio_sms_approval"
APPROVER, MASKED = "+15551230001", "+1555•••0001"
TIMEOUT_MS = 60_000


def airflow_line() -> tuple[int, int]:
    from airflow import __version__

    major, minor = (int(part) for part in __version__.split(".")[:2])
    return major, minor


@pytest.fixture(scope="module")
def emulator() -> Iterator[TwilioEmulator]:
    with TwilioEmulator() as emu:
        yield emu


@pytest.fixture(scope="module")
def stack(airflow_db: Path, emulator: TwilioEmulator, tmp_path_factory: pytest.TempPathFactory) -> Iterator[HitlStack]:
    if airflow_line() < (3, 1):
        pytest.skip("plugin views in Airflow's UI need Airflow 3.1+")
    with ui_stack(tmp_path_factory.mktemp("ui-home"), airflow_db, emulator, [APPROVAL_EXAMPLE]) as stack:
        yield stack


def finished_run(stack: HitlStack, emulator: TwilioEmulator) -> str:
    """Trigger the example as the admin (Airflow's REST API) and let it finish."""
    # The approver answers after the sensor has deferred and the scheduler has seen it: on Airflow 3.3 a
    # trigger that fires before the scheduler processed the deferral can get the resumed task failed.
    emulator.add_auto_reply(to=APPROVER, body="YES 4821", delay=10.0)
    stack.wait_for(lambda: stack.query("SELECT 1 FROM serialized_dag WHERE dag_id = ?", DAG_ID), f"{DAG_ID} parsed")
    request = urllib.request.Request(
        f"{stack.base_url}/api/v2/dags/{DAG_ID}/dagRuns",
        data=json.dumps({"logical_date": None}).encode(),
        headers={"Content-Type": "application/json", "Authorization": f"Bearer {token(stack, 'ada')}"},
        method="POST",
    )
    with urllib.request.urlopen(request, timeout=60) as response:
        run_id = str(json.loads(response.read())["dag_run_id"])
    stack.wait_for(lambda: stack.run_states(DAG_ID).get(run_id) in {"success", "failed"}, "the run to finish", 240)
    assert stack.run_states(DAG_ID)[run_id] == "success", stack.report()
    stack.wait_for(
        lambda: all(m["status"] == "delivered" for m in emulator.messages() if m["direction"] != "inbound"),
        "the texts to be delivered",
    )
    return run_id


def signed_in(browser: Any, stack: HitlStack, username: str) -> Any:
    """A browser context holding the user's session cookie, as Airflow's login leaves it."""
    context = browser.new_context(base_url=stack.base_url, viewport={"width": 1400, "height": 900})
    context.set_default_timeout(TIMEOUT_MS)
    context.add_cookies([{"name": "_token", "value": token(stack, username), "url": stack.base_url}])
    return context


def open_twilio_tab(page: Any, run_id: str) -> Any:
    page.goto(f"/dags/{DAG_ID}/runs/{run_id}")
    page.get_by_role("link", name="Twilio", exact=True).click()
    return page.frame_locator("iframe").first


def test_the_runs_twilio_tab_shows_the_text_the_reply_its_groups_and_delivery(
    browser: Any, stack: HitlStack, emulator: TwilioEmulator, tmp_path: Path
) -> None:
    from playwright.sync_api import expect

    viewer = signed_in(browser, stack, "vera")
    try:
        page = viewer.new_page()
        run_id = finished_run(stack, emulator)
        frame = open_twilio_tab(page, run_id)
        sent = frame.locator("#timeline tbody tr[data-kind=message]").filter(has_text="Reply YES 4821 to deploy")
        expect(sent).to_contain_text("Reply YES 4821 to deploy 2.4.1")
        expect(sent).to_contain_text(f"to {MASKED}")
        expect(sent.locator(".status")).to_have_text("delivered")
        reply = frame.locator("#timeline tbody tr[data-kind=reply]").filter(has_text="YES 4821").first
        expect(reply).to_contain_text(f"from {MASKED}")
        expect(reply.locator(".status")).to_have_text("matched")
        expect(reply.locator(".groups")).to_contain_text("answer=YES")
        expect(reply.locator(".groups")).to_contain_text("code=4821")
        expect(frame.locator("body")).not_to_contain_text(APPROVER)
        # Open, the page reads the data again (every 5 s) without being reloaded.
        with page.expect_response(lambda r: "/twilio/ui/api/runs/" in r.url and r.status == 200, timeout=20_000):
            pass
        shot = SCREENSHOT if airflow_line() >= NEWEST_LINE else tmp_path / SCREENSHOT.name
        page.screenshot(path=str(shot))
    finally:
        viewer.close()

    admin = signed_in(browser, stack, "ada")
    try:
        frame = open_twilio_tab(admin.new_page(), run_id)
        sent = frame.locator("#timeline tbody tr[data-kind=message]").filter(has_text="Reply YES 4821 to deploy")
        expect(sent).to_contain_text(f"to {APPROVER}")
    finally:
        admin.close()
