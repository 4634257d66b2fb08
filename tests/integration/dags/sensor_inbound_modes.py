"""One reply-gated DAG per sensor mode (poke, reschedule, deferrable) for the integration tests.

``inject`` plays the people texting in, through the emulator's control endpoint named in the run's
conf; ``wait`` is the sensor under test; ``record`` saves what the sensor pushed for the test to read.
"""

from __future__ import annotations

import json
import urllib.request
from datetime import datetime, timezone
from typing import Any

from airflow.providers.common.compat.sdk import DAG, task

from airflow_provider_twilio.sensors.sms import TwilioInboundSmsSensor

PATTERN = r"^(?P<answer>YES|NO) (?P<code>\d{4})(?P<rest>.*)$"
ECHO = "Confirmed ${answer} for ${code}:${rest} (${2})"
ECHO_ERROR = "Sorry, '${body}' is not an answer. Reply YES or NO and the code."


@task
def inject(**context: Any) -> None:
    conf = context["dag_run"].conf
    for message in conf.get("inject", []):
        request = urllib.request.Request(
            conf["emulator"] + "/_emulator/inbound",
            data=json.dumps(message).encode(),
            headers={"Content-Type": "application/json"},
            method="POST",
        )
        with urllib.request.urlopen(request, timeout=10) as response:
            response.read()


@task
def record(**context: Any) -> None:
    ti = context["ti"]
    saved = {
        "return_value": ti.xcom_pull(task_ids="wait"),
        "match_groups": ti.xcom_pull(task_ids="wait", key="match_groups"),
    }
    with open(context["dag_run"].conf["out"], "w") as out:
        json.dump(saved, out)


def reply_gated_dag(mode: str) -> DAG:
    with DAG(
        dag_id=f"sensor_inbound_{mode}",
        schedule=None,
        start_date=datetime(2026, 1, 1, tzinfo=timezone.utc),
        catchup=False,
        tags=["test"],
    ) as dag:
        wait = TwilioInboundSmsSensor(
            task_id="wait",
            pattern=PATTERN,
            from_="{{ dag_run.conf['from_'] }}",
            echo=ECHO,
            echo_error=ECHO_ERROR,
            mode="reschedule" if mode == "reschedule" else "poke",
            deferrable=mode == "deferrable",
            poke_interval=0.3,
            timeout=60,
        )
        inject() >> wait >> record()
    return dag


poke_dag = reply_gated_dag("poke")
reschedule_dag = reply_gated_dag("reschedule")
deferrable_dag = reply_gated_dag("deferrable")
