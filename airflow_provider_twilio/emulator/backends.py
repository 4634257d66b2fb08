"""Where an emulator runs: uvicorn on a thread of this process, or a child process driven over HTTP.

``TwilioEmulator`` picks one backend when it is created and hands every operation to it; nothing
else needs to know which one it is. In-process, the emulator shares the GIL with the code under
test; benchmarks that must not pay for the server's CPU run it in a child process instead.
"""

from __future__ import annotations

import json
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Sequence
from types import FrameType
from typing import IO, Any, Protocol
from urllib.parse import parse_qs, urlsplit

from airflow_provider_twilio.emulator import operations
from airflow_provider_twilio.emulator.http.errors import ApiError
from airflow_provider_twilio.emulator.state import EmulatorState

THREAD_START_TIMEOUT = 15.0
PROCESS_START_TIMEOUT = 60.0


class Backend(Protocol):
    """The operations of ``TwilioEmulator``'s Python API, wherever the server runs."""

    def start(self) -> int:
        """Serve; returns the port."""

    def stop(self) -> None: ...

    def create_api_key(self) -> tuple[str, str]: ...

    def rotate_auth_token(self) -> str: ...

    def inject_inbound(self, from_: str, to: str, body: str, media_urls: Sequence[str]) -> dict[str, Any]: ...

    def messages(self) -> list[dict[str, Any]]: ...

    def configure(self, settings: dict[str, Any]) -> None:
        """Apply settings already checked by ``settings.checked``."""

    def add_auto_reply(self, to: str, body: str, delay: float, times: int | None) -> None: ...

    def add_call_behaviour(
        self, to: str, answer: str, digits: str | None, after: float, talk: float | None
    ) -> None: ...

    def calls(self) -> list[dict[str, Any]]: ...

    def seed(self, kind: str, records: list[dict[str, Any]]) -> int: ...

    def set_message_status(self, sid: str, status: str, error_code: int | None) -> dict[str, Any]: ...

    def reset(self) -> None: ...

    def request_log(self) -> list[dict[str, Any]]: ...

    def webhook_log(self) -> list[dict[str, Any]]: ...

    def clear_request_log(self) -> None: ...


class InProcessBackend:
    """uvicorn serving ``state`` on a background thread (``start``), or on this thread (``serve_forever``)."""

    def __init__(self, state: EmulatorState, host: str, port: int) -> None:
        self.state = state
        self.host = host
        self.port = port
        self._server: Any = None
        self._thread: threading.Thread | None = None
        self._socket: socket.socket | None = None

    # serving
    def bind(self) -> int:
        """Listen on the address; returns the port (a free one for port 0). ``OSError`` if it is taken."""
        import uvicorn

        from airflow_provider_twilio.emulator.app import create_app, run_config_kwargs

        self._socket = bind_socket(self.host, self.port)
        self._server = uvicorn.Server(uvicorn.Config(create_app(self.state), **run_config_kwargs()))
        return int(self._socket.getsockname()[1])

    def start(self) -> int:
        port = self.bind()
        server, sock = self._server, self._socket
        failure: list[BaseException] = []

        def serve() -> None:
            try:
                server.run(sockets=[sock])
            except BaseException as err:  # reported to the starting thread
                failure.append(err)

        thread = threading.Thread(target=serve, name=f"twilio-emulator-{port}", daemon=True)
        self._thread = thread
        thread.start()
        deadline = time.monotonic() + THREAD_START_TIMEOUT
        while not server.started:
            if failure or not thread.is_alive() or time.monotonic() > deadline:
                reason = failure[0] if failure else "server exited" if not thread.is_alive() else "timed out"
                self.stop()
                raise RuntimeError(f"The Twilio emulator could not start: {reason}")
            time.sleep(0.005)
        return port

    def serve_forever(self, ready: Callable[[], None]) -> None:
        """Serve on this thread until SIGINT or SIGTERM (after ``bind``); ``ready`` runs once stopping works."""
        server = self._server

        def stop_requested(signum: int, frame: FrameType | None) -> None:
            # Before uvicorn installs its own handlers (or after it re-raises the signal it caught),
            # a stop request only has to make the server exit; it is the normal end.
            server.should_exit = True

        for stop_signal in (signal.SIGINT, signal.SIGTERM):
            signal.signal(stop_signal, stop_requested)
        ready()
        try:
            server.run(sockets=[self._socket])
        finally:
            self.stop()

    def stop(self) -> None:
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

    # operations
    def create_api_key(self) -> tuple[str, str]:
        return self.state.create_api_key()

    def rotate_auth_token(self) -> str:
        return self.state.rotate_auth_token()

    def inject_inbound(self, from_: str, to: str, body: str, media_urls: Sequence[str]) -> dict[str, Any]:
        return operations.inject_inbound(self.state, from_=from_, to=to, body=body, media_urls=media_urls)

    def messages(self) -> list[dict[str, Any]]:
        return operations.messages(self.state)

    def configure(self, settings: dict[str, Any]) -> None:
        operations.configure(self.state, **settings)

    def add_auto_reply(self, to: str, body: str, delay: float, times: int | None) -> None:
        self.state.add_auto_reply(to=to, body=body, delay=delay, times=times)

    def add_call_behaviour(self, to: str, answer: str, digits: str | None, after: float, talk: float | None) -> None:
        operations.add_call_behaviour(self.state, to=to, answer=answer, digits=digits, after=after, talk=talk)

    def calls(self) -> list[dict[str, Any]]:
        return operations.calls(self.state)

    def seed(self, kind: str, records: list[dict[str, Any]]) -> int:
        seeders = {
            "messages": operations.seed_messages,
            "calls": operations.seed_calls,
            "recordings": operations.seed_recordings,
        }
        return seeders[kind](self.state, records)

    def set_message_status(self, sid: str, status: str, error_code: int | None) -> dict[str, Any]:
        return operations.set_message_status(self.state, sid, status, error_code)

    def reset(self) -> None:
        self.state.reset()

    def request_log(self) -> list[dict[str, Any]]:
        return self.state.request_log()

    def webhook_log(self) -> list[dict[str, Any]]:
        return self.state.webhook_log()

    def clear_request_log(self) -> None:
        self.state.clear_request_log()


class ChildProcessBackend:
    """``python -m airflow_provider_twilio.emulator`` as a child process, driven through ``/_emulator/``.

    ``state`` only carries the credentials the child is started with (and a rotated token back).
    """

    def __init__(self, state: EmulatorState, host: str, port: int) -> None:
        self.state = state
        self.host = host
        self.port = port
        self._process: subprocess.Popen[str] | None = None
        self._stderr: IO[str] | None = None
        self.base_url = ""

    # serving
    def start(self) -> int:
        self._stderr = tempfile.TemporaryFile(mode="w+")  # noqa: SIM115 - outlives this method, closed in stop()
        args = ["--host", self.host, "--port", str(self.port)]
        args += ["--account-sid", self.state.account_sid, "--auth-token", self.state.auth_token]
        command = [sys.executable, "-m", "airflow_provider_twilio.emulator", *args]
        process = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=self._stderr, text=True)
        self._process = process
        first_line: list[str] = []
        reader = threading.Thread(target=lambda: first_line.append(process.stdout.readline()), daemon=True)  # type: ignore[union-attr]
        reader.start()
        reader.join(PROCESS_START_TIMEOUT)
        uri = first_line[0].strip() if first_line else ""
        if not uri:
            reason = self._stderr_tail() or "no connection URI printed in time"
            self.stop()
            raise RuntimeError(f"The Twilio emulator process could not start: {reason}")
        self.base_url = parse_qs(urlsplit(uri).query)["base_url"][0]
        return int(urlsplit(self.base_url).port or 0)

    def _stderr_tail(self) -> str:
        if self._stderr is None:
            return ""
        self._stderr.seek(0)
        return self._stderr.read()[-2000:].strip()

    def stop(self) -> None:
        process, self._process = self._process, None
        if process is not None and process.poll() is None:
            process.terminate()
            try:
                process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait(timeout=15)
        if process is not None and process.stdout is not None:
            process.stdout.close()
        if self._stderr is not None:
            self._stderr.close()
            self._stderr = None

    def call(self, method: str, path: str, payload: dict[str, Any] | None = None) -> Any:
        """One control request; an error answer is raised as the ``ApiError`` it carries."""
        data = json.dumps(payload).encode() if payload is not None else None
        request = urllib.request.Request(
            f"{self.base_url}/_emulator/{path}",
            data=data,
            method=method,
            headers={"Content-Type": "application/json"},
        )
        try:
            with urllib.request.urlopen(request, timeout=60) as response:
                content = response.read()
        except urllib.error.HTTPError as err:
            body = _json_or_none(err.read())
            if isinstance(body, dict) and "code" in body:
                raise ApiError(err.code, int(body["code"]), str(body.get("message"))) from None
            raise
        return _json_or_none(content)

    def _change(self, path: str, payload: dict[str, Any]) -> None:
        """A control request that changes behaviour; a refused value is a ``ValueError``, as in-process."""
        try:
            self.call("POST", path, payload)
        except ApiError as err:
            raise ValueError(err.message) from None

    # operations
    def create_api_key(self) -> tuple[str, str]:
        key = self.call("POST", "api_keys")
        return key["sid"], key["secret"]

    def rotate_auth_token(self) -> str:
        self.state.auth_token = self.call("POST", "auth_token")["auth_token"]
        return self.state.auth_token

    def inject_inbound(self, from_: str, to: str, body: str, media_urls: Sequence[str]) -> dict[str, Any]:
        payload = {"from": from_, "to": to, "body": body, "media_urls": list(media_urls)}
        return self.call("POST", "inbound", payload)  # type: ignore[no-any-return]

    def messages(self) -> list[dict[str, Any]]:
        return self.call("GET", "messages")["messages"]  # type: ignore[no-any-return]

    def configure(self, settings: dict[str, Any]) -> None:
        self._change("configure", settings)

    def add_auto_reply(self, to: str, body: str, delay: float, times: int | None) -> None:
        self._change("auto_replies", {"to": to, "body": body, "delay": delay, "times": times})

    def add_call_behaviour(self, to: str, answer: str, digits: str | None, after: float, talk: float | None) -> None:
        self._change("call_behaviours", {"to": to, "answer": answer, "digits": digits, "after": after, "talk": talk})

    def calls(self) -> list[dict[str, Any]]:
        return self.call("GET", "calls")["calls"]  # type: ignore[no-any-return]

    def seed(self, kind: str, records: list[dict[str, Any]]) -> int:
        try:
            return int(self.call("POST", f"seed/{kind}", {kind: records})["seeded"])
        except ApiError as err:
            raise ValueError(err.message) from None

    def set_message_status(self, sid: str, status: str, error_code: int | None) -> dict[str, Any]:
        try:
            answer = self.call("POST", f"messages/{sid}/status", {"status": status, "error_code": error_code})
        except ApiError as err:
            raise (KeyError(sid) if err.status == 404 else ValueError(err.message)) from None
        return answer  # type: ignore[no-any-return]

    def reset(self) -> None:
        self.call("POST", "reset")

    def request_log(self) -> list[dict[str, Any]]:
        return self.call("GET", "requests")["requests"]  # type: ignore[no-any-return]

    def webhook_log(self) -> list[dict[str, Any]]:
        return self.call("GET", "webhooks")["webhooks"]  # type: ignore[no-any-return]

    def clear_request_log(self) -> None:
        self.call("DELETE", "requests")


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


def _json_or_none(content: bytes) -> Any:
    return json.loads(content) if content else None
