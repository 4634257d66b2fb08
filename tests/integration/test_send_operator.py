"""TwilioSendSmsOperator with the real SDK over HTTP against the emulator.

These call ``execute`` with a small stand-in for the task context (``ti`` and ``dag_run``) so
each case stays fast; test_send_dag.py runs the same operator under ``dag.test()``, including the
worker killed halfway and the retried try.
"""

from __future__ import annotations

from datetime import datetime, timezone
from typing import Any
from urllib.parse import quote

import pytest

from airflow_provider_twilio.exceptions import ErrorType, TwilioSendError
from airflow_provider_twilio.operators.sms import CONSOLE_URL_XCOM_KEY
from tests.support.task_context import context, operator, outbound

SID_PREFIX = "SM"


def test_sends_to_each_recipient_once_and_returns_results_in_order(twilio_emulator: Any) -> None:
    ctx = context()
    results = operator(to="+15551230002; +15551230001, +15551230002").execute(ctx)

    assert [r["to"] for r in results] == ["+15551230002", "+15551230001"]
    stored = {m["sid"]: m for m in outbound(twilio_emulator)}
    assert len(stored) == 2
    for result in results:
        message = stored[result["sid"]]
        assert message["to"] == result["to"] and message["from"] == "+15005550006"
        assert result["num_segments"] == 1 and result["error_type"] is None
    assert ctx["ti"].xcom[CONSOLE_URL_XCOM_KEY].startswith("https://console.twilio.com/")
    # Try 1 reconciles nothing and looks nothing up: one read of the recent log, From-filtered, records
    # which identical messages existed before the attempts.
    reads = [e for e in twilio_emulator.request_log() if e["method"] == "GET"]
    assert len(reads) == 1 and "To=" not in reads[0]["query"] and "From=%2B15005550006" in reads[0]["query"]


def test_rejections_are_named_and_returned_when_not_failing(twilio_emulator: Any) -> None:
    to = ["+15551230001", "+15005550001", "+15005550002", "+15005550003", "+15005550004", "+15005550009"]
    results = operator(to=to, fail_on_error=False).execute(context())

    by_to = {r["to"]: r for r in results}
    assert by_to["+15551230001"]["sid"].startswith(SID_PREFIX)
    expected = {
        "+15005550001": (21211, ErrorType.INVALID_TO_PHONE_NUMBER_ERROR),
        "+15005550002": (21612, ErrorType.INVALID_TO_PHONE_NUMBER_ERROR),
        "+15005550003": (21408, ErrorType.INVALID_REGION_TO_PHONE_NUMBER_ERROR),
        "+15005550004": (21610, ErrorType.RECIPIENT_OPTED_OUT_ERROR),
        "+15005550009": (21614, ErrorType.INVALID_TO_PHONE_NUMBER_ERROR),
    }
    for number, (code, kind) in expected.items():
        assert (by_to[number]["error_code"], by_to[number]["error_type"]) == (code, kind.value)
        assert by_to[number]["sid"] is None and by_to[number]["error_message"]


def test_fail_on_error_sends_to_the_others_pushes_results_then_fails(twilio_emulator: Any) -> None:
    ctx = context()
    with pytest.raises(TwilioSendError) as info:
        # 21610 (the recipient replied STOP) fails the task only when asked: see test_opt_outs.py.
        operator(to=["+15551230001", "+15005550004", "+15551230002"], fail_on_opt_out=True).execute(ctx)

    error = info.value
    assert "1 of 3" in str(error) and "+15005550004" in str(error) and "RECIPIENT_OPTED_OUT_ERROR" in str(error)
    assert error.error_type is ErrorType.RECIPIENT_OPTED_OUT_ERROR and error.code == 21610
    assert ctx["ti"].xcom["return_value"] == error.results
    assert sorted(m["to"] for m in outbound(twilio_emulator)) == ["+15551230001", "+15551230002"]


@pytest.mark.parametrize(
    ("sender", "code", "kind"),
    [
        ("+15005550001", 21212, ErrorType.INVALID_FROM_PHONE_NUMBER_ERROR),
        ("+15005550007", 21606, ErrorType.INVALID_FROM_PHONE_NUMBER_ERROR),
        ("+15005550008", 21611, ErrorType.QUEUE_FULL),
    ],
)
def test_sender_errors(twilio_emulator: Any, sender: str, code: int, kind: ErrorType) -> None:
    results = operator(to=["+15551230001", "+15551230002"], from_=sender, fail_on_error=False).execute(context())
    assert {(r["error_code"], r["error_type"]) for r in results} == {(code, kind.value)}


def test_authentication_failure_stops_the_batch(twilio_emulator: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    uri = twilio_emulator.connection_uri.replace(quote(twilio_emulator.auth_token, safe=""), "wrong-token")
    monkeypatch.setenv("AIRFLOW_CONN_TWILIO_DEFAULT", uri)
    recipients = [f"+1555123{i:04d}" for i in range(50)]

    with pytest.raises(TwilioSendError) as info:
        operator(to=recipients, max_concurrency=1).execute(context())

    assert info.value.error_type is ErrorType.AUTHENTICATION_CONNECTION_ERROR
    assert len(info.value.results) == 50
    assert len([e for e in twilio_emulator.request_log() if e["method"] == "POST"]) == 1
    assert twilio_emulator.auth_token not in str(info.value)


def test_whatsapp_media_and_options_reach_twilio(twilio_emulator: Any) -> None:
    results = operator(
        to="whatsapp:+15551230001",
        body="Your order shipped",
        media_url=["https://example.com/label.png"],
        status_callback="https://hooks.example.com/status",
        validity_period=600,
    ).execute(context())

    message = next(m for m in outbound(twilio_emulator) if m["sid"] == results[0]["sid"])
    assert message["to"] == "whatsapp:+15551230001" and message["from"] == "whatsapp:+15005550006"
    assert message["num_media"] == "1"


def test_invalid_input_sends_nothing(twilio_emulator: Any) -> None:
    from airflow_provider_twilio.exceptions import TwilioInputError

    with pytest.raises(TwilioInputError, match=r"to\[1\]: '\+1555'"):
        operator(to=["+15551230001", "+1555"]).execute(context())
    assert not twilio_emulator.request_log()


def test_retry_skips_recipients_the_first_try_reached(twilio_emulator: Any) -> None:
    run_start = datetime.now(timezone.utc)
    first = operator(to=["+15551230001", "+15551230002"]).execute(context(1, run_start))
    second = operator(to=["+15551230001", "+15551230002", "+15551230003"]).execute(context(2, run_start))

    assert [m["to"] for m in outbound(twilio_emulator)].count("+15551230001") == 1
    assert len(outbound(twilio_emulator)) == 3
    assert [r["sid"] for r in second[:2]] == [r["sid"] for r in first]


def test_retry_without_deduplicate_sends_again(twilio_emulator: Any) -> None:
    run_start = datetime.now(timezone.utc)
    operator(to="+15551230001").execute(context(1, run_start))
    operator(to="+15551230001", deduplicate=False).execute(context(2, run_start))
    assert len(outbound(twilio_emulator)) == 2


def test_content_template_to_whatsapp(twilio_emulator: Any) -> None:
    content_sid = "HX" + "0123456789abcdef" * 2
    results = operator(
        to="whatsapp:+15551230001", body=None, content_sid=content_sid, content_variables={"1": "Ana", "2": "9:30"}
    ).execute(context())
    message = next(m for m in outbound(twilio_emulator) if m["sid"] == results[0]["sid"])
    assert message["to"] == "whatsapp:+15551230001"


def test_dropped_connection_after_commit_is_recovered_from_the_log(twilio_emulator: Any) -> None:
    """Every create commits and then the connection drops: each SID must come from the message log."""
    twilio_emulator.configure(fail_after_commit=1.0)
    recipients = [f"+1555123{i:04d}" for i in range(5)]
    results = operator(to=recipients).execute(context())
    twilio_emulator.configure(fail_after_commit=0)

    messages = outbound(twilio_emulator)
    assert sorted(m["to"] for m in messages) == recipients
    assert {r["to"]: r["sid"] for r in results} == {m["to"]: m["sid"] for m in messages}
    posts = [e for e in twilio_emulator.request_log() if e["method"] == "POST"]
    assert len(posts) == 5 and all(e.get("dropped") or e["status"] >= 500 for e in posts)


@pytest.mark.parametrize(
    ("kwargs", "error"),
    [
        ({"to": ["whatsapp:+15551230001", "+15551230002"], "from_": "whatsapp:+15005550006"}, "21910"),
        ({"to": ["+15551230001", "whatsapp:+15551230002"], "from_": "ACME"}, "alphanumeric sender ID"),
        ({"to": ["+15551230001", "+15005550006"]}, "21266"),
        ({"to": "+15551230001", "media_url": 5}, "media_url: expected a URL or a list"),
        ({"to": "+15551230001", "media_url": {"https://example.com/a.png": "x"}}, "got dict"),
        ({"to": "+15551230001", "body": "half an emoji \ud83d"}, "lone surrogate"),
        ({"to": [[[[[[[[[["+15551230001"]]]]]]]]]]}, "nested more than 8 deep"),
    ],
    ids=["whatsapp-to-sms", "alphanumeric-to-whatsapp", "to-is-sender", "media-int", "media-dict", "surrogate", "deep"],
)
def test_every_invalid_pairing_and_value_is_refused_before_any_request(
    twilio_emulator: Any, kwargs: dict[str, Any], error: str
) -> None:
    from airflow_provider_twilio.exceptions import TwilioInputError

    with pytest.raises(TwilioInputError, match=error):
        operator(**kwargs).execute(context())
    assert not twilio_emulator.request_log()


@pytest.mark.parametrize("code", ["89898", "898989"])
def test_short_code_sender(twilio_emulator: Any, code: str) -> None:
    results = operator(to="+15551230001", from_=code).execute(context())
    assert results[0]["error_code"] is None and results[0]["sid"].startswith(SID_PREFIX)
    assert [m["from"] for m in outbound(twilio_emulator)] == [code]


def test_late_commits_after_the_client_timed_out_leave_one_message_per_recipient(
    twilio_emulator: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A tenth of the creates are stored only after the connection's timeout, unanswered: the grace
    period's log reads must find every one of them instead of sending again."""
    monkeypatch.setenv("AIRFLOW_CONN_TWILIO_DEFAULT", twilio_emulator.connection_uri + "&timeout=0.5")
    recipients = [f"+1415666{i:04d}" for i in range(1000)]
    twilio_emulator.configure(late_commit=0.1, late_commit_delay=1.0, seed=11)

    results = operator(to=recipients, body="Road closed", commit_grace_period=2).execute(context())

    twilio_emulator.configure(late_commit=0)
    messages = outbound(twilio_emulator)
    assert sorted(m["to"] for m in messages) == recipients  # exactly one message per recipient
    assert {r["to"]: r["sid"] for r in results} == {m["to"]: m["sid"] for m in messages}
    assert all(r["error_type"] is None for r in results)
    late = [e for e in twilio_emulator.request_log() if e["method"] == "POST" and e.get("dropped")]
    assert len(late) >= 50  # the fault fired (about 100 times with this seed)


@pytest.mark.parametrize("deduplicate", [True, False])
def test_a_failed_send_never_claims_an_identical_alert_sent_a_moment_before(
    twilio_emulator: Any, deduplicate: bool
) -> None:
    """Two alerts with the same words to the same person, a moment apart; the second's create gets a 500
    with nothing stored. It must go out, not be reported as sent with the first one's SID."""
    first = operator(to="+15551230001", body="Disk full on db1").execute(context())
    twilio_emulator.configure(fail_before_commit=0.5, seed=1)  # with seed 1: the next create fails, then one passes

    second = operator(
        to="+15551230001", body="Disk full on db1", deduplicate=deduplicate, commit_grace_period=0
    ).execute(context())

    messages = outbound(twilio_emulator)
    assert len(messages) == 2 and {m["body"] for m in messages} == {"Disk full on db1"}
    assert second[0]["sid"] != first[0]["sid"]
    assert {second[0]["sid"], first[0]["sid"]} == {m["sid"] for m in messages}
    assert [e["status"] for e in twilio_emulator.request_log() if e["method"] == "POST"] == [201, 500, 201]
