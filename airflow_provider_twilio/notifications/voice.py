"""TwilioCallNotifier: a phone call from a DAG or task callback, through the call operator's path."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from airflow_provider_twilio.notifications.base import TwilioNotifierBase


class TwilioCallNotifier(TwilioNotifierBase):
    """Call ``to`` when a callback fires, e.g. ``on_failure_callback=TwilioCallNotifier(to=..., say=...)``.

    Calls one number at a time until a human answers (``mode="all"``: everyone at once) and returns
    the per-call results. Fields are templated with the callback's context. Raises
    ``TwilioCallFailedError`` naming every call when nobody answered and ``fail_on_error`` is set
    (Airflow logs callback errors). Callbacks can fire twice (apache/airflow #29461); a notifier has no
    try number, so it does not look for earlier calls.
    """

    template_fields: Sequence[str] = ("to", "say", "twiml", "url", "from_", "twilio_conn_id")

    def __init__(
        self,
        to: str | Sequence[str],
        say: str | None = None,
        *,
        voice: str | None = None,
        language: str | None = None,
        loop: int | None = None,
        twiml: str | None = None,
        url: str | None = None,
        mode: str = "until_acknowledged",
        timeout: int = 30,
        from_: str | None = None,
        fail_on_error: bool = True,
        poll_interval: float = 5.0,
        twilio_conn_id: str = "twilio_default",
        **kwargs: Any,
    ) -> None:
        from airflow_provider_twilio.voice.request import check_mode

        self.to = to
        self.say = say
        self.voice = voice
        self.language = language
        self.loop = loop
        self.twiml = twiml
        self.url = url
        self.mode = check_mode(mode)
        self.timeout = timeout
        self.from_ = from_
        self.fail_on_error = fail_on_error
        self.poll_interval = float(poll_interval)
        self.twilio_conn_id = twilio_conn_id
        super().__init__(**kwargs)

    def send(self) -> list[dict[str, Any]]:
        """Call with the already-rendered fields."""
        # Imported here, not at module level: DAG files import this module on every parse.
        from airflow_provider_twilio.hooks.twilio import TwilioHook
        from airflow_provider_twilio.voice.calling import escalate
        from airflow_provider_twilio.voice.escalation import unacknowledged_error

        results = escalate(
            TwilioHook(twilio_conn_id=self.twilio_conn_id),
            None,
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
            },
            mode=self.mode,
            require_keypress=None,
            deduplicate=False,
            poll_interval=self.poll_interval,
            log=self.log,
        )
        if self.fail_on_error and not any(result["acknowledged"] for result in results):
            raise unacknowledged_error(results)
        self.log.info("Calls made: %s", ", ".join(f"{r['to']} {r['status']}" for r in results))
        return results
