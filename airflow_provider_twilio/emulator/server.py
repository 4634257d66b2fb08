"""``TwilioEmulator``: the emulator served by uvicorn on a background thread (or in a child process)."""

from __future__ import annotations

import secrets
import socket
import threading
import time
from types import TracebackType
from typing import TYPE_CHECKING, Any
from urllib.parse import quote, urlencode

from airflow_provider_twilio.emulator import operations
from airflow_provider_twilio.emulator.errors import ApiError
from airflow_provider_twilio.emulator.numbers import DEFAULT_FROM
from airflow_provider_twilio.emulator.process import EmulatorProcess
from airflow_provider_twilio.emulator.simulation.settings import EmulatorSettings, checked
from airflow_provider_twilio.emulator.state import EmulatorState
from airflow_provider_twilio.emulator.store import new_sid

if TYPE_CHECKING:
    from typing_extensions import Unpack

START_TIMEOUT = 15.0


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
        self._requested_port = port
        self.state = EmulatorState(
            account_sid=account_sid or new_sid("AC"), auth_token=auth_token or secrets.token_hex(16)
        )
        self._process: EmulatorProcess | None = (
            EmulatorProcess(host, port, self.state.account_sid, self.state.auth_token) if separate_process else None
        )
        self._server: Any = None
        self._thread: threading.Thread | None = None
        self._socket: socket.socket | None = None
        self.port: int | None = None

    # lifecycle
    def start(self) -> TwilioEmulator:
        if self.port is not None:
            raise RuntimeError("This emulator is already running")
        if self._process is not None:
            self._process.start()
            self.port = self._process.port
            return self
        self._start_thread()
        return self

    def _start_thread(self) -> None:
        import uvicorn

        from airflow_provider_twilio.emulator.app import create_app, run_config_kwargs

        sock = bind_socket(self.host, self._requested_port)
        self._socket = sock
        self.port = sock.getsockname()[1]
        server = uvicorn.Server(uvicorn.Config(create_app(self.state), **run_config_kwargs()))
        self._server = server
        failure: list[BaseException] = []

        def serve() -> None:
            try:
                server.run(sockets=[sock])
            except BaseException as err:  # reported to the starting thread
                failure.append(err)

        self._thread = threading.Thread(target=serve, name=f"twilio-emulator-{self.port}", daemon=True)
        self._thread.start()
        deadline = time.monotonic() + START_TIMEOUT
        while not server.started:
            if failure or not self._thread.is_alive() or time.monotonic() > deadline:
                reason = failure[0] if failure else "server exited" if not self._thread.is_alive() else "timed out"
                self.stop()
                raise RuntimeError(f"The Twilio emulator could not start: {reason}")
            time.sleep(0.005)

    def stop(self) -> None:
        if self._process is not None:
            self._process.stop()
        server, thread = self._server, self._thread
        if server is not None and thread is not None:
            server.should_exit = True
            thread.join(timeout=10)
            if thread.is_alive():
                server.force_exit = True
                thread.join(timeout=5)
        if self._socket is not None:
            self._socket.close()
        self._socket = None
        self._server = None
        self._thread = None
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
        host = f"[{self.host}]" if ":" in self.host else self.host
        return f"http://{host}:{self.port}"

    @property
    def account_sid(self) -> str:
        return self.state.account_sid

    @property
    def auth_token(self) -> str:
        return self.state.auth_token

    @property
    def connection_uri(self) -> str:
        """An Airflow connection URI (for ``AIRFLOW_CONN_<ID>``) that makes TwilioHook talk to this emulator.

        The address is in the ``base_url`` extra only: TwilioHook ignores the connection's host and port
        (the form hides them), so setting them too would leave a stale copy once base_url is edited.
        """
        extras = urlencode({"base_url": self.base_url, "default_from": DEFAULT_FROM})
        login, password = quote(self.account_sid, safe=""), quote(self.auth_token, safe="")
        return f"twilio://{login}:{password}@/?{extras}"

    def create_api_key(self) -> tuple[str, str]:
        """A new API key (``SK...``, secret) that authenticates like the auth token."""
        if self._process is not None:
            key = self._process.call("POST", "api_keys")
            return key["sid"], key["secret"]
        return self.state.create_api_key()

    def rotate_auth_token(self) -> str:
        """A new auth token for the account; the old one is refused from now on (20003), as after a rotation."""
        if self._process is not None:
            self.state.auth_token = self._process.call("POST", "auth_token")["auth_token"]
            return self.state.auth_token
        return self.state.rotate_auth_token()

    # messages
    def inject_inbound(
        self, from_: str, to: str = DEFAULT_FROM, body: str = "", media_urls: tuple[str, ...] = ()
    ) -> dict[str, Any]:
        """Receive a message, as if ``from_`` had texted ``to``; returns it as the API would.

        Raises ``ApiError`` (code 21211 or 21602) for an address that is not E.164 or an empty message.
        """
        if self._process is not None:
            payload = {"from": from_, "to": to, "body": body, "media_urls": list(media_urls)}
            return self._process.call("POST", "inbound", payload)  # type: ignore[no-any-return]
        return operations.inject_inbound(self.state, from_=from_, to=to, body=body, media_urls=media_urls)

    def messages(self) -> list[dict[str, Any]]:
        """Every stored message as the API returns it, newest first."""
        if self._process is not None:
            return self._process.call("GET", "messages")["messages"]  # type: ignore[no-any-return]
        return operations.messages(self.state)

    # behaviour
    def configure(self, **changes: Unpack[EmulatorSettings]) -> None:
        """Change only the settings given (see docs/emulator.md); ``max_concurrent_requests=None`` lifts the limit.

        Every value is checked (``ValueError`` naming the setting) before any is changed.
        """
        settings = checked(changes)
        if self._process is not None:
            try:
                self._process.call("POST", "configure", settings)
            except ApiError as err:
                raise ValueError(err.message) from None
            return
        operations.configure(self.state, **settings)

    def add_auto_reply(self, to: str, body: str, delay: float = 1.0, times: int | None = None) -> None:
        """After each outbound message to ``to`` (the next ``times`` ones, if given), ``to`` replies ``body``
        ``delay`` seconds after it is queued."""
        if self._process is not None:
            try:
                self._process.call("POST", "auto_replies", {"to": to, "body": body, "delay": delay, "times": times})
            except ApiError as err:
                raise ValueError(err.message) from None
            return
        self.state.add_auto_reply(to=to, body=body, delay=delay, times=times)

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
        if self._process is not None:
            rule = {"to": to, "answer": answer, "digits": digits, "after": after, "talk": talk}
            try:
                self._process.call("POST", "call_behaviours", rule)
            except ApiError as err:
                raise ValueError(err.message) from None
            return
        operations.add_call_behaviour(self.state, to=to, answer=answer, digits=digits, after=after, talk=talk)

    def calls(self) -> list[dict[str, Any]]:
        """Every stored call as the API returns it, newest first."""
        if self._process is not None:
            return self._process.call("GET", "calls")["calls"]  # type: ignore[no-any-return]
        return operations.calls(self.state)

    def reset(self) -> None:
        """Forget messages, calls, auto replies, faults and the request log; credentials stay."""
        if self._process is not None:
            self._process.call("POST", "reset")
            return
        self.state.reset()

    def request_log(self) -> list[dict[str, Any]]:
        """The latest Twilio API requests (method, path, query, status, response_bytes, time), oldest first."""
        if self._process is not None:
            return self._process.call("GET", "requests")["requests"]  # type: ignore[no-any-return]
        return self.state.request_log()

    def webhook_log(self) -> list[dict[str, Any]]:
        """Every webhook delivery (``kind`` sms or status, ``url``, ``method``, ``attempt``, ``sid``, ``status``
        answered, None if unreachable; ``time``), oldest first."""
        if self._process is not None:
            return self._process.call("GET", "webhooks")["webhooks"]  # type: ignore[no-any-return]
        return self.state.webhook_log()

    def clear_request_log(self) -> None:
        if self._process is not None:
            self._process.call("DELETE", "requests")
            return
        self.state.clear_request_log()


def bind_socket(host: str, port: int) -> socket.socket:
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    # proto=IPPROTO_TCP: asyncio only sets TCP_NODELAY on accepted sockets that say so, and without
    # it a response written in two parts waits ~40 ms for a delayed ACK.
    sock = socket.socket(family, socket.SOCK_STREAM, socket.IPPROTO_TCP)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        sock.bind((host, port))
    except OSError:
        sock.close()
        raise
    sock.listen(2048)
    sock.setblocking(False)
    return sock
