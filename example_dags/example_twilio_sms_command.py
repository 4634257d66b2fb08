"""Start work by SMS: a text "RUN <job>" starts a run, which answers "Started <job>: run <run_id>".

Airflow 3 only: it needs asset watchers. TwilioInboundSmsEventTrigger watches the connection's
``default_from`` number. Each text that matches becomes an asset event whose payload holds the message
and its match groups; the run reads them from ``triggering_asset_events`` and acknowledges each
sender through TwilioSendSmsOperator. Texts that arrive between two scheduler loops start one run
together, so the run answers every text that started it.

The job name comes from a stranger's text: the pattern only lets letters, digits, ``_`` and ``-``
through, and the text is never rendered as a template.

Like every new DAG it starts paused, and its watcher polls only while the DAG is unpaused: start it
with ``airflow dags unpause example_twilio_sms_command`` or the toggle in the UI.
"""

from __future__ import annotations

import datetime
from typing import Any

from airflow_provider_twilio.triggers.events import EVENT_TRIGGERS_AVAILABLE

COMMAND_PATTERN = r"^RUN (?P<job>[\w-]+)$"

if EVENT_TRIGGERS_AVAILABLE:  # Airflow 2 has no asset watchers: there is nothing to define there
    from airflow.sdk import DAG, Asset, AssetWatcher, task

    from airflow_provider_twilio.operators.sms import TwilioSendSmsOperator
    from airflow_provider_twilio.triggers.sms import TwilioInboundSmsEventTrigger

    sms_commands = Asset(
        "sms_commands",
        watchers=[AssetWatcher(name="sms_commands", trigger=TwilioInboundSmsEventTrigger(pattern=COMMAND_PATTERN))],
    )

    with DAG(
        dag_id="example_twilio_sms_command",
        schedule=[sms_commands],
        start_date=datetime.datetime(2025, 1, 1, tzinfo=datetime.timezone.utc),
        catchup=False,
        tags=["example", "twilio"],
        doc_md=__doc__,
    ):

        @task
        def acknowledgements(triggering_asset_events: Any = None, run_id: str | None = None) -> list[dict[str, str]]:
            """One answer per text that started this run, to its sender."""
            answers = []
            for event in triggering_asset_events[sms_commands]:
                text = event.extra["payload"]
                answers.append({"to": text["from"], "body": f"Started {text['match_groups']['job']}: run {run_id}"})
            return answers

        TwilioSendSmsOperator.partial(task_id="acknowledge").expand_kwargs(acknowledgements())
