"""The Twilio tab in Airflow's UI, in Debian's Chromium, against a real api-server, scheduler,
dag-processor and triggerer.

The approval example runs against the emulator (its approver answers "YES 4821"); the run's Twilio
tab then shows the outbound text, the reply, its match groups and the delivered status, and keeps
reading its data while open. The screenshot is kept as docs/ui.png.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from airflow_provider_twilio.emulator import TwilioEmulator
from tests.support.hitl_stack import HitlStack
from tests.support.ui_stack import APPROVAL_EXAMPLE, ui_stack

pytestmark = [pytest.mark.browser, pytest.mark.airflow3]

REPO_ROOT = Path(__file__).resolve().parents[2]
SCREENSHOT = REPO_ROOT / "docs" / "ui.png"
NEWEST_LINE = (3, 3)
DAG_ID = "example_twilio_sms_approval"
APPROVER = "+15551230001"
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


def finished_run(stack: HitlStack, emulator: TwilioEmulator, page: Any) -> str:
    """Trigger the example as the signed-in user (Airflow's REST API, with the UI's cookie) and let it finish."""
    # The approver answers after the sensor has deferred and the scheduler has seen it: on Airflow 3.3 a
    # trigger that fires before the scheduler processed the deferral can get the resumed task failed.
    emulator.add_auto_reply(to=APPROVER, body="YES 4821", delay=10.0)
    stack.wait_for(lambda: stack.query("SELECT 1 FROM serialized_dag WHERE dag_id = ?", DAG_ID), f"{DAG_ID} parsed")
    made = page.request.post(f"/api/v2/dags/{DAG_ID}/dagRuns", data={"logical_date": None})
    assert made.status == 200, made.text()
    run_id = str(made.json()["dag_run_id"])
    stack.wait_for(lambda: stack.run_states(DAG_ID).get(run_id) in {"success", "failed"}, "the run to finish", 240)
    assert stack.run_states(DAG_ID)[run_id] == "success", stack.report()
    stack.wait_for(
        lambda: all(m["status"] == "delivered" for m in emulator.messages() if m["direction"] != "inbound"),
        "the texts to be delivered",
    )
    return run_id


def test_the_runs_twilio_tab_shows_the_text_the_reply_its_groups_and_delivery(
    browser: Any, stack: HitlStack, emulator: TwilioEmulator, tmp_path: Path
) -> None:
    from playwright.sync_api import expect

    context = browser.new_context(base_url=stack.base_url, viewport={"width": 1400, "height": 900})
    context.set_default_timeout(TIMEOUT_MS)
    try:
        page = context.new_page()
        page.goto("/api/v2/auth/login")
        run_id = finished_run(stack, emulator, page)
        page.goto(f"/dags/{DAG_ID}/runs/{run_id}")
        page.get_by_role("link", name="Twilio", exact=True).click()
        frame = page.frame_locator("iframe").first
        sent = frame.locator("#timeline tbody tr[data-kind=message]")
        expect(sent).to_contain_text("Reply YES 4821 to deploy 2.4.1")
        expect(sent).to_contain_text(APPROVER)  # the simple auth manager's users here are all admins
        expect(sent.locator(".status")).to_have_text("delivered")
        reply = frame.locator("#timeline tbody tr[data-kind=reply]").filter(has_text="YES 4821").first
        expect(reply.locator(".status")).to_have_text("matched")
        expect(reply.locator(".groups")).to_contain_text("answer=YES")
        expect(reply.locator(".groups")).to_contain_text("code=4821")
        # Open, the page reads the data again (every 5 s) without being reloaded.
        with page.expect_response(lambda r: "/twilio/ui/api/runs/" in r.url and r.status == 200, timeout=20_000):
            pass
        shot = SCREENSHOT if airflow_line() >= NEWEST_LINE else tmp_path / SCREENSHOT.name
        page.screenshot(path=str(shot))
    finally:
        context.close()
