"""The Twilio view's routes on Airflow's api-server app, over a DAG run made by ``dag.test()``.

The run asks an approver by SMS (the send operator), the emulator's approver answers, the deferred
sensor matches the reply: the view's JSON shows the text, its delivered status, the reply and its
groups, read from the run's XComs and one list request to the emulator through the connection.
"""

from __future__ import annotations

import os
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.support.hitl_db import hitl_supported

pytestmark = pytest.mark.skipif(not hitl_supported(), reason="plugin views in Airflow's UI need Airflow 3.1+")

DAGS = Path(__file__).resolve().parent / "dags"
DAG_ID = "sensor_approval_e2e"
APPROVER, US = "+15551230001", "+15005550006"
MESSAGES_PATH_END = "/Messages.json"
ROUTES = [
    "/twilio/ui/api/runs/{dag}/{run}",
    "/twilio/ui/runs/{dag}/{run}",
    "/twilio/ui/runs/{dag}/{run}/tasks/ask/-1",
    "/twilio/ui/api/dashboard",
    "/twilio/ui/dashboard",
]


@pytest.fixture(scope="module")
def emulator() -> Iterator[Any]:
    from airflow_provider_twilio.emulator import TwilioEmulator

    with TwilioEmulator() as emu, pytest.MonkeyPatch.context() as patch:
        patch.setenv("AIRFLOW_CONN_TWILIO_DEFAULT", emu.connection_uri)
        yield emu


@pytest.fixture(scope="module")
def run_id(emulator: Any, airflow_db: Path) -> str:
    from airflow import settings
    from airflow.models import DagBag

    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("AIRFLOW__CORE__DAGS_FOLDER", str(DAGS))
        patch.setattr(settings, "DAGS_FOLDER", str(DAGS))
        dag = DagBag(dag_folder=str(DAGS / "sensor_approval_e2e.py")).get_dag(DAG_ID)
        emulator.add_auto_reply(to=APPROVER, body="yes 4821", delay=0.5)
        dag_run = dag.test()
    deadline = time.monotonic() + 60
    while {m["status"] for m in emulator.messages() if m["direction"] != "inbound"} != {"delivered"}:
        assert time.monotonic() < deadline, emulator.messages()
        time.sleep(0.2)
    return str(dag_run.run_id)


@pytest.fixture(scope="module")
def client(run_id: str) -> Iterator[Any]:
    from fastapi.testclient import TestClient

    from tests.support.ui_api import api_server_app

    with TestClient(api_server_app()) as client:
        yield client


def data_path(run_id: str, dag_id: str = DAG_ID) -> str:
    return f"/twilio/ui/api/runs/{dag_id}/{run_id}"


def list_requests(emulator: Any) -> list[str]:
    return [r["path"] for r in emulator.request_log() if r["method"] == "GET" and r["path"].endswith(".json")]


@pytest.mark.parametrize("path", ROUTES)
def test_every_route_answers_401_without_a_valid_token(client: Any, run_id: str, path: str) -> None:
    url = path.format(dag=DAG_ID, run=run_id)
    assert client.get(url).status_code == 401
    assert client.get(url, headers={"Authorization": "Bearer not-a-jwt"}).status_code == 401
    assert client.get(url, cookies={"_token": "not-a-jwt"}).status_code == 401


@pytest.mark.parametrize("path", ["/twilio/ui/api/runs/{dag}/{run}", "/twilio/ui/runs/{dag}/{run}"])
def test_a_user_who_may_not_read_the_dag_gets_403(client: Any, run_id: str, path: str) -> None:
    from tests.support.ui_api import bearer

    response = client.get(path.format(dag=DAG_ID, run=run_id), headers=bearer("nobody", None))
    assert response.status_code == 403
    assert "4821" not in response.text


def test_the_timeline_shows_the_text_the_reply_and_its_groups_with_numbers_masked(
    client: Any, run_id: str, emulator: Any
) -> None:
    from tests.support.ui_api import bearer

    response = client.get(data_path(run_id), headers=bearer("vera", "viewer"))
    assert response.status_code == 200, response.text
    data = response.json()
    assert data["numbers"] == "masked" and data["list_errors"] == []
    kinds = [event["kind"] for event in data["events"]]
    assert kinds[0] == "message" and "reply" in kinds
    sent, echo = [e for e in data["events"] if e["kind"] == "message"]
    assert sent["task_id"] == "ask" and echo["task_id"] is None  # the sensor's echo, from the log
    assert (echo["body"], echo["to"], echo["status"]) == ("Got it: yes for v1.2.3.", "+1555•••0001", "delivered")
    assert sent["to"] == "+1555•••0001" and sent["from"] == "+1500•••0006"
    assert sent["status"] == "delivered" and sent["segments"] == 1
    assert sent["body"] == "Reply YES 4821 to deploy v1.2.3, or NO 4821."
    # The approver's reply, matched by the sensor; the emulator's approver also answers the sensor's echo.
    matched, *later = [e for e in data["events"] if e["kind"] == "reply"]
    assert matched["matched"] is True and matched["match_groups"] == {"answer": "yes"}
    assert (matched["from"], matched["body"], matched["task_id"]) == ("+1555•••0001", "yes 4821", "wait")
    assert [(e["matched"], e["from"], e["task_id"]) for e in later] == [(False, "+1555•••0001", None)]
    assert APPROVER not in response.text
    assert emulator.auth_token not in response.text


def test_an_admin_sees_numbers_in_full(client: Any, run_id: str) -> None:
    from tests.support.ui_api import bearer

    data = client.get(data_path(run_id), headers=bearer("ada", "admin")).json()
    assert data["numbers"] == "full"
    assert {e["to"] for e in data["events"] if e["kind"] == "message"} == {APPROVER}


def test_the_ui_cookie_authenticates_the_page_which_holds_only_the_ids(client: Any, run_id: str) -> None:
    from urllib.parse import quote

    from tests.support.ui_api import token_for

    page = client.get(f"/twilio/ui/runs/{DAG_ID}/{run_id}", cookies={"_token": token_for("vera", "viewer")})
    assert page.status_code == 200
    assert f'data-run-id="{run_id}"' in page.text
    # The reply's code appears nowhere but inside the run id, whose microseconds can hold it too.
    around_the_ids = page.text.replace(run_id, "").replace(quote(run_id, safe=""), "")
    assert "<script>" in page.text and "4821" not in around_the_ids and APPROVER not in page.text


def test_a_task_instance_tab_shows_only_that_task(client: Any, run_id: str) -> None:
    from tests.support.ui_api import bearer

    ask = client.get(data_path(run_id), params={"task_id": "ask"}, headers=bearer("vera", "viewer")).json()
    assert [e["kind"] for e in ask["events"]] == ["message"]
    wait = client.get(data_path(run_id), params={"task_id": "wait", "map_index": -1}, headers=bearer("vera", "viewer"))
    assert [(e["kind"], e["matched"]) for e in wait.json()["events"]] == [("reply", True)]


def test_an_unknown_run_is_404_after_the_permission_check(client: Any) -> None:
    from tests.support.ui_api import bearer

    assert client.get(data_path("no_such_run"), headers=bearer("vera", "viewer")).status_code == 404
    assert client.get(data_path("no_such_run"), headers=bearer("nobody", None)).status_code == 403


def test_one_list_request_per_connection_per_refresh_whatever_the_readers(run_id: str, emulator: Any) -> None:
    from fastapi.testclient import TestClient

    from airflow_provider_twilio.ui.lists import ListCache
    from tests.support.ui_api import api_server_app, bearer

    with TestClient(api_server_app(ListCache(ttl=3600))) as cached:
        headers = bearer("vera", "viewer")  # signed by the auth manager the app just set up
        emulator.clear_request_log()
        for _ in range(5):
            assert cached.get(data_path(run_id), headers=headers).status_code == 200
        assert [p for p in list_requests(emulator) if p.endswith(MESSAGES_PATH_END)] == [
            f"/2010-04-01/Accounts/{emulator.account_sid}/Messages.json"
        ]
        assert list_requests(emulator) == [f"/2010-04-01/Accounts/{emulator.account_sid}/Messages.json"]
    with TestClient(api_server_app(ListCache(ttl=0))) as uncached:
        emulator.clear_request_log()
        for _ in range(3):
            assert uncached.get(data_path(run_id), headers=headers).status_code == 200
        assert len(list_requests(emulator)) == 3


def test_a_connection_that_cannot_list_leaves_what_the_tasks_recorded(run_id: str, emulator: Any) -> None:
    from fastapi.testclient import TestClient

    from airflow_provider_twilio.ui.lists import ListCache
    from tests.support.ui_api import api_server_app, bearer

    with pytest.MonkeyPatch.context() as patch, TestClient(api_server_app(ListCache(ttl=0))) as client:
        uri = emulator.connection_uri.replace(emulator.auth_token, "0" * 32)
        patch.setenv("AIRFLOW_CONN_TWILIO_DEFAULT", uri)
        data = client.get(data_path(run_id), headers=bearer("vera", "viewer")).json()
    (error,) = data["list_errors"]
    assert error.startswith("twilio_default messages:") and "0" * 32 not in error
    (sent,) = [e for e in data["events"] if e["kind"] == "message"]
    assert sent["status"] == "queued"  # as the task recorded it


def test_the_dashboard_counts_the_last_day(client: Any, run_id: str) -> None:
    from tests.support.ui_api import bearer

    data = client.get("/twilio/ui/api/dashboard", headers=bearer("vera", "viewer")).json()
    assert data["sent"] >= 1 and data["delivered"] >= 1 and data["replies"] >= 1
    hidden = client.get("/twilio/ui/api/dashboard", headers=bearer("nobody", None)).json()
    assert (hidden["sent"], hidden["replies"], hidden["most_failures"]) == (0, 0, [])  # no DAG it may read


def test_the_home_dashboards_card_is_served_as_a_script_while_its_data_needs_a_reader(client: Any, run_id: str) -> None:
    """Airflow imports the card as a module script; it holds no data, the JSON it reads keeps its checks."""
    from airflow_provider_twilio.ui.plugin import TwilioUiPlugin
    from tests.support.ui_api import token_for

    (card,) = TwilioUiPlugin.react_apps
    script = client.get(card["bundle_url"])
    assert script.status_code == 200
    assert script.headers["content-type"].startswith("text/javascript")
    assert "/twilio/ui/api/dashboard" in script.text and "4821" not in script.text
    assert client.get("/twilio/ui/api/dashboard", cookies={"_token": "not-a-jwt"}).status_code == 401
    as_viewer = client.get("/twilio/ui/api/dashboard", cookies={"_token": token_for("vera", "viewer")})
    assert as_viewer.status_code == 200 and as_viewer.json()["sent"] >= 1


def test_the_webhook_routes_keep_the_signature_as_their_only_authentication(client: Any) -> None:
    from airflow_provider_twilio.capabilities import webhooks_supported

    if not webhooks_supported():
        pytest.skip("the webhook receiver needs Airflow 3.3+")
    assert os.environ.get("AIRFLOW_CONN_TWILIO_DEFAULT")
    response = client.post("/twilio/twilio_default/sms", data={"From": APPROVER, "Body": "hi"})
    assert response.status_code == 403  # no signature: refused by the receiver, not by Airflow's login


def test_a_viewer_of_another_teams_dags_gets_403_for_this_one(
    client: Any, run_id: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The auth manager is asked about this DAG by id: one that keeps it from a team's users gets 403."""
    from airflow.api_fastapi.app import get_auth_manager

    from tests.support.ui_api import bearer

    manager = get_auth_manager()
    allowed = manager.is_authorized_dag
    asked: list[tuple[str, Any]] = []

    def other_teams_dags_only(*, method: str, user: Any, access_entity: Any = None, details: Any = None) -> bool:
        asked.append((details.id, access_entity))
        if user.get_name() == "other_team" and details.id == DAG_ID:
            return False
        return bool(allowed(method=method, user=user, access_entity=access_entity, details=details))

    monkeypatch.setattr(manager, "is_authorized_dag", other_teams_dags_only)
    assert client.get(data_path(run_id), headers=bearer("other_team", "viewer")).status_code == 403
    assert client.get(f"/twilio/ui/runs/{DAG_ID}/{run_id}", headers=bearer("other_team", "viewer")).status_code == 403
    assert client.get(data_path(run_id), headers=bearer("vera", "viewer")).status_code == 200
    assert {dag_id for dag_id, _ in asked} == {DAG_ID}
