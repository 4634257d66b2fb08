"""TwilioCallOperator: phone the on-call people, one at a time until a human answers, or all at once."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from airflow_provider_twilio._compat import BaseOperator

DEFAULT_POLL_INTERVAL = 5.0


class TwilioCallOperator(BaseOperator):
    """Call ``to`` and return one dict per call placed (XCom ``return_value``):
    ``{to, sid, status, answered_by, duration, acknowledged, error_code, error_type}``.

    A call is acknowledged when a human answers it (Twilio's answering machine detection runs on every
    call); answering machines, busy lines, no answer and failures are not. With ``require_keypress``,
    only when the person pressed that key (recorded by the webhook receiver; see docs/voice.md).

    :param to: a number or a list (same forms as the SMS operator); called in this order.
    :param say: text to speak (templated), with ``voice``, ``language`` and ``loop``; or give ``twiml``
        (a ``<Response>`` document) or ``url`` (where Twilio fetches TwiML) instead.
    :param mode: ``"until_acknowledged"`` calls one number at a time and stops at the first human;
        ``"all"`` calls every number at once.
    :param require_keypress: a key (``"1"``) the person must press to acknowledge, with ``say`` only;
        needs the webhook receiver (Airflow 3.3+, connection extra ``webhook_base_url`` reachable by
        Twilio) and Airflow's ``[api] secret_key`` set alike on the api-server and workers, refused
        otherwise. Each call placed is an XCom ``twilio_call_<CallSid>`` of this task, each keypress
        one ``twilio_keypress_<CallSid>``; only keys on this try's own calls, while it runs, are recorded.
    :param timeout: seconds to let each call ring (1-600). :param time_limit: longest call, seconds.
    :param fail_on_error: if nobody acknowledged, fail the task naming each call and its outcome.
    :param deduplicate: on try 2+, never ring a number this DAG run already called from the same
        caller ID; that call's outcome is used instead (see docs/voice.md).
    :param poll_interval: seconds between checks of the calls' status (one list request each).
    """

    template_fields: Sequence[str] = ("to", "say", "twiml", "url", "from_", "twilio_conn_id")
    template_fields_renderers = {"twiml": "xml"}
    ui_color = "#f22f46"
    ui_fgcolor = "#ffffff"

    def __init__(
        self,
        *,
        to: str | Sequence[str],
        say: str | None = None,
        voice: str | None = None,
        language: str | None = None,
        loop: int | None = None,
        twiml: str | None = None,
        url: str | None = None,
        mode: str = "until_acknowledged",
        require_keypress: str | None = None,
        timeout: int = 30,
        time_limit: int | None = None,
        from_: str | None = None,
        fail_on_error: bool = True,
        deduplicate: bool = True,
        poll_interval: float = DEFAULT_POLL_INTERVAL,
        twilio_conn_id: str = "twilio_default",
        **kwargs: Any,
    ) -> None:
        from airflow_provider_twilio.voice.request import check_key, check_mode

        super().__init__(**kwargs)
        self.to = to
        self.say = say
        self.voice = voice
        self.language = language
        self.loop = loop
        self.twiml = twiml
        self.url = url
        self.mode = check_mode(mode)
        self.require_keypress = check_key(require_keypress)
        self.timeout = timeout
        self.time_limit = time_limit
        self.from_ = from_
        self.fail_on_error = fail_on_error
        self.deduplicate = deduplicate
        self.poll_interval = float(poll_interval)
        self.twilio_conn_id = twilio_conn_id

    def render_template_fields(self, context: Any, jinja_env: Any = None) -> None:
        from airflow_provider_twilio.run_context import rendering_template_errors

        rendering_template_errors(
            lambda: super(TwilioCallOperator, self).render_template_fields(context, jinja_env),
            f"Task {self.task_id!r}",
        )

    def execute(self, context: Any) -> list[dict[str, Any]]:
        # Imported here, not at module level: DAG files import this module on every parse.
        from airflow_provider_twilio.hooks.twilio import TwilioHook
        from airflow_provider_twilio.voice.calling import escalate

        hook = TwilioHook(twilio_conn_id=self.twilio_conn_id)
        results = escalate(
            hook,
            context,
            fields={
                "to": self.to,
                "from_": self.from_,
                "say": self.say,
                "voice": self.voice,
                "language": self.language,
                "loop": self.loop,
                "twiml_document": self.twiml,
                "url": self.url,
                "timeout": self.timeout,
                "time_limit": self.time_limit,
            },
            mode=self.mode,
            require_keypress=self.require_keypress,
            deduplicate=self.deduplicate,
            poll_interval=self.poll_interval,
            log=self.log,
        )
        if self.fail_on_error and not any(result["acknowledged"] for result in results):
            from airflow_provider_twilio.voice.escalation import unacknowledged_error

            context["ti"].xcom_push(key="return_value", value=results)
            raise unacknowledged_error(results, self.require_keypress, self._keys_pressed(context, results))
        return results

    def _keys_pressed(self, context: Any, results: list[dict[str, Any]]) -> dict[str, str | None]:
        """The key recorded for each placed call, so the failure says what each person pressed."""
        if self.require_keypress is None:
            return {}
        from airflow_provider_twilio.voice.keypress import KeypressCheck, xcom_reader

        check = KeypressCheck(self.require_keypress, xcom_reader(context["ti"]))
        return {r["sid"]: check.pressed(r["sid"]) for r in results if r["sid"]}
