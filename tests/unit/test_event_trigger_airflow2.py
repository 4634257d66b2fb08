"""On Airflow 2.11 the event trigger's module imports, and building the trigger says why it cannot be."""

from __future__ import annotations

import pytest

from airflow_provider_twilio.triggers.events import EVENT_TRIGGERS_AVAILABLE

pytestmark = pytest.mark.skipif(
    EVENT_TRIGGERS_AVAILABLE,
    reason="this Airflow has event triggers: tests/integration/test_event_trigger.py covers it",
)


def test_the_trigger_imports_but_refuses_to_be_built_without_asset_watchers() -> None:
    from airflow_provider_twilio._compat import AirflowException
    from airflow_provider_twilio.triggers.sms import TwilioInboundSmsEventTrigger, TwilioInboundSmsTrigger

    assert TwilioInboundSmsTrigger is not None  # the module's Airflow 2 triggers are unaffected
    with pytest.raises(AirflowException, match="needs Airflow 3"):
        TwilioInboundSmsEventTrigger(to="+15005550006", pattern="^RUN")


def test_the_example_defines_no_dag_on_airflow_2() -> None:
    import runpy
    from pathlib import Path

    example = Path(__file__).resolve().parents[2] / "example_dags" / "example_twilio_sms_command.py"
    namespace = runpy.run_path(str(example))
    assert "sms_commands" not in namespace
