"""A real Airflow 3.3 deployment for HITL-by-text tests: api-server (two workers) with the plugin, scheduler,
dag-processor, the DAGs of ``tests/e2e/hitl_dags`` and ``example_dags/example_twilio_hitl.py``, and the
emulator texting the api-server's webhook.
"""

from __future__ import annotations

import json
import subprocess
import sys
import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from airflow_provider_twilio.emulator import TwilioEmulator
from tests.support.airflow_processes import AirflowStack

DAGS = Path(__file__).resolve().parents[1] / "e2e" / "hitl_dags"
EXAMPLE = Path(__file__).resolve().parents[2] / "example_dags" / "example_twilio_hitl.py"
NUMBER = "+15005550006"
SMS_PATH = "/twilio/twilio_default/sms"


class HitlStack(AirflowStack):
    """An ``AirflowStack`` whose api-server has two workers: copies of one webhook can reach either."""

    def start(self, name: str) -> None:
        if name != "api-server":
            super().start(name)
            return
        log = self.home / "api-server.0.log"
        self.logs.setdefault(name, []).append(log)
        args = ["api-server", "-H", "127.0.0.1", "-p", str(self.api_port), "-w", "2"]
        with log.open("wb") as out:
            self.processes[name] = subprocess.Popen(
                [sys.executable, "-m", "airflow", *args],
                env=self.env,
                cwd=self.home,
                stdout=out,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        self.wait_for(self._api_up, "the api-server to answer")

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.api_port}"

    # ---- REST, as the UI uses it (the simple auth manager makes everyone an admin) -------------

    def rest(self, method: str, path: str, body: dict[str, Any]) -> tuple[int, Any]:
        request = urllib.request.Request(
            f"{self.base_url}/api/v2{path}",
            data=json.dumps(body).encode(),
            headers={"Content-Type": "application/json"},
            method=method,
        )
        try:
            with urllib.request.urlopen(request, timeout=60) as response:
                return int(response.status), json.loads(response.read() or b"null")
        except urllib.error.HTTPError as err:
            return int(err.code), err.read().decode(errors="replace")

    def trigger(self, dag_id: str) -> str:
        self.wait_for(lambda: self.query("SELECT 1 FROM serialized_dag WHERE dag_id = ?", dag_id), f"{dag_id} parsed")
        status, run = self.rest("POST", f"/dags/{dag_id}/dagRuns", {"logical_date": None})
        assert status == 200, f"{status} {run}"
        return str(run["dag_run_id"])

    # ---- the metadata DB -------------------------------------------------------------------------

    def ti_state(self, dag_id: str, run_id: str, task_id: str) -> str | None:
        rows = self.query(
            "SELECT state FROM task_instance WHERE dag_id = ? AND run_id = ? AND task_id = ?", dag_id, run_id, task_id
        )
        return rows[0][0] if rows else None

    def hitl_response(self, dag_id: str, run_id: str, task_id: str) -> tuple[Any, Any]:
        """(responded_by, chosen_options) of the task's HITL detail, as JSON values."""
        ((by, chosen),) = self.query(
            "SELECT h.responded_by, h.chosen_options FROM hitl_detail h JOIN task_instance t ON t.id = h.ti_id "
            "WHERE t.dag_id = ? AND t.run_id = ? AND t.task_id = ?",
            dag_id,
            run_id,
            task_id,
        )
        return (json.loads(by) if by else None), (json.loads(chosen) if chosen else None)


def texts_to(emulator: TwilioEmulator, phone: str) -> list[str]:
    """The bodies texted to ``phone``, oldest first."""
    return [m["body"] for m in reversed(emulator.messages()) if m["to"] == phone and m["direction"] != "inbound"]


def hitl_stack(home: Path, session_db: Path, emulator: TwilioEmulator) -> Iterator[HitlStack]:
    """Start the deployment with ``twilio_default`` on the emulator and the number's SmsUrl on the api-server."""
    from tests.support.emulator import sdk_client

    stack = HitlStack(home, session_db, [*sorted(DAGS.glob("*.py")), EXAMPLE], {})
    try:
        extras = {"base_url": emulator.base_url, "default_from": NUMBER, "webhook_base_url": stack.base_url}
        connection = {"conn_type": "twilio", "login": emulator.account_sid, "password": emulator.auth_token}
        stack.env["AIRFLOW_CONN_TWILIO_DEFAULT"] = json.dumps({**connection, "extra": extras})
        stack.env["AIRFLOW__CORE__SIMPLE_AUTH_MANAGER_ALL_ADMINS"] = "True"
        stack.env["AIRFLOW__API__BASE_URL"] = stack.base_url
        for name in ("api-server", "dag-processor", "scheduler"):
            stack.start(name)
        client = sdk_client(emulator)
        (number,) = client.incoming_phone_numbers.list(phone_number=NUMBER)
        client.incoming_phone_numbers(number.sid).update(sms_url=stack.base_url + SMS_PATH)
        yield stack
    finally:
        stack.stop_all()
