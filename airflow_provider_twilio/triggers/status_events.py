"""TwilioMessageStatusEventTrigger: a delivery failure reported by Twilio's status callback starts DAG runs.

Airflow 3.3+ only, through an ``AssetWatcher``. Twilio POSTs each status change of a message sent with
``status_callback`` set to ``<webhook_base_url>/twilio/<conn_id>/status``; the provider's api-server
plugin checks the signature and records the asset event for every watcher that wants that status.
This trigger itself never calls Twilio: in the triggerer it only waits (docs/webhooks.md). A callback
that arrives before Airflow has registered this watcher's trigger (a DAG just parsed or unpaused) is
held for it for 10 minutes (``webhooks/holding.py``).
"""

from __future__ import annotations

import asyncio
import hashlib
import json
from collections.abc import AsyncIterator, Mapping
from typing import Any

from airflow.triggers.base import TriggerEvent

from airflow_provider_twilio.statuses import DELIVERY_FAILURES, MESSAGE_STATUSES
from airflow_provider_twilio.triggers.events import EVENT_TRIGGERS_AVAILABLE, BaseEventTrigger

STATE_KEY_PREFIX = "twilio_message_status"


class TwilioMessageStatusEventTrigger(BaseEventTrigger):
    """Fires for each status callback whose status is one of ``statuses``, for an ``AssetWatcher``.

    Airflow 3.3+ only. The payload (an asset event's ``extra["payload"]``) is
    ``{"sid", "status", "error_code", "error_message", "to", "from", "account_sid"}``; ``error_code`` is
    an int or None. Each message fires at most once per status, even when Twilio sends the callback again.

    :param statuses: the statuses that fire; default: delivery failures (``failed``, ``undelivered``).
    :param twilio_conn_id: the Twilio connection whose ``/twilio/<conn_id>/status`` endpoint receives them.
    """

    def __init__(
        self, *, statuses: list[str] | tuple[str, ...] | None = None, twilio_conn_id: str = "twilio_default"
    ) -> None:
        from airflow_provider_twilio.exceptions import TwilioInputError

        if not EVENT_TRIGGERS_AVAILABLE:
            from airflow_provider_twilio._compat import AirflowException

            raise AirflowException(
                "TwilioMessageStatusEventTrigger needs Airflow 3 (Asset watchers and BaseEventTrigger); "
                "on Airflow 2 wait for delivery inside a run with TwilioMessageStatusSensor"
            )
        from airflow_provider_twilio.capabilities import WEBHOOKS_NEED, webhooks_supported

        if not webhooks_supported():
            raise TwilioInputError(f"TwilioMessageStatusEventTrigger is not available here: {WEBHOOKS_NEED}")
        super().__init__()
        wanted = list(DELIVERY_FAILURES if statuses is None else statuses)
        unknown = [status for status in wanted if status not in MESSAGE_STATUSES]
        if unknown or not wanted:
            raise TwilioInputError(
                f"statuses: {unknown or wanted!r} is not a list of Twilio message statuses; "
                f"valid: {', '.join(MESSAGE_STATUSES)}"
            )
        self.statuses = sorted(set(wanted))
        self.twilio_conn_id = twilio_conn_id

    def serialize(self) -> tuple[str, dict[str, Any]]:
        return (
            f"{type(self).__module__}.{type(self).__qualname__}",
            {"statuses": self.statuses, "twilio_conn_id": self.twilio_conn_id},
        )

    def webhook_event(self, form: Mapping[str, str]) -> tuple[str, dict[str, Any]] | None:
        """For a verified status callback: this watcher's claim key and payload, or None if it does not fire."""
        status = form.get("MessageStatus") or form.get("SmsStatus") or ""
        sid = form.get("MessageSid") or form.get("SmsSid") or ""
        if status not in self.statuses or not sid:
            return None
        code = form.get("ErrorCode") or ""
        payload = {
            "sid": sid,
            "status": status,
            "error_code": int(code) if code.isdigit() else None,
            "error_message": form.get("ErrorMessage") or None,
            "to": form.get("To") or None,
            "from": form.get("From") or None,
            "account_sid": form.get("AccountSid") or None,
        }
        return f"{self._state_key()}:webhook:{sid}:{status}", payload

    def _state_key(self) -> str:
        digest = hashlib.sha256(json.dumps([self.twilio_conn_id, self.statuses]).encode()).hexdigest()[:16]
        return f"{STATE_KEY_PREFIX}:{digest}"

    async def run(self) -> AsyncIterator[TriggerEvent]:
        """Only waits: the api-server's receiver records this watcher's events."""
        self.log.info(
            "Status callbacks %s arrive at /twilio/%s/status on the api-server; nothing to poll",
            "/".join(self.statuses),
            self.twilio_conn_id,
        )
        await asyncio.Event().wait()
        yield TriggerEvent({})  # not reached; run() must be an async generator
