"""The Twilio tab in Airflow's UI, in Debian's Chromium, against a real api-server, scheduler,
dag-processor and triggerer.

The approval example runs against the emulator (its approver answers "YES 4821"); the run's Twilio
tab, opened by a viewer, shows the outbound text, the reply, its match groups and the delivered
status with the numbers masked, and keeps reading its data while open; an admin sees the numbers in
full. The screenshot (the viewer's) is kept as docs/ui.png.

Airflow's home dashboard shows the Twilio card (a React app plugin): after a run that texted someone
the emulator never reaches, the card's figures are the last day's, the failure is counted under its
error name, and the run is listed with a link to its Twilio tab. Its screenshot is docs/ui-dashboard.png.
"""

from __future__ import annotations

import json
import re
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
CARD_SCREENSHOT = REPO_ROOT / "docs" / "ui-dashboard.png"
FAILURES_DAG = Path(__file__).resolve().parent / "ui_dags" / "ui_dashboard_failures.py"
NEWEST_LINE = (3, 3)
DAG_ID = "example_twilio_sms_approval"
FAILURES_DAG_ID = "ui_dashboard_failures"
REACHED, UNREACHABLE = "+15551230201", "+15005550010"  # as the failures DAG texts them
APPROVER, MASKED = "+15551230001", "+1555•••0001"
TIMEOUT_MS = 60_000


def airflow_line() -> tuple[int, int]:
    from airflow import __version__

    major, minor = (int(part) for part in __version__.split(".")[:2])
    return major, minor


@pytest.fixture(scope="module")
def stack(airflow_db: Path, emulator: TwilioEmulator, tmp_path_factory: pytest.TempPathFactory) -> Iterator[HitlStack]:
    if airflow_line() < (3, 1):
        pytest.skip("plugin views in Airflow's UI need Airflow 3.1+")
    dag_files = [APPROVAL_EXAMPLE, FAILURES_DAG]
    with ui_stack(tmp_path_factory.mktemp("ui-home"), airflow_db, emulator, dag_files) as stack:
        yield stack


def triggered_by_admin(stack: HitlStack, dag_id: str) -> str:
    """Trigger the DAG as the admin (Airflow's REST API) and let it finish successfully."""
    run_id = trigger_as_admin(stack, dag_id)
    finished(stack, dag_id, run_id)
    return run_id


def trigger_as_admin(stack: HitlStack, dag_id: str) -> str:
    """Trigger the DAG as the admin (Airflow's REST API); its run id."""
    stack.wait_for(lambda: stack.query("SELECT 1 FROM serialized_dag WHERE dag_id = ?", dag_id), f"{dag_id} parsed")
    request = urllib.request.Request(
        f"{stack.base_url}/api/v2/dags/{dag_id}/dagRuns",
        data=json.dumps({"logical_date": None}).encode(),
        headers={"Content-Type": "application/json", "Authorization": f"Bearer {token(stack, 'ada')}"},
        method="POST",
    )
    with urllib.request.urlopen(request, timeout=60) as response:
        return str(json.loads(response.read())["dag_run_id"])


def finished(stack: HitlStack, dag_id: str, run_id: str) -> None:
    stack.wait_for(lambda: stack.run_states(dag_id).get(run_id) in {"success", "failed"}, "the run to finish", 240)
    assert stack.run_states(dag_id)[run_id] == "success", stack.report()


@pytest.fixture(scope="module")
def approval_run(stack: HitlStack, emulator: TwilioEmulator) -> str:
    """A finished run of the approval example, every text it sent delivered."""
    run_id = trigger_as_admin(stack, DAG_ID)
    # The approver answers once the sensor has deferred and the scheduler has seen its worker exit
    # (``deferral_settled`` says why), to the number that texted them.
    stack.wait_for(lambda: stack.deferral_settled(DAG_ID, run_id, "wait_for_reply"), "the sensor's deferral settled")
    (asked,) = [m for m in emulator.messages() if m["to"] == APPROVER]
    emulator.inject_inbound(APPROVER, asked["from"], "YES 4821")
    finished(stack, DAG_ID, run_id)
    stack.wait_for(
        lambda: all(m["status"] == "delivered" for m in emulator.messages() if m["direction"] != "inbound"),
        "the texts to be delivered",
    )
    return run_id


def dashboard_data(stack: HitlStack, username: str) -> dict[str, Any]:
    """What the view's JSON says of the last 24 hours, as the user reads it."""
    request = urllib.request.Request(
        f"{stack.base_url}/twilio/ui/api/dashboard", headers={"Authorization": f"Bearer {token(stack, username)}"}
    )
    with urllib.request.urlopen(request, timeout=60) as response:
        return dict(json.loads(response.read()))


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
    browser: Any, stack: HitlStack, approval_run: str, tmp_path: Path
) -> None:
    from playwright.sync_api import expect

    run_id = approval_run
    viewer = signed_in(browser, stack, "vera")
    try:
        page = viewer.new_page()
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


def test_the_home_dashboards_twilio_card_shows_the_last_day_and_links_a_failing_run_to_its_tab(
    browser: Any, stack: HitlStack, emulator: TwilioEmulator, approval_run: str, tmp_path: Path
) -> None:
    from playwright.sync_api import expect

    before = dashboard_data(stack, "vera")
    run_id = triggered_by_admin(stack, FAILURES_DAG_ID)
    final = {REACHED: "delivered", UNREACHABLE: "undelivered"}
    stack.wait_for(
        lambda: {m["to"]: m["status"] for m in emulator.messages() if m["to"] in final} == final,
        "one text delivered and one undelivered",
    )
    failed_by_error = dict(before["failed_by_error"])
    failed_by_error["UNREACHABLE_DESTINATION_ERROR"] = failed_by_error.get("UNREACHABLE_DESTINATION_ERROR", 0) + 1
    expected = {
        "sent": before["sent"] + 2,
        "delivered": before["delivered"] + 1,
        "failed": before["failed"] + 1,
        "replies": before["replies"],
        "calls": before["calls"],
        "failed_by_error": failed_by_error,
    }
    assert before["replies"] >= 1 and before["delivered"] >= 1  # the approval run's text and its answer
    # Twilio's log is read again once the view's few-second cache expires.
    stack.wait_for(
        lambda: {key: dashboard_data(stack, "vera")[key] for key in expected} == expected, "the new statuses"
    )

    viewer = signed_in(browser, stack, "vera")
    try:
        page = viewer.new_page()
        page.goto("/")
        card = page.get_by_test_id("twilio-card")
        # Airflow lists the plugins, imports the card's script, and the card reads its JSON: slow on a busy machine.
        expect(card.locator("[data-figure=sent] .value")).to_be_visible(timeout=TIMEOUT_MS)
        for name in ("sent", "delivered", "failed", "replies", "calls"):
            expect(card.locator(f"[data-figure={name}] .value")).to_have_text(str(expected[name]))
        errors = card.locator("[data-table=failed-by-error] tbody tr")
        expect(errors.filter(has_text="UNREACHABLE_DESTINATION_ERROR")).to_contain_text(
            str(failed_by_error["UNREACHABLE_DESTINATION_ERROR"])
        )
        failing = card.locator("[data-table=most-failures] tbody tr").filter(has_text=FAILURES_DAG_ID)
        expect(failing).to_contain_text(run_id)
        expect(card).not_to_contain_text(UNREACHABLE)  # the card shows no numbers
        page_link = card.get_by_role("link", name="Browse → Twilio (24 h)")
        expect(page_link).to_have_attribute("href", re.compile("/plugin/twilio-dashboard$"))
        card.scroll_into_view_if_needed()
        shot = CARD_SCREENSHOT if airflow_line() >= NEWEST_LINE else tmp_path / CARD_SCREENSHOT.name
        card.screenshot(path=str(shot))

        failing.get_by_role("link", name=run_id).click()
        expect(page).to_have_url(re.compile(f"/dags/{FAILURES_DAG_ID}/runs/.+/plugin/twilio-run$"))
        frame = page.frame_locator("iframe").first
        undelivered = frame.locator("#timeline tbody tr[data-kind=message]").filter(has_text="+1500•••0010")
        expect(undelivered.locator(".status")).to_contain_text(
            "undelivered 30003 UNREACHABLE_DESTINATION_ERROR", timeout=TIMEOUT_MS
        )
    finally:
        viewer.close()
