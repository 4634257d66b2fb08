from __future__ import annotations

import re
from datetime import datetime, timezone
from types import SimpleNamespace

import jinja2
import pytest

from airflow_provider_twilio.exceptions import ErrorType, TwilioInputError, TwilioTemplateError
from airflow_provider_twilio.operators.sms import TwilioConsoleMessagesLink, TwilioSendSmsOperator
from airflow_provider_twilio.run_context import run_window_start, try_number

try:
    from airflow.sdk import DAG
except ImportError:  # Airflow 2.11
    from airflow import DAG  # type: ignore[no-redef,attr-defined]


def make_dag(**kwargs):
    return DAG("send_unit", schedule=None, start_date=datetime(2026, 1, 1), **kwargs)


def test_interface():
    assert set(TwilioSendSmsOperator.template_fields) == {
        "to",
        "body",
        "from_",
        "messaging_service_sid",
        "media_url",
        "content_sid",
        "content_variables",
        "status_callback",
        "send_at",
        "twilio_conn_id",
    }
    assert TwilioSendSmsOperator.template_ext == (".txt", ".j2")
    assert any(isinstance(link, TwilioConsoleMessagesLink) for link in TwilioSendSmsOperator.operator_extra_links)
    assert TwilioConsoleMessagesLink().name == "Twilio Console"
    op = TwilioSendSmsOperator(task_id="t", to="+14155550100", body="x")
    assert (op.fail_on_error, op.deduplicate, op.max_concurrency, op.max_rate) == (True, True, 10, None)
    assert op.twilio_conn_id == "twilio_default"


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("max_concurrency", 0),
        ("max_concurrency", 2.5),
        ("max_concurrency", "10"),
        ("max_concurrency", None),
        ("max_rate", 0),
        ("max_rate", "5"),
        ("max_rate", float("nan")),
        ("max_rate", True),
        ("commit_grace_period", -1),
        ("commit_grace_period", "10"),
        ("commit_grace_period", float("nan")),
        ("commit_grace_period", 601),
    ],
)
def test_bad_concurrency_settings(field, value):
    with pytest.raises(TwilioInputError, match=rf"^{field}: {re.escape(repr(value))} \(\w+\) is not valid; expected"):
        TwilioSendSmsOperator(task_id="t", to="+14155550100", body="x", **{field: value})


def test_fields_render_and_body_can_be_a_template_file(tmp_path):
    (tmp_path / "alert.txt").write_text("Run {{ params.run }} failed")
    with make_dag(template_searchpath=[str(tmp_path)], params={"run": "r1"}) as dag:
        op = TwilioSendSmsOperator(task_id="t", to="{{ params.to }}", body="alert.txt")
    op.resolve_template_files()
    op.render_template_fields({"params": {"run": "r1", "to": "+14155550100"}, "dag": dag})
    assert (op.to, op.body) == ("+14155550100", "Run r1 failed")


def test_undefined_template_variable_is_a_template_error():
    with make_dag(template_undefined=jinja2.StrictUndefined) as dag:
        op = TwilioSendSmsOperator(task_id="t", to="+14155550100", body="Hi {{ params.missing_name }}")
    with pytest.raises(TwilioTemplateError, match="missing_name") as info:
        op.render_template_fields({"params": {}, "dag": dag})
    assert info.value.error_type is ErrorType.TEMPLATE_ERROR


def test_context_helpers():
    start = datetime(2026, 5, 1, 12, tzinfo=timezone.utc)
    assert try_number({"ti": SimpleNamespace(try_number=3)}) == 3
    assert try_number({}) == 1
    assert run_window_start({"dag_run": SimpleNamespace(start_date=start)}) == start
    naive = datetime(2026, 5, 1, 12)
    assert run_window_start({"dag_run": SimpleNamespace(start_date=None, queued_at=naive)}) == start
    assert run_window_start({}) is None


def test_deduplication_costs_nothing_on_try_one():
    op = TwilioSendSmsOperator(task_id="t", to="+14155550100", body="x")
    start = datetime(2026, 5, 1, 12, tzinfo=timezone.utc)
    ctx = {"ti": SimpleNamespace(try_number=1), "dag_run": SimpleNamespace(start_date=start)}
    assert op._dedupe_since(ctx) is None
    ctx["ti"].try_number = 2
    assert op._dedupe_since(ctx) == start
    op.deduplicate = False
    assert op._dedupe_since(ctx) is None
