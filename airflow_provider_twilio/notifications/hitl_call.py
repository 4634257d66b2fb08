"""TwilioHITLCallNotifier: a human-in-the-loop request asked on the phone, answered by a key."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from airflow_provider_twilio.notifications.base import TwilioNotifierBase


class TwilioHITLCallNotifier(TwilioNotifierBase):
    """Call the people of a HITL request in order; the first to press an option's key answers it.

    ``notifiers=[TwilioHITLCallNotifier(to=["+15551230001", "+15551230002"], respondents={...})]`` on an
    ``ApprovalOperator``, ``HITLOperator`` or ``HITLBranchOperator`` (Airflow 3.1+). Each call says the
    request's subject, then "Press 1 for Approve, 2 for Reject" (its options, numbered; at most nine),
    and the key answers as the Airflow user the called number maps to, through Airflow's own response
    semantics (``answers/``). A person who presses no option's key, or does not pick up, moves the
    chain on to the next number; nobody choosing leaves the request waiting in Airflow's Required
    Actions (and for any text notifier's answers), with a warning in the task log.

    The calls are placed and followed from the HITL task's ``execute()``, before the task is parked,
    so the task runs for as long as the chain lasts. Needs the webhook receiver: Airflow 3.3+, the
    connection's ``webhook_base_url`` reachable by Twilio, and ``[api] secret_key`` set alike on the
    api-server and the workers (the key's URL is MAC'd with it). See docs/hitl.md.

    :param to: the numbers to call, in order; each must be a respondent.
    :param respondents: phone -> Airflow user id it answers as (default: each number of ``to`` as
        itself). With ``assigned_users`` on the operator, the user must be among them.
    :param conn_id: the Twilio connection to call with (its ``webhook_base_url`` is where keys go).
    :param from_: the caller ID; default the connection's ``default_from``.
    :param timeout: seconds to let each call ring. :param poll_interval: seconds between status checks.
    """

    template_fields: Sequence[str] = ("to", "from_", "conn_id")

    def __init__(
        self,
        to: str | Sequence[str],
        respondents: Mapping[str, str] | None = None,
        *,
        from_: str | None = None,
        voice: str | None = None,
        timeout: int = 30,
        poll_interval: float = 2.0,
        conn_id: str = "twilio_default",
        **kwargs: Any,
    ) -> None:
        self.to = to
        self.respondents = dict(respondents) if respondents is not None else None
        self.from_ = from_
        self.voice = voice
        self.timeout = timeout
        self.poll_interval = float(poll_interval)
        self.conn_id = conn_id
        super().__init__(**kwargs)

    def notify(self, context: Any) -> None:
        self.call(context)

    def call(self, context: Mapping[str, Any]) -> list[dict[str, Any]]:
        """Place and follow the calls for the HITL request in ``context``; one result dict per call."""
        # Imported here, not at module level: DAG files import this module on every parse.
        from airflow_provider_twilio.answers.pending import register_request
        from airflow_provider_twilio.exceptions import TwilioInputError
        from airflow_provider_twilio.hooks.twilio import TwilioHook
        from airflow_provider_twilio.voice import choice
        from airflow_provider_twilio.voice.calling import webhook_base_url
        from airflow_provider_twilio.voice.escalation import Escalation
        from airflow_provider_twilio.voice.request import check_key, validate_call

        task, ti = context.get("task"), context.get("ti")
        options = list(getattr(task, "options", None) or ())
        if ti is None or not options:
            raise TwilioInputError("TwilioHITLCallNotifier: use it in notifiers= of a HITL operator (Airflow 3.1+)")
        try:
            keys = choice.option_keys(options)
        except ValueError as err:
            raise TwilioInputError(f"TwilioHITLCallNotifier: {err}; use a text notifier for more options") from None
        check_key("1")  # the key reaches Airflow through the webhook receiver (3.3+): refused before any call
        hook = TwilioHook(twilio_conn_id=self.conn_id)
        base_url = webhook_base_url(hook)
        if not base_url:
            raise TwilioInputError(
                f"TwilioHITLCallNotifier: the Twilio connection {self.conn_id!r} has no extra "
                "'webhook_base_url', where Twilio posts the key pressed; set it to the api-server's public URL"
            )
        respondents = self._respondents()
        keypress, action = choice.task_choice(base_url, self.conn_id, ti, keys)
        request = validate_call(
            to=self.to,
            from_=self.from_,
            default_from=hook.settings.default_from,
            twiml_document=choice.call_twiml(str(getattr(task, "subject", "")), options, action, voice=self.voice),
            timeout=self.timeout,
        )
        strangers = [number for number in request.to if number not in respondents]
        if strangers:
            raise TwilioInputError(
                f"to: {', '.join(strangers)} not in respondents; a key pressed there could answer nothing"
            )
        register_request(context, conn_id=self.conn_id, respondents=respondents, channel="call", sender=request.from_)
        self.log.info("%s; options %s", request.describe(), choice.prompt(options))
        escalation = Escalation(
            hook.get_conn(), request, poll_interval=self.poll_interval, log=self.log, keypress=keypress
        )
        results = escalation.until_acknowledged({})
        if not any(result["acknowledged"] for result in results):
            self.log.warning(
                "Nobody chose an option on the phone (%d call(s)); the request still waits for an answer in Airflow",
                len(results),
            )
        return results

    def _respondents(self) -> dict[str, str]:
        from airflow_provider_twilio.addresses import normalize_address, parse_recipients

        if self.respondents is None:
            return {number: number for number in parse_recipients(self.to)}
        return {
            normalize_address(phone, param="respondents", example="e.g. {'+15551230001': 'alice'}"): str(user)
            for phone, user in self.respondents.items()
        }
