"""Runs the emulator in a child process and drives it through the ``/_emulator/`` endpoints.

In-process, the emulator shares the GIL with the code under test; benchmarks that must not pay for
the server's CPU run it here instead.
"""

from __future__ import annotations

import json
import subprocess
import sys
import tempfile
import threading
import urllib.error
import urllib.request
from typing import IO, Any
from urllib.parse import parse_qs, urlsplit

from airflow_provider_twilio.emulator.errors import ApiError

START_TIMEOUT = 60.0


class EmulatorProcess:
    """``python -m airflow_provider_twilio.emulator`` as a child process."""

    def __init__(self, host: str, port: int, account_sid: str, auth_token: str) -> None:
        self._args = [
            sys.executable,
            "-m",
            "airflow_provider_twilio.emulator",
            "--host",
            host,
            "--port",
            str(port),
            "--account-sid",
            account_sid,
            "--auth-token",
            auth_token,
        ]
        self._process: subprocess.Popen[str] | None = None
        self._stderr: IO[str] | None = None
        self.base_url = ""
        self.port = 0

    def start(self) -> None:
        self._stderr = tempfile.TemporaryFile(mode="w+")  # noqa: SIM115 - outlives this method, closed in stop()
        process = subprocess.Popen(self._args, stdout=subprocess.PIPE, stderr=self._stderr, text=True)
        self._process = process
        first_line: list[str] = []
        reader = threading.Thread(target=lambda: first_line.append(process.stdout.readline()), daemon=True)  # type: ignore[union-attr]
        reader.start()
        reader.join(START_TIMEOUT)
        uri = first_line[0].strip() if first_line else ""
        if not uri:
            reason = self._stderr_tail() or "no connection URI printed in time"
            self.stop()
            raise RuntimeError(f"The Twilio emulator process could not start: {reason}")
        self.base_url = parse_qs(urlsplit(uri).query)["base_url"][0]
        self.port = int(urlsplit(self.base_url).port or 0)

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


def _json_or_none(content: bytes) -> Any:
    return json.loads(content) if content else None
