"""A local HTTP/1.1 server for the HTTP client tests: records each request as it arrived, answers as told."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest

PROXY_VARIABLES = ("HTTP_PROXY", "HTTPS_PROXY", "ALL_PROXY", "http_proxy", "https_proxy", "all_proxy")


class RecordingServer:
    """Each request's method, path, request line, headers (any case), Authorization values and body.

    Every request gets ``answer`` (status, headers, body), ``delay`` seconds late.
    """

    def __init__(self, answer: tuple[int, dict[str, str], bytes]) -> None:
        from requests.structures import CaseInsensitiveDict

        self.requests: list[dict[str, Any]] = []
        self.answer = answer
        self.delay = 0.0
        server = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def _answer(self) -> None:
                body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
                server.requests.append(
                    {
                        "method": self.command,
                        "path": self.path,
                        "line": self.requestline,
                        "headers": CaseInsensitiveDict(self.headers.items()),
                        "authorization": self.headers.get_all("Authorization"),
                        "body": body,
                    }
                )
                if server.delay:
                    time.sleep(server.delay)
                status, headers, payload = server.answer
                self.send_response(status)
                for name, value in headers.items():
                    self.send_header(name, value)
                self.send_header("Content-Length", str(len(payload)))
                self.end_headers()
                self.wfile.write(payload)

            do_GET = do_POST = do_DELETE = _answer

            def log_message(self, *args: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        threading.Thread(target=self.server.serve_forever, args=(0.05,), daemon=True).start()

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


def recording_server(
    monkeypatch: pytest.MonkeyPatch, answer: tuple[int, dict[str, str], bytes]
) -> Iterator[RecordingServer]:
    """A running server, with no proxy in the environment to route around it; closed afterwards."""
    for name in PROXY_VARIABLES:
        monkeypatch.delenv(name, raising=False)
    server = RecordingServer(answer)
    yield server
    server.close()
