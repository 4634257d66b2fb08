"""TwilioSmsNotifier: text people from DAG/task callbacks, HITL and deadline alerts, via the operator's sending core."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace
from datetime import datetime, timezone
from typing import TYPE_CHECKING, Any

from airflow_provider_twilio.notifications.base import TwilioNotifierBase

if TYPE_CHECKING:
    from airflow_provider_twilio.sending.core import SendOutcome


class TwilioSmsNotifier(TwilioNotifierBase):
    """Send ``body`` to ``to`` when a callback fires, e.g. ``on_failure_callback=TwilioSmsNotifier(...)``.

    ``to`` takes the same forms as the operator's. Fields are templated with the callback's context.
    Raises TwilioSendError if any recipient could not be sent to (Airflow logs callback errors),
    including one who replied STOP (status ``opted_out``): an alert that reached nobody must be seen.
    With ``fail_on_opt_out=False`` opted-out recipients are only logged.
    With ``quiet_hours`` (e.g. ``("21:00", "08:00")``), recipients in their local quiet hours are skipped
    and logged: a callback cannot wait for their window (see docs/sending.md, "Quiet hours").
    """

    template_fields: Sequence[str] = ("to", "body", "from_", "messaging_service_sid", "twilio_conn_id")

    def __init__(
        self,
        to: str | Sequence[str],
        body: str,
        from_: str | None = None,
        messaging_service_sid: str | None = None,
        twilio_conn_id: str = "twilio_default",
        *,
        max_concurrency: int = 10,
        quiet_hours: Sequence[str] | None = None,
        fail_on_opt_out: bool = True,
        **kwargs: Any,
    ) -> None:
        from airflow_provider_twilio.sending.options import checked_max_concurrency
        from airflow_provider_twilio.sending.quiet_hours import checked_quiet_hours

        self.to = to
        self.body = body
        self.from_ = from_
        self.messaging_service_sid = messaging_service_sid
        self.twilio_conn_id = twilio_conn_id
        self.max_concurrency = checked_max_concurrency(max_concurrency)
        self.quiet_hours = checked_quiet_hours(quiet_hours)
        self.fail_on_opt_out = fail_on_opt_out
        super().__init__(**kwargs)

    def current_time(self) -> datetime:
        """The clock quiet hours are judged by (aware UTC); a subclass may fix it, e.g. in tests."""
        return datetime.now(timezone.utc)

    def send(self) -> SendOutcome:
        """Send with the already-rendered fields; the sending core is the operator's."""
        # Imported here, not at module level: DAG files import this module on every parse.
        from airflow_provider_twilio.hooks.twilio import TwilioHook
        from airflow_provider_twilio.sending.batch import BatchOptions
        from airflow_provider_twilio.sending.opt_outs import opted_out, opted_out_error
        from airflow_provider_twilio.sending.quiet_waves import QuietWaves
        from airflow_provider_twilio.sending.report import batch_summary
        from airflow_provider_twilio.sending.results import is_skipped
        from airflow_provider_twilio.sending.with_hook import failed_recipients_error, send_through_hook

        quiet = None
        if self.quiet_hours is not None:
            quiet = QuietWaves(self.quiet_hours, "skip", self.current_time())
        fields = {
            "to": self.to,
            "body": self.body,
            "from_": self.from_,
            "messaging_service_sid": self.messaging_service_sid,
        }
        batch, outcome = send_through_hook(
            TwilioHook(twilio_conn_id=self.twilio_conn_id),
            fields,
            BatchOptions(max_concurrency=self.max_concurrency),
            log=self.log,
            narrow=quiet.narrow if quiet is not None else None,
        )
        if quiet is not None:
            outcome = replace(outcome, results=quiet.merge(batch.recipients, outcome.results))
            self.log.info(batch_summary(outcome.results))
            for result in outcome.results:
                if is_skipped(result):
                    self.log.warning("Not sent to %s: %s", result["to"], result["error_message"])
        if outcome.failures:
            raise failed_recipients_error(
                outcome, f"Notification not sent to {len(outcome.failures)} of {len(batch.recipients)} recipient(s)"
            )
        stopped = opted_out(outcome.results)
        if stopped:
            headline = f"Notification not sent to {len(stopped)} recipient(s) who opted out (replied STOP)"
            if self.fail_on_opt_out:
                raise opted_out_error(outcome.results, headline)
            self.log.warning("%s: %s", headline, ", ".join(result["to"] for result in stopped))
        self.log.info("Notification sent: %s", ", ".join(r["sid"] for r in outcome.results if r["sid"]))
        return outcome
