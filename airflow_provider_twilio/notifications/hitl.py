"""TwilioHITLNotifier: text Airflow's own human-in-the-loop requests to people who can answer them by reply.

Use it in ``notifiers=[...]`` of ``HITLOperator``, ``ApprovalOperator``, ``HITLBranchOperator`` or
``HITLEntryOperator`` (Airflow 3.1+). The answer comes back by the webhook receiver (Airflow 3.3+)
or the inbox poller, through ``answers/``. On Airflow 2.11 and 3.0, which have no HITL operators,
this module still imports; the notifier refuses to run outside a HITL task.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

from airflow_provider_twilio.notifications.base import TwilioNotifierBase
from airflow_provider_twilio.notifications.hitl_call import TwilioHITLCallNotifier as TwilioHITLCallNotifier

if TYPE_CHECKING:
    from airflow_provider_twilio.sending.core import SendOutcome

DEFAULT_MAX_SEGMENTS = 3


def hitl_available() -> bool:
    """Whether this Airflow has the human-in-the-loop operators (3.1+) this notifier serves."""
    from airflow import __version__

    major, minor = (int(part) for part in __version__.split(".")[:2])
    return (major, minor) >= (3, 1)


HITL_AVAILABLE = hitl_available()


class TwilioHITLNotifier(TwilioNotifierBase):
    """Text the HITL request (subject, plain body, numbered options, how to answer, link) to ``to``.

    :param to: the phones to text (the operator's forms: one number, a list, or text of several).
    :param respondents: phone -> Airflow user id, the only phones whose replies answer, each as that
        user (``responded_by``). Default: every number in ``to``, each answering as a user whose id is
        the number itself. With ``assigned_users`` on the operator, the user must be among them.
    :param conn_id: the Twilio connection to send with and to answer through.
    :param from_: the sending number; default the connection's. Replies must come to this number.
    :param max_segments: the request text is cut to fit this many SMS segments (the body first).
    :param base_url: the Airflow UI's address for the Required Actions link; default ``[api] base_url``
        (no link when neither is set).

    Sends once per try: a notify fired again in the same try finds its texts in the message log and
    sends nothing (the provider's sending core). Registers who may answer before the first text.
    """

    template_fields: Sequence[str] = ("to", "respondents", "conn_id", "from_", "base_url")

    def __init__(
        self,
        to: str | Sequence[str],
        respondents: Mapping[str, str] | None = None,
        conn_id: str = "twilio_default",
        from_: str | None = None,
        max_segments: int = DEFAULT_MAX_SEGMENTS,
        base_url: str | None = None,
        **kwargs: Any,
    ) -> None:
        if isinstance(max_segments, bool) or not isinstance(max_segments, int) or max_segments < 1:
            raise ValueError(f"max_segments must be a whole number of at least 1, got {max_segments!r}")
        self.to = to
        self.respondents = respondents
        self.conn_id = conn_id
        self.from_ = from_
        self.max_segments = max_segments
        self.base_url = base_url
        super().__init__(**kwargs)

    def notify(self, context: Any) -> None:
        self.send_request(context)

    async def async_notify(self, context: Any) -> None:
        import asyncio

        await asyncio.to_thread(self.send_request, context)

    def send_request(self, context: Mapping[str, Any]) -> SendOutcome:
        """Register who may answer, then text the request; raises TwilioSendError if any recipient failed."""
        # Imported here, not at module level: DAG files import this module on every parse.
        from airflow_provider_twilio.addresses import parse_recipients, validate_number
        from airflow_provider_twilio.answers.pending import register_request
        from airflow_provider_twilio.hitl.texts import RequestText
        from airflow_provider_twilio.hooks.twilio import TwilioHook
        from airflow_provider_twilio.sending.batch import BatchOptions
        from airflow_provider_twilio.sending.opt_outs import opted_out, opted_out_error
        from airflow_provider_twilio.sending.with_hook import failed_recipients_error, send_through_hook

        task = _hitl_task(context)
        recipients = parse_recipients(self.to)
        respondents = (
            {validate_number(phone, "respondents"): str(user) for phone, user in self.respondents.items()}
            if self.respondents
            else {phone: phone for phone in recipients}
        )
        hook = TwilioHook(twilio_conn_id=self.conn_id)
        sender = self.from_ or hook.settings.default_from
        request = register_request(context, conn_id=self.conn_id, respondents=respondents, channel="sms", sender=sender)
        text = RequestText(
            subject=str(task.subject),
            body=task.body,
            options=list(task.options),
            multiple=bool(task.multiple),
            reference=request.reference,
            link=_required_actions_link(task, context, self.base_url),
        ).render(self.max_segments)
        fields = {"to": recipients, "body": text, "from_": self.from_}
        batch, outcome = send_through_hook(hook, fields, BatchOptions(), log=self.log, dedupe_since=_try_start(context))
        if outcome.failures:
            raise failed_recipients_error(
                outcome, f"HITL request not sent to {len(outcome.failures)} of {len(batch.recipients)} recipient(s)"
            )
        stopped = opted_out(outcome.results)
        if stopped:  # a respondent who replied STOP cannot be asked: as before, the notifier says so loudly
            raise opted_out_error(
                outcome.results,
                f"HITL request not sent to {len(stopped)} of {len(batch.recipients)} recipient(s), who replied STOP",
            )
        self.log.info("HITL request #%s texted to %d recipient(s)", request.reference, len(batch.recipients))
        return outcome


def _hitl_task(context: Mapping[str, Any]) -> Any:
    task = context.get("task")
    if task is None or not all(hasattr(task, name) for name in ("subject", "options", "multiple")):
        raise ValueError(
            "TwilioHITLNotifier runs in the notifiers of a human-in-the-loop operator (HITLOperator, "
            "ApprovalOperator, HITLBranchOperator, HITLEntryOperator; Airflow 3.1+)"
        )
    return task


def _required_actions_link(task: Any, context: Mapping[str, Any], base_url: str | None) -> str | None:
    """Airflow's own Required Actions link for this task, when the UI's address is known."""
    try:
        return str(task.generate_link_to_ui(task_instance=context["task_instance"], base_url=base_url))
    except (ValueError, KeyError, AttributeError):
        return None


def _try_start(context: Mapping[str, Any]) -> Any:
    """When this try started: texts sent since then are this try's, and not sent again."""
    from datetime import datetime, timezone

    from airflow_provider_twilio.run_context import run_window_start

    ti = context.get("ti") or context.get("task_instance")
    started = getattr(ti, "start_date", None)
    return started or run_window_start(context) or datetime.now(timezone.utc)
