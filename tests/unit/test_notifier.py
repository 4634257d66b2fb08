from __future__ import annotations

import asyncio
from datetime import datetime

import jinja2
import pytest

from airflow_provider_twilio.exceptions import TwilioInputError, TwilioTemplateError
from airflow_provider_twilio.notifications.sms import TwilioSmsNotifier

try:
    from airflow.sdk import DAG
except ImportError:  # Airflow 2.11
    from airflow import DAG  # type: ignore[no-redef,attr-defined]

EMPTY_PORT_URI = "twilio://AC" + "0" * 32 + ":token@127.0.0.1:9/?base_url=http%3A%2F%2F127.0.0.1%3A9"


def test_templated_fields():
    assert set(TwilioSmsNotifier.template_fields) == {"to", "body", "from_", "messaging_service_sid", "twilio_conn_id"}


def test_accepts_the_context_airflow_passes():
    notifier = TwilioSmsNotifier(to="+14155550100", body="x", context={"run_id": "r"})
    assert notifier.context == {"run_id": "r"}
    with pytest.raises(TypeError, match="bogus"):
        TwilioSmsNotifier(to="+14155550100", body="x", bogus=1)


def test_renders_with_the_callback_context():
    notifier = TwilioSmsNotifier(to="{{ params.on_call }}", body="{{ ti.task_id }} failed")
    context = {"dag": None, "params": {"on_call": "+14155550100"}, "ti": type("TI", (), {"task_id": "load"})()}
    notifier.render_template_fields(context)
    assert (notifier.to, notifier.body) == ("+14155550100", "load failed")


def test_one_notifier_renders_each_callback_afresh():
    """default_args share one notifier between tasks; in one process the second alert must not repeat the first."""
    notifier = TwilioSmsNotifier(to="+14155550100", body="{{ ti.task_id }} failed")
    for task_id in ("load", "check"):
        notifier.render_template_fields({"dag": None, "ti": type("TI", (), {"task_id": task_id})()})
        assert notifier.body == f"{task_id} failed"


def test_undefined_variable_is_a_template_error():
    with DAG("n", schedule=None, start_date=datetime(2026, 1, 1), template_undefined=jinja2.StrictUndefined) as dag:
        notifier = TwilioSmsNotifier(to="+14155550100", body="{{ nope }}")
    with pytest.raises(TwilioTemplateError, match="nope"):
        notifier.render_template_fields({"dag": dag})


def test_bad_recipient_is_rejected_before_any_request(monkeypatch):
    monkeypatch.setenv("AIRFLOW_CONN_TWILIO_DEFAULT", EMPTY_PORT_URI)
    notifier = TwilioSmsNotifier(to="0800 FLOWERS", body="x", from_="+15005550006")
    with pytest.raises(TwilioInputError, match=r"E\.164"):
        notifier.notify({})
    with pytest.raises(TwilioInputError, match=r"E\.164"):
        asyncio.run(notifier.async_notify({}))


@pytest.mark.parametrize("value", ["10", None, 0, 1.5, True])
def test_bad_max_concurrency_is_refused_when_the_notifier_is_built(value):
    """Not at send time, when the failure it should report has already happened."""
    with pytest.raises(TwilioInputError, match=r"^max_concurrency: .* is not valid; expected a whole number >= 1"):
        TwilioSmsNotifier(to="+14155550100", body="x", max_concurrency=value)
    assert TwilioSmsNotifier(to="+14155550100", body="x", max_concurrency=3).max_concurrency == 3
