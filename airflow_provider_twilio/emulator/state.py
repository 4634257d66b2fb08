"""Everything one emulator instance holds: account, keys, messages, faults, replies, request log."""

from __future__ import annotations

import asyncio
import secrets
import threading
import time
from collections import deque
from collections.abc import Callable
from typing import Any

from airflow_provider_twilio.emulator.http.checks import MAX_DELAY, seconds, text
from airflow_provider_twilio.emulator.model.message_store import MessageStore, new_sid
from airflow_provider_twilio.emulator.model.opt_outs import OptOuts
from airflow_provider_twilio.emulator.model.phone_number_store import PhoneNumbers
from airflow_provider_twilio.emulator.model.recordings import RecordingStore
from airflow_provider_twilio.emulator.simulation.faults import Faults
from airflow_provider_twilio.emulator.simulation.people import AutoReply, People
from airflow_provider_twilio.emulator.simulation.settings import SETTINGS, defaults

DEFAULT_STATUS_DELAY: float = SETTINGS["status_delay"].default
REQUEST_LOG_SIZE = 10_000
WEBHOOK_LOG_SIZE = 10_000


class EmulatorState:
    def __init__(self, account_sid: str | None = None, auth_token: str | None = None) -> None:
        self.account_sid = account_sid or new_sid("AC")
        self.auth_token = auth_token or secrets.token_hex(16)
        self.friendly_name = "Twilio emulator"
        self.created_at = time.time()
        self.store = MessageStore()
        self.recordings = RecordingStore()
        self.faults = Faults()
        self.status_delay: float = DEFAULT_STATUS_DELAY
        self.duplicate_webhooks: bool = SETTINGS["duplicate_webhooks"].default
        self.enforce_max_price: bool = SETTINGS["enforce_max_price"].default
        self.calls: dict[str, dict[str, Any]] = {}
        self.call_runs: dict[str, Any] = {}
        """Per call SID, the emulator's ``call_lifecycle.CallRun`` (options, simulated person, notifications)."""
        self.people = People()
        self.phone_numbers = PhoneNumbers()
        self.opt_outs = OptOuts()
        """Phones that texted STOP to one of the account's numbers (Twilio's default opt-out handling)."""
        self._webhook_log: deque[dict[str, Any]] = deque(maxlen=WEBHOOK_LOG_SIZE)
        self.lock = threading.Lock()
        self._api_keys: dict[str, str] = {}
        self._auto_replies: list[AutoReply] = []
        self._request_log: deque[dict[str, Any]] = deque(maxlen=REQUEST_LOG_SIZE)
        self.loop: asyncio.AbstractEventLoop | None = None
        self._tasks: set[asyncio.Future[Any]] = set()

    # credentials
    def create_api_key(self) -> tuple[str, str]:
        sid, secret = new_sid("SK"), secrets.token_hex(16)
        with self.lock:
            self._api_keys[sid] = secret
        return sid, secret

    def rotate_auth_token(self) -> str:
        """Replace the auth token, as promoting a secondary token does on Twilio: the old one stops working."""
        token = secrets.token_hex(16)
        with self.lock:
            self.auth_token = token
        return token

    def authenticates(self, username: str, password: str) -> bool:
        if username == self.account_sid:
            return secrets.compare_digest(password, self.auth_token)
        with self.lock:
            secret = self._api_keys.get(username)
        return secret is not None and secrets.compare_digest(password, secret)

    # auto replies
    def add_auto_reply(self, to: str, body: str, delay: float = 1.0, times: int | None = None) -> None:
        delay = seconds("delay", delay, MAX_DELAY)
        text("to", to)
        text("body", body)
        if times is not None and int(times) < 1:
            raise ValueError(f"times must be a positive number of replies (or None for every message), got {times!r}")
        with self.lock:
            self._auto_replies.append(
                AutoReply(to=to, body=body, delay=delay, times_left=None if times is None else int(times))
            )

    def take_auto_replies_for(self, to: str) -> list[AutoReply]:
        """The rules that answer a new outbound message to ``to``; each use counts against ``times``."""
        with self.lock:
            firing = [rule for rule in self._auto_replies if rule.to == to]
            for rule in firing:
                if rule.times_left is not None:
                    rule.times_left -= 1
            self._auto_replies = [rule for rule in self._auto_replies if rule.times_left != 0]
            return firing

    def auto_replies(self) -> list[AutoReply]:
        with self.lock:
            return list(self._auto_replies)

    # request log
    def log_request(self, entry: dict[str, Any]) -> None:
        self._request_log.append(entry)

    def request_log(self) -> list[dict[str, Any]]:
        return list(self._request_log)

    def clear_request_log(self) -> None:
        self._request_log.clear()

    # webhook log: every delivery to a receiver (inbound messages, status callbacks)
    def note_webhook(self, entry: dict[str, Any]) -> None:
        self._webhook_log.append(entry)

    def webhook_log(self) -> list[dict[str, Any]]:
        return list(self._webhook_log)

    # timers on the server's event loop
    def call_later(self, delay: float, action: Callable[[], Any]) -> None:
        """Run ``action`` after ``delay`` seconds unless the emulator is reset meanwhile.

        Safe from any thread. ``action`` may return an awaitable, which is then awaited.
        """
        loop = self.loop
        if loop is None or loop.is_closed():
            return
        generation = self.store.generation

        def fire() -> None:
            if self.store.generation != generation:
                return
            result = action()
            if asyncio.iscoroutine(result):
                task = asyncio.ensure_future(result)
                self._tasks.add(task)
                task.add_done_callback(self._tasks.discard)

        def schedule() -> None:
            loop.call_later(max(delay, 0.0), fire)

        try:
            running = asyncio.get_running_loop()
        except RuntimeError:
            running = None
        if running is loop:
            schedule()
        else:
            loop.call_soon_threadsafe(schedule)

    def keep_task(self, task: asyncio.Future[Any]) -> None:
        """Hold a reference to a task on the server's loop until it is done (the loop keeps only weak ones)."""
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    def reset(self) -> None:
        """Forget messages, calls, recordings, replies, faults, numbers' webhooks, opt-outs and the logs.

        The account and API keys stay."""
        self.store.reset()
        self.recordings.reset()
        self.faults.reset()
        for name, value in defaults("state").items():
            setattr(self, name, value)
        self.phone_numbers.reset()
        self.opt_outs.reset()
        self.people.reset()
        self._webhook_log.clear()
        with self.lock:
            self.calls.clear()
            self.call_runs.clear()
            self._auto_replies.clear()
        self._request_log.clear()
