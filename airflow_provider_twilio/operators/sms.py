"""TwilioSendSmsOperator: SMS, MMS and WhatsApp to one or many recipients, fast and never twice."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from airflow_provider_twilio._compat import BaseOperator, BaseOperatorLink

if TYPE_CHECKING:
    from datetime import datetime

    from airflow_provider_twilio.sending.quiet_waves import QuietWaves

CONSOLE_URL_XCOM_KEY = "twilio_console_url"


class TwilioConsoleMessagesLink(BaseOperatorLink):
    """Opens the Twilio Console's message log for the account the task sent from."""

    name = "Twilio Console"

    def get_link(self, operator: Any, *, ti_key: Any) -> str:
        from airflow.providers.common.compat.sdk import XCom

        get_all = getattr(XCom, "get_all", None)
        if callable(get_all) and XCom.__module__.startswith("airflow.sdk"):
            # Airflow 3 asks in the worker as the task ends. A task that sent nothing has no such XCom:
            # list matches (none) rather than pull by key, which the Task SDK logs as an error when missing.
            found = get_all(
                key=CONSOLE_URL_XCOM_KEY, dag_id=ti_key.dag_id, task_id=ti_key.task_id, run_id=ti_key.run_id
            )
            url = found[0] if found else None
        else:
            url = XCom.get_value(ti_key=ti_key, key=CONSOLE_URL_XCOM_KEY)
        return url if isinstance(url, str) else ""


class TwilioSendSmsOperator(BaseOperator):
    """Send one message to each recipient and return a result per recipient (XCom ``return_value``).

    :param to: a number, a list, or a string of several (comma/semicolon/space separated or a JSON
        list, as a rendered ``xcom_pull`` gives). E.164 numbers or ``whatsapp:+E164``. Sent once each.
    :param body: message text, or a ``.txt``/``.j2`` template file.
    :param from_: sender number (or alphanumeric ID); else ``messaging_service_sid``; else the
        connection's ``default_from`` / ``default_messaging_service_sid``.
    :param media_url: up to 10 http(s) URLs (MMS / WhatsApp media).
    :param content_sid: a Content template (``HX...``), filled from ``content_variables`` (JSON object).
    :param max_segments: refuse a body that needs more segments than this.
    :param fail_on_error: after sending to everyone possible, fail the task naming the failed
        recipients; if False the task succeeds and the results carry the errors.
    :param fail_on_opt_out: fail the task if a recipient replied STOP (Twilio's 21610, status
        ``opted_out``); by default they are reported ("37 opted out") and the task succeeds.
    :param deduplicate: on try 2+, skip recipients this DAG run already sent this message to.
    :param max_concurrency: requests in flight at once (use an Airflow pool to bound it across tasks).
    :param max_rate: at most this many messages per second.
    :param commit_grace_period: after a timeout, dropped connection or 5xx, seconds to keep reading the
        message log for a message Twilio stores late before sending again (default 10; see docs/sending.md).
    :param quiet_hours: e.g. ``("21:00", "08:00")``: no text reaches a recipient during these local hours
        (local time from the number's country and region, the most cautious zone where it has several).
    :param quiet_hours_policy: ``"defer"`` (default): send to everyone whose window is open, then defer,
        freeing the worker slot, until the next window opens, in waves; ``"skip"``: report quiet
        recipients as skipped (``error_type`` ``QUIET_HOURS``). See docs/sending.md, "Quiet hours".
    :param lookup: ``"line_type"`` looks each SMS number up (Twilio Lookup v2) first and skips landlines and
        other types that cannot take a text (status ``skipped``, ``error_type`` ``LINE_TYPE``); once per
        number per DAG run, ``max_concurrency`` at a time. See docs/sending.md, "Number hygiene".
    :param price_per_segment: a price, or a map from ISO country (``"US"``), calling code (``"44"``) or ``"*"``
        to a price, for the cost estimate logged before sending.
    :param max_total_segments: refuse the whole batch, before any request, if it needs more segments.
    :param max_cost: refuse the whole batch, before any request, if its estimated cost is higher.
    :param max_price: passed to Twilio as ``MaxPrice`` with every message (obsolete at Twilio since June 2024).
    """

    template_fields: Sequence[str] = (
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
    )
    template_ext: Sequence[str] = (".txt", ".j2")
    template_fields_renderers = {"body": "txt", "content_variables": "json"}
    operator_extra_links = (TwilioConsoleMessagesLink(),)
    ui_color = "#f22f46"
    ui_fgcolor = "#ffffff"

    def __init__(
        self,
        *,
        to: str | Sequence[str],
        body: str | None = None,
        from_: str | None = None,
        messaging_service_sid: str | None = None,
        media_url: str | Sequence[str] | None = None,
        content_sid: str | None = None,
        content_variables: str | dict[str, Any] | None = None,
        status_callback: str | None = None,
        validity_period: int | None = None,
        send_at: Any = None,
        shorten_urls: bool | None = None,
        max_segments: int | None = None,
        fail_on_error: bool = True,
        fail_on_opt_out: bool = False,
        deduplicate: bool = True,
        max_concurrency: int = 10,
        max_rate: float | None = None,
        commit_grace_period: float | None = None,
        quiet_hours: Sequence[str] | None = None,
        quiet_hours_policy: str = "defer",
        lookup: str | None = None,
        price_per_segment: float | dict[str, float] | None = None,
        max_total_segments: int | None = None,
        max_cost: float | None = None,
        max_price: float | None = None,
        twilio_conn_id: str = "twilio_default",
        **kwargs: Any,
    ) -> None:
        from airflow_provider_twilio.sending.hygiene import checked_hygiene_and_budget
        from airflow_provider_twilio.sending.options import (
            checked_commit_grace_period,
            checked_max_concurrency,
            checked_max_rate,
        )
        from airflow_provider_twilio.sending.quiet_hours import checked_policy, checked_quiet_hours

        super().__init__(**kwargs)
        self.to = to
        self.body = body
        self.from_ = from_
        self.messaging_service_sid = messaging_service_sid
        self.media_url = media_url
        self.content_sid = content_sid
        self.content_variables = content_variables
        self.status_callback = status_callback
        self.validity_period = validity_period
        self.send_at = send_at
        self.shorten_urls = shorten_urls
        self.max_segments = max_segments
        self.fail_on_error = fail_on_error
        self.fail_on_opt_out = fail_on_opt_out
        self.deduplicate = deduplicate
        self.max_concurrency = checked_max_concurrency(max_concurrency)
        self.max_rate = checked_max_rate(max_rate)
        self.commit_grace_period = checked_commit_grace_period(commit_grace_period)
        self.quiet_hours = checked_quiet_hours(quiet_hours)
        self.quiet_hours_policy = checked_policy(quiet_hours_policy)
        self.lookup, self.budget = checked_hygiene_and_budget(
            lookup=lookup,
            price_per_segment=price_per_segment,
            max_total_segments=max_total_segments,
            max_cost=max_cost,
            max_price=max_price,
        )
        self.twilio_conn_id = twilio_conn_id

    def render_template_fields(self, context: Any, jinja_env: Any = None) -> None:
        from airflow_provider_twilio.run_context import rendering_template_errors

        rendering_template_errors(
            lambda: super(TwilioSendSmsOperator, self).render_template_fields(context, jinja_env),
            f"Task {self.task_id!r}",
        )

    def current_time(self) -> datetime:
        """The clock quiet hours are judged by (aware UTC); a subclass may fix it, e.g. in tests."""
        from datetime import datetime, timezone

        return datetime.now(timezone.utc)

    def execute(self, context: Any) -> list[dict[str, Any]]:
        return self._send_wave(context, None)

    def execute_after_quiet_hours(self, context: Any, event: Any = None) -> list[dict[str, Any]]:
        """The next wave, once a deferral for quiet hours ends: resumes from the waves recorded in XCom."""
        from airflow_provider_twilio.operators.quiet_waves import resumed_waves

        return self._send_wave(context, resumed_waves(self, context))

    def _send_wave(self, context: Any, waves: QuietWaves | None) -> list[dict[str, Any]]:
        # The sending core is imported here, not at module level: DAG files import this module on every parse.
        from airflow_provider_twilio.hooks.twilio import TwilioHook
        from airflow_provider_twilio.operators.quiet_waves import defer_if_more_waves, first_waves
        from airflow_provider_twilio.retry import RetryPolicy
        from airflow_provider_twilio.sending.batch import BatchOptions
        from airflow_provider_twilio.sending.hygiene import line_type_screen
        from airflow_provider_twilio.sending.results import summarize_failures
        from airflow_provider_twilio.sending.with_hook import failed_recipients_error, send_through_hook

        hook = TwilioHook(twilio_conn_id=self.twilio_conn_id)
        waves = first_waves(self) if waves is None else waves
        fields = {
            "to": self.to,
            "body": self.body,
            "from_": self.from_,
            "messaging_service_sid": self.messaging_service_sid,
            "media_url": self.media_url,
            "content_sid": self.content_sid,
            "content_variables": self.content_variables,
            "status_callback": self.status_callback,
            "validity_period": self.validity_period,
            "send_at": self.send_at,
            "shorten_urls": self.shorten_urls,
            "max_segments": self.max_segments,
            "max_price": self.budget.max_price,
        }
        grace = self.commit_grace_period
        retry = RetryPolicy() if grace is None else RetryPolicy(commit_grace=grace)
        batch, outcome = send_through_hook(
            hook,
            fields,
            BatchOptions(
                max_concurrency=self.max_concurrency,
                max_rate=self.max_rate,
                retry=retry,
            ),
            dedupe_since=self._dedupe_since(context),
            log=self.log,
            narrow=waves.narrow if waves else None,
            budget=self.budget,
            screen=line_type_screen(self.lookup, context, self.max_concurrency, retry, self.log),
        )
        ti = context["ti"]
        ti.xcom_push(key=CONSOLE_URL_XCOM_KEY, value=hook.settings.console_messages_url)
        if waves is not None:
            outcome = defer_if_more_waves(self, context, batch, outcome, waves)
        failures = outcome.failures
        if failures:
            self.log.warning(
                "%d of %d recipient(s) failed:\n%s", len(failures), len(batch.recipients), summarize_failures(failures)
            )
            if self.fail_on_error:
                ti.xcom_push(key="return_value", value=outcome.results)
                raise failed_recipients_error(
                    outcome, f"{len(failures)} of {len(batch.recipients)} recipient(s) could not be sent to"
                )
        self._check_opt_outs(outcome.results, ti)
        return outcome.results

    def _check_opt_outs(self, results: list[dict[str, Any]], ti: Any) -> None:
        """Opted-out recipients are reported, never retried; they fail the task only with ``fail_on_opt_out``."""
        from airflow_provider_twilio.sending.opt_outs import opted_out, opted_out_error

        stopped = opted_out(results)
        if not stopped:
            return
        headline = f"{len(stopped)} of {len(results)} recipient(s) opted out (replied STOP) and were not texted"
        self.log.warning("%s: %s", headline, ", ".join(result["to"] for result in stopped[:20]))
        if self.fail_on_opt_out:
            ti.xcom_push(key="return_value", value=results)
            raise opted_out_error(results, headline)

    def _dedupe_since(self, context: Any) -> datetime | None:
        from airflow_provider_twilio.run_context import run_window_start, try_number

        if not self.deduplicate or try_number(context) <= 1:
            return None
        since = run_window_start(context)
        if since is None:
            self.log.warning(
                "Try %d: the DAG run has no start date, so earlier sends cannot be skipped", try_number(context)
            )
        else:
            self.log.info(
                "Try %d: checking the message log since %s for recipients already sent this message",
                try_number(context),
                since.isoformat(),
            )
        return since
