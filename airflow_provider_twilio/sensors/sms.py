"""Sensors that wait for an SMS reply matching a pattern, or for sent messages to be delivered."""

from __future__ import annotations

import functools
import time
from collections.abc import Sequence
from datetime import datetime
from typing import TYPE_CHECKING, Any

from airflow_provider_twilio._compat import BaseSensorOperator, PokeReturnValue
from airflow_provider_twilio.exceptions import (
    ErrorType,
    TwilioApiError,
    TwilioProviderError,
    api_error,
    error_from_event,
    is_transient,
)
from airflow_provider_twilio.sensors.status import TwilioStatusSensor, default_deferrable, deferral_timeout
from airflow_provider_twilio.statuses import MESSAGE_FAILURE, MESSAGE_SUCCESS

if TYPE_CHECKING:
    from airflow.triggers.base import BaseTrigger

    from airflow_provider_twilio.hooks.twilio import TwilioHook
    from airflow_provider_twilio.inbound.echoes import Reply
    from airflow_provider_twilio.inbound.polling import InboxCursor
    from airflow_provider_twilio.inbound.waiting import ReplyWait
    from airflow_provider_twilio.tracking.core import StatusTracker

MATCH_GROUPS_XCOM_KEY = "match_groups"


class TwilioInboundSmsSensor(BaseSensorOperator):
    """Wait for an inbound SMS whose body matches ``pattern`` (``re.search``); the oldest match wins.

    Returns (XCom ``return_value``) ``{"match_groups": {...}, "groups": [...], "message": {"sid",
    "from", "to", "body", "date_sent"}}`` and pushes ``match_groups`` under its own key.

    :param pattern: regular expression; named groups land in ``match_groups``.
    :param to: the number replies are sent to; default: the connection's ``default_from``.
    :param from_: only messages from this number, these numbers, or the recipients of the send
        operator's results (its XCom, also as a rendered string).
    :param since: only messages received at or after this datetime / ISO-8601 string; default: when
        the DAG run started, so a reply that arrived before the first poke still counts.
    :param echo: on a match, reply to the sender; ``${name}`` / ``${1}`` are filled from the match groups,
        ``${from}``, ``${to}``, ``${body}`` from the message. Plain substitution, never Jinja.
    :param echo_error: reply to a sender in ``from_`` whose message did not match (``${from}``,
        ``${to}``, ``${body}``), at most once per message, also across reschedules and restarts.
    :param deferrable: wait in the triggerer (shared polling per number) instead of a worker slot.
    """

    template_fields: Sequence[str] = ("pattern", "to", "from_", "since", "echo", "echo_error", "twilio_conn_id")
    ui_color = "#f22f46"

    def __init__(
        self,
        *,
        pattern: str,
        to: str | None = None,
        from_: Any = None,
        since: datetime | str | None = None,
        ignore_case: bool = False,
        echo: str | None = None,
        echo_error: str | None = None,
        twilio_conn_id: str = "twilio_default",
        deferrable: bool | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(**kwargs)
        self.pattern = pattern
        self.to = to
        self.from_ = from_
        self.since = since
        self.ignore_case = ignore_case
        self.echo = echo
        self.echo_error = echo_error
        self.twilio_conn_id = twilio_conn_id
        self.deferrable = default_deferrable() if deferrable is None else deferrable
        self._wait: ReplyWait | None = None
        self._cursor: InboxCursor | None = None
        self._matched: dict[str, Any] | None = None
        self._owed: list[Reply] = []
        self._answered: set[str] = set()
        self._twilio_hook: TwilioHook | None = None

    def _hook(self) -> TwilioHook:
        """One hook (and so one pooled client) for all pokes of this task run."""
        if self._twilio_hook is None:
            from airflow_provider_twilio.hooks.twilio import TwilioHook

            self._twilio_hook = TwilioHook(twilio_conn_id=self.twilio_conn_id)
        return self._twilio_hook

    def _prepare(self, context: Any) -> ReplyWait:
        """Every argument checked before the first request."""
        from airflow_provider_twilio.exceptions import TwilioMissingInputError
        from airflow_provider_twilio.inbound.waiting import build_wait
        from airflow_provider_twilio.run_context import run_window_start

        to = self.to or self._hook().settings.default_from
        since = self.since if self.since not in (None, "") else run_window_start(context)
        if since is None:
            raise TwilioMissingInputError("since: not given and the DAG run has no start date to default to")
        return build_wait(
            pattern=self.pattern,
            to=to,
            from_=self.from_,
            since=since,
            ignore_case=self.ignore_case,
            echo=self.echo,
            echo_error=self.echo_error,
        )

    def execute(self, context: Any) -> Any:
        self._wait = self._prepare(context)
        wait = self._wait
        self.log.info(
            "Waiting for a reply to %s%s since %s matching %r",
            wait.to,
            f" from {', '.join(wait.senders)}" if wait.senders else "",
            wait.since.isoformat(),
            wait.regex.pattern,
        )
        if not self.deferrable:
            try:
                return super().execute(context)
            finally:
                self._release_claims()
        from airflow_provider_twilio.triggers.sms import TwilioInboundSmsTrigger

        self.defer(
            trigger=TwilioInboundSmsTrigger(
                pattern=self.pattern,
                to=wait.to,
                since=wait.since.isoformat(),
                from_=list(wait.senders) if wait.senders else None,
                ignore_case=self.ignore_case,
                echo_error=wait.echo_error,
                twilio_conn_id=self.twilio_conn_id,
                poll_interval=float(self.poke_interval),
            ),
            method_name="execute_complete",
            timeout=deferral_timeout(self),
        )
        return None

    def poke(self, context: Any) -> PokeReturnValue | bool:
        from airflow_provider_twilio.inbound.polling import InboxCursor, poll

        wait = self._wait or self._prepare(context)
        self._wait = wait
        if self._cursor is None:
            self._cursor = InboxCursor(wait.to, wait.since, sender=wait.single_sender)
        client = self._hook().get_conn()
        if self._matched is None:
            try:
                new = poll(client, self._cursor)
            except TwilioProviderError as err:
                if not is_transient(err):
                    raise
                self.log.warning("Polling for replies failed; trying again next poke: %s", err.message)
                return False
            result, owed = wait.evaluate(new)
            self._owed += [reply for reply in owed if reply.message.sid not in self._answered]
            self._matched = result
        if self._owed and self._matched is None:
            self._owed = self._send_once(client, self._owed)
        if self._matched is None:
            return False
        result = self._matched
        if not self._echo(client, result):
            return False
        self._push_match_groups(context, result)
        return PokeReturnValue(is_done=True, xcom_value=result)

    def execute_complete(self, context: Any, event: dict[str, Any]) -> dict[str, Any]:
        if event.get("status") != "match":
            raise error_from_event(event)
        result = event["result"]
        self._wait = self._wait or self._prepare(context)
        try:
            echoed = self._echo_with_retries(self._hook().get_conn(), result)
        finally:
            self._release_claims()
        if not echoed:
            raise TwilioApiError("The reply matched, but the confirmation (echo) could not be sent; retry the task")
        self._push_match_groups(context, result)
        return result

    def _push_match_groups(self, context: Any, result: dict[str, Any]) -> None:
        context["ti"].xcom_push(key=MATCH_GROUPS_XCOM_KEY, value=result["match_groups"])
        message = result["message"]
        self.log.info("Reply %s from %s matched: %s", message["sid"], message["from"], result["match_groups"])

    def _echo(self, client: Any, result: dict[str, Any]) -> bool:
        """Send the confirmation unless the log shows it went out already; False to retry on a transient error."""
        assert self._wait is not None
        reply = self._wait.echo_reply(result)
        if reply is None:
            return True
        return not self._send_once(client, [reply])

    def _echo_with_retries(self, client: Any, result: dict[str, Any]) -> bool:
        """After deferral there is no next poke: ride out 429s and 5xx with the sending core's backoff."""
        from airflow_provider_twilio.retry import RetryPolicy

        policy = RetryPolicy()
        for attempt in range(policy.lookup_attempts):
            if self._echo(client, result):
                return True
            time.sleep(policy.delay(attempt))
        return False

    def _send_once(self, client: Any, replies: list[Reply]) -> list[Reply]:
        """Send each reply the message log does not show yet; returns those to try again.

        Each received message is claimed first, so sensors sharing this process never both answer it.
        """
        from airflow_provider_twilio.inbound.answering import answer_owed

        return answer_owed(
            client,
            replies,
            owner=self,
            send=functools.partial(_send_reply, log=self.log),
            log=self.log,
            settled=lambda reply: self._answered.add(reply.message.sid),
        )

    def _release_claims(self) -> None:
        """Replies this sensor claimed but did not send may be sent by another waiter in this process."""
        from airflow_provider_twilio.inbound.claims import CLAIMS

        CLAIMS.release(self)


def _send_reply(client: Any, reply: Reply, log: Any) -> str:
    """Through the sending core: validated, 429s retried, ambiguous failures looked up before resending."""
    from airflow_provider_twilio.sending.batch import BatchOptions
    from airflow_provider_twilio.sending.core import messages_resource, send_batch
    from airflow_provider_twilio.sending.validation import validate_batch

    batch = validate_batch(to=reply.to, body=reply.body, from_=reply.from_)
    outcome = send_batch(messages_resource(client), batch, BatchOptions(max_concurrency=1), log=log)
    result = outcome.results[0]
    if result["sid"] is None:
        error_type = ErrorType(result["error_type"] or ErrorType.UNKNOWN_ERROR.value)
        raise api_error(result["error_message"] or "reply not sent", error_type=error_type, code=result["error_code"])
    return str(result["sid"])


class TwilioMessageStatusSensor(TwilioStatusSensor):
    """Wait until sent messages reach a success status; fail naming each that reached a failure status.

    Returns ``{sid: {"to", "status", "error_code", "error_type"}}``. Messages already in a final
    status are not fetched again.

    :param message_sids: a SID, a list, or the send operator's results (its XCom, also rendered).
    """

    template_fields: Sequence[str] = ("message_sids", "twilio_conn_id")

    def __init__(
        self,
        *,
        message_sids: Any,
        success_statuses: Sequence[str] = MESSAGE_SUCCESS,
        failure_statuses: Sequence[str] = MESSAGE_FAILURE,
        **kwargs: Any,
    ) -> None:
        super().__init__(success_statuses=success_statuses, failure_statuses=failure_statuses, **kwargs)
        self.message_sids = message_sids

    def _sids(self) -> list[str]:
        from airflow_provider_twilio.sids import parse_message_sids

        return parse_message_sids(self.message_sids, "message_sids")

    def _new_tracker(self, sids: list[str], states: dict[str, dict[str, Any]] | None = None) -> StatusTracker:
        from airflow_provider_twilio.tracking.messages import DeliveryTracker

        return DeliveryTracker(sids, self.success_statuses, self.failure_statuses, states)

    def _trigger(self, tracker: StatusTracker) -> BaseTrigger:
        from airflow_provider_twilio.triggers.sms import TwilioMessageStatusTrigger

        return TwilioMessageStatusTrigger(
            message_sids=tracker.sids,
            success_statuses=list(self.success_statuses),
            failure_statuses=list(self.failure_statuses),
            twilio_conn_id=self.twilio_conn_id,
            poll_interval=float(self.poke_interval),
        )
