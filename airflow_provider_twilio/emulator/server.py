"""``TwilioEmulator``: the emulator served by uvicorn on a background thread (or in a child process)."""

from __future__ import annotations

import secrets
from types import TracebackType
from typing import TYPE_CHECKING, Any
from urllib.parse import quote, urlencode

from airflow_provider_twilio.emulator.backends import Backend, ChildProcessBackend, InProcessBackend
from airflow_provider_twilio.emulator.model.message_store import new_sid
from airflow_provider_twilio.emulator.simulation.magic_numbers import DEFAULT_FROM
from airflow_provider_twilio.emulator.simulation.settings import EmulatorSettings, checked
from airflow_provider_twilio.emulator.state import EmulatorState

if TYPE_CHECKING:
    from typing_extensions import Unpack


class TwilioEmulator:
    """A Twilio-compatible API server for tests, demos and local development.

    ``with TwilioEmulator() as emu:`` serves on 127.0.0.1 at a free port until the block ends;
    point the SDK (or an Airflow connection, via ``emu.connection_uri``) at ``emu.base_url``.
    ``separate_process=True`` serves from a child process instead, so the server's CPU does not
    compete with the caller for the GIL (benchmarks); the Python API works the same either way.
    """

    def __init__(
        self,
        host: str = "127.0.0.1",
        port: int = 0,
        *,
        account_sid: str | None = None,
        auth_token: str | None = None,
        separate_process: bool = False,
    ) -> None:
        self.host = host
        self.state = EmulatorState(
            account_sid=account_sid or new_sid("AC"), auth_token=auth_token or secrets.token_hex(16)
        )
        backend = ChildProcessBackend if separate_process else InProcessBackend
        self._backend: Backend = backend(self.state, host, port)
        self.port: int | None = None

    # lifecycle
    def start(self) -> TwilioEmulator:
        if self.port is not None:
            raise RuntimeError("This emulator is already running")
        self.port = self._backend.start()
        return self

    def stop(self) -> None:
        self._backend.stop()
        self.port = None

    def __enter__(self) -> TwilioEmulator:
        return self.start()

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.stop()

    # addresses and credentials
    @property
    def base_url(self) -> str:
        if self.port is None:
            raise RuntimeError("The emulator is not running; call start() or use it as a context manager")
        return base_url(self.host, self.port)

    @property
    def account_sid(self) -> str:
        return self.state.account_sid

    @property
    def auth_token(self) -> str:
        return self.state.auth_token

    @property
    def connection_uri(self) -> str:
        """An Airflow connection URI (for ``AIRFLOW_CONN_<ID>``) that makes TwilioHook talk to this emulator."""
        return connection_uri(self.base_url, self.account_sid, self.auth_token)

    def create_api_key(self) -> tuple[str, str]:
        """A new API key (``SK...``, secret) that authenticates like the auth token."""
        return self._backend.create_api_key()

    def rotate_auth_token(self) -> str:
        """A new auth token for the account; the old one is refused from now on (20003), as after a rotation."""
        return self._backend.rotate_auth_token()

    # messages
    def inject_inbound(
        self, from_: str, to: str = DEFAULT_FROM, body: str = "", media_urls: tuple[str, ...] = ()
    ) -> dict[str, Any]:
        """Receive a message, as if ``from_`` had texted ``to``; returns it as the API would.

        Raises ``ApiError`` (code 21211 or 21602) for an address that is not E.164 or an empty message.
        """
        return self._backend.inject_inbound(from_, to, body, media_urls)

    def messages(self) -> list[dict[str, Any]]:
        """Every stored message as the API returns it, newest first."""
        return self._backend.messages()

    # behaviour
    def configure(self, **changes: Unpack[EmulatorSettings]) -> None:
        """Change only the settings given (see docs/emulator.md); ``max_concurrent_requests=None`` lifts the limit.

        Every value is checked (``ValueError`` naming the setting) before any is changed.
        """
        self._backend.configure(checked(changes))

    def add_auto_reply(self, to: str, body: str, delay: float = 1.0, times: int | None = None) -> None:
        """After each outbound message to ``to`` (the next ``times`` ones, if given), ``to`` replies ``body``
        ``delay`` seconds after it is queued."""
        self._backend.add_auto_reply(to, body, delay, times)

    def add_call_behaviour(
        self,
        to: str,
        answer: str = "human",
        digits: str | None = None,
        after: float = 0.1,
        talk: float | None = None,
    ) -> None:
        """How the person at ``to`` takes the next calls: ``answer`` is human, machine, busy, no-answer or fail,
        after ``after`` seconds of ringing; a human presses ``digits`` at the first ``<Gather>`` and hangs up
        after ``talk`` seconds (by default stays until the TwiML ends)."""
        self._backend.add_call_behaviour(to, answer, digits, after, talk)

    def calls(self) -> list[dict[str, Any]]:
        """Every stored call as the API returns it, newest first."""
        return self._backend.calls()

    # history
    def seed_messages(self, records: list[dict[str, Any]]) -> int:
        """Store past messages in one call (fast for 100,000): each a dict with ``to``, ``from`` and
        ``date_created`` (Unix seconds), and optionally ``sid``, ``body``, ``direction``, ``status``,
        ``date_sent``, ``error_code``, ``num_segments``, ``num_media``, ``messaging_service_sid``.

        All are checked (``ValueError``) before any is stored. Page tokens handed out earlier stop being valid.
        """
        return self._backend.seed("messages", records)

    def seed_calls(self, records: list[dict[str, Any]]) -> int:
        """Store finished past calls: ``to``, ``from``, ``start_time``, and optionally ``sid``, ``status``,
        ``duration``, ``direction``, ``answered_by``."""
        return self._backend.seed("calls", records)

    def seed_recordings(self, records: list[dict[str, Any]]) -> int:
        """Store call recordings: ``start_time``, and optionally ``sid``, ``call_sid``, ``duration`` (seconds),
        ``channels``, ``source``, ``date_created``. Their audio is silence of that length (``.wav``, ``.mp3``)."""
        return self._backend.seed("recordings", records)

    def set_message_status(self, sid: str, status: str, error_code: int | None = None) -> dict[str, Any]:
        """Move a stored message on to ``status`` now (a late delivery receipt); ``KeyError`` if there is none."""
        return self._backend.set_message_status(sid, status, error_code)

    def reset(self) -> None:
        """Forget messages, calls, recordings, auto replies, faults and the request log; credentials stay."""
        self._backend.reset()

    def request_log(self) -> list[dict[str, Any]]:
        """The latest Twilio API requests (method, path, query, status, response_bytes, time), oldest first."""
        return self._backend.request_log()

    def webhook_log(self) -> list[dict[str, Any]]:
        """Every webhook delivery (``kind`` sms or status, ``url``, ``method``, ``attempt``, ``sid``, ``status``
        answered, None if unreachable; ``time``), oldest first."""
        return self._backend.webhook_log()

    def clear_request_log(self) -> None:
        self._backend.clear_request_log()


def base_url(host: str, port: int) -> str:
    return f"http://{f'[{host}]' if ':' in host else host}:{port}"


def connection_uri(url: str, account_sid: str, auth_token: str) -> str:
    """The Airflow connection URI for an emulator at ``url``.

    The address is in the ``base_url`` extra only: TwilioHook ignores the connection's host and port
    (the form hides them), so setting them too would leave a stale copy once base_url is edited.
    """
    extras = urlencode({"base_url": url, "default_from": DEFAULT_FROM})
    return f"twilio://{quote(account_sid, safe='')}:{quote(auth_token, safe='')}@/?{extras}"
