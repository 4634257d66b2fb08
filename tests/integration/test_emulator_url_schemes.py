"""The emulator fetches only http(s): a TwiML ``<Redirect>``, a ``<Gather action>`` or an HTTP redirect that
names ``file:``, ``ftp:`` or ``data:`` fails the call with Twilio's 11100 and opens nothing.

An audit hook (``sys.addaudithook``) sees every ``urllib`` request and every file opened in this process,
where the emulator's server thread runs: it proves the named file was never read, not only that the
call failed.
"""

from __future__ import annotations

import sys
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest

from airflow_provider_twilio.emulator import TwilioEmulator
from tests.support.calls import ended
from tests.support.emulator import DEFAULT_FROM, RECIPIENT, Receiver, sdk_client

_WATCHED: list[str] = []
"""Path prefixes whose opening the audit hook records (a test's temporary directory)."""
_SEEN: list[tuple[str, str]] = []
_HOOKED = False


def _audit(event: str, args: tuple[Any, ...]) -> None:
    if event == "urllib.Request":
        url = str(args[0])
        if not url.startswith(("http://", "https://")):
            _SEEN.append((event, url))
    elif event == "open" and _WATCHED and isinstance(args[0], str) and args[0].startswith(tuple(_WATCHED)):
        _SEEN.append((event, args[0]))


@pytest.fixture
def opened(tmp_path: Path) -> Iterator[list[tuple[str, str]]]:
    """Every non-http(s) urllib request and every open of a file under ``tmp_path`` during the test."""
    global _HOOKED
    if not _HOOKED:
        sys.addaudithook(_audit)  # cannot be removed: it records only while a test watches a directory
        _HOOKED = True
    _SEEN.clear()
    _WATCHED.append(str(tmp_path))
    yield _SEEN
    _WATCHED.remove(str(tmp_path))


@pytest.fixture
def fresh(fresh: TwilioEmulator) -> TwilioEmulator:
    fresh.configure(status_delay=0.02)
    fresh.add_call_behaviour(RECIPIENT, answer="human", digits="1", after=0.02)
    return fresh


def marker_file(directory: Path, receiver: Receiver, opened: list[tuple[str, str]]) -> Path:
    """TwiML that, if the emulator ever read and ran it, would make it fetch ``/read`` from the receiver."""
    marker = directory / "twiml.xml"
    marker.write_text(f"<Response><Redirect>{receiver.url}/read</Redirect></Response>")
    opened.clear()  # writing it was this test, not the emulator
    return marker


def targets(marker: Path) -> dict[str, str]:
    return {
        "file": marker.as_uri(),
        "file-host": f"file://localhost{marker}",
        "data": "data:text/xml,%3CResponse%3E%3CSay%3Ehi%3C/Say%3E%3C/Response%3E",
        "ftp": "ftp://127.0.0.1:9/twiml.xml",
    }


def assert_refused(emu: TwilioEmulator, sid: str, receiver: Receiver, opened: list[tuple[str, str]]) -> None:
    client = sdk_client(emu)
    assert ended(client, sid).status == "failed"
    notes = client.calls(sid).notifications.list()
    assert [note.error_code for note in notes] == ["11100"]
    assert "/read" not in [post["path"] for post in receiver.posts]
    assert opened == []
    assert [entry["url"] for entry in emu.webhook_log() if not entry["url"].startswith("http")] == []


@pytest.mark.parametrize("scheme", ["file", "file-host", "data", "ftp"])
@pytest.mark.parametrize(
    "document",
    [
        "<Response><Redirect>{target}</Redirect></Response>",
        '<Response><Gather numDigits="1" action="{target}"><Say>Press 1</Say></Gather></Response>',
    ],
    ids=["redirect", "gather-action"],
)
def test_twiml_naming_another_scheme_fails_the_call_with_11100_and_opens_nothing(
    fresh: TwilioEmulator,
    receiver: Receiver,
    tmp_path: Path,
    opened: list[tuple[str, str]],
    scheme: str,
    document: str,
) -> None:
    target = targets(marker_file(tmp_path, receiver, opened))[scheme]
    receiver.answer = document.format(target=target).encode()
    call = sdk_client(fresh).calls.create(to=RECIPIENT, from_=DEFAULT_FROM, url=f"{receiver.url}/twiml")
    assert_refused(fresh, call.sid, receiver, opened)
    assert [post["path"] for post in receiver.posts] == ["/twiml"]


def test_inline_twiml_redirect_to_a_file_fails_the_call_with_11100(
    fresh: TwilioEmulator, receiver: Receiver, tmp_path: Path, opened: list[tuple[str, str]]
) -> None:
    target = marker_file(tmp_path, receiver, opened).as_uri()
    call = sdk_client(fresh).calls.create(
        to=RECIPIENT, from_=DEFAULT_FROM, twiml=f"<Response><Redirect>{target}</Redirect></Response>"
    )
    assert_refused(fresh, call.sid, receiver, opened)


class Redirector:
    """An HTTP server that answers every request with a redirect to ``location``."""

    def __init__(self, location: str, status: int) -> None:
        redirector = self
        self.location = location

        class Handler(BaseHTTPRequestHandler):
            def _redirect(self) -> None:
                self.rfile.read(int(self.headers.get("Content-Length", 0)))
                self.send_response(status)
                self.send_header("Location", redirector.location)
                self.send_header("Content-Length", "0")
                self.end_headers()

            do_GET = do_POST = _redirect

            def log_message(self, *args: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        threading.Thread(target=self.server.serve_forever, args=(0.05,), daemon=True).start()

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.mark.parametrize("scheme", ["file", "ftp"])
@pytest.mark.parametrize("status", [302, 307])
def test_an_http_redirect_to_another_scheme_is_not_followed(
    fresh: TwilioEmulator,
    receiver: Receiver,
    tmp_path: Path,
    opened: list[tuple[str, str]],
    scheme: str,
    status: int,
) -> None:
    redirector = Redirector(targets(marker_file(tmp_path, receiver, opened))[scheme], status)
    try:
        call = sdk_client(fresh).calls.create(to=RECIPIENT, from_=DEFAULT_FROM, url=f"{redirector.url}/twiml")
        assert_refused(fresh, call.sid, receiver, opened)
    finally:
        redirector.close()


def test_an_http_redirect_to_http_is_still_followed(fresh: TwilioEmulator, receiver: Receiver) -> None:
    receiver.answer = b"<Response><Say>hello</Say></Response>"
    redirector = Redirector(f"{receiver.url}/moved", 302)
    try:
        client = sdk_client(fresh)
        call = client.calls.create(to=RECIPIENT, from_=DEFAULT_FROM, url=f"{redirector.url}/twiml")
        assert ended(client, call.sid).status == "completed"
        assert [post["path"] for post in receiver.posts] == ["/moved"]
    finally:
        redirector.close()


def test_a_relative_redirect_resolves_against_the_document_url(fresh: TwilioEmulator, receiver: Receiver) -> None:
    receiver.answer = b"<Response><Redirect>next</Redirect></Response>"
    client = sdk_client(fresh)
    call = client.calls.create(to=RECIPIENT, from_=DEFAULT_FROM, url=f"{receiver.url}/voice/start", time_limit=1)
    ended(client, call.sid)
    assert [post["path"] for post in receiver.posts][:2] == ["/voice/start", "/voice/next"]
