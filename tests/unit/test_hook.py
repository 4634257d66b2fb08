"""TwilioHook: connection -> configured SDK client, checked against a small local HTTP server.

The server stands in for Twilio at the HTTP level only (fixed JSON answers, recorded requests), so
these tests exercise the real SDK and its real HTTP clients without the full emulator.
"""

from __future__ import annotations

import asyncio
import base64
import json
import logging
import socket
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import urlsplit

import pytest

from airflow_provider_twilio.exceptions import TwilioConnectionConfigError
from airflow_provider_twilio.hooks.twilio import TwilioHook

ACCOUNT_SID = "AC" + "0123456789abcdef" * 2
KEY_SID = "SK" + "fedcba9876543210" * 2
TOKEN = "TOKEN-sq8Zr2-recognisable-4f1e"
ACCOUNT_PATH = f"/2010-04-01/Accounts/{ACCOUNT_SID}.json"
MESSAGES_PATH = f"/2010-04-01/Accounts/{ACCOUNT_SID}/Messages.json"


@dataclass
class Route:
    status: int
    body: dict[str, Any]
    delay: float = 0.0


@dataclass
class FakeApi:
    """Answers fixed JSON per path and records what it was asked."""

    base_url: str = ""
    routes: dict[tuple[str, str], Route] = field(default_factory=dict)
    requests: list[dict[str, Any]] = field(default_factory=list)

    def route(self, method: str, path: str, status: int, body: dict[str, Any], delay: float = 0.0) -> None:
        self.routes[(method, path)] = Route(status, body, delay)

    def paths(self) -> list[str]:
        return [request["path"] for request in self.requests]


def _handler(api: FakeApi) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def _answer(self) -> None:
            parts = urlsplit(self.path)
            length = int(self.headers.get("Content-Length") or 0)
            body = self.rfile.read(length).decode() if length else ""
            auth = self.headers.get("Authorization", "")
            user = base64.b64decode(auth.split()[1]).decode() if auth.startswith("Basic ") else ""
            api.requests.append(
                {"method": self.command, "path": parts.path, "query": parts.query, "basic": user, "body": body}
            )
            route = api.routes.get((self.command, parts.path))
            if route is None:
                route = Route(404, {"code": 20404, "message": "The requested resource was not found", "status": 404})
            if route.delay:
                time.sleep(route.delay)
            payload = json.dumps(route.body).encode()
            try:
                self.send_response(route.status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(payload)))
                self.end_headers()
                self.wfile.write(payload)
            except (BrokenPipeError, ConnectionResetError):
                pass  # the client gave up (timeout tests)

        do_GET = do_POST = _answer

        def log_message(self, format: str, *args: Any) -> None:
            pass

    return Handler


@pytest.fixture
def fake_api() -> Iterator[FakeApi]:
    api = FakeApi()
    server = ThreadingHTTPServer(("127.0.0.1", 0), _handler(api))
    server.daemon_threads = True
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    api.base_url = f"http://127.0.0.1:{server.server_address[1]}"
    api.route("GET", ACCOUNT_PATH, 200, {"sid": ACCOUNT_SID, "friendly_name": "Test account", "status": "active"})
    try:
        yield api
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)


def set_connection(
    monkeypatch: pytest.MonkeyPatch,
    conn_id: str,
    *,
    login: str = ACCOUNT_SID,
    password: str = TOKEN,
    **extra: Any,
) -> None:
    """Define a connection the way deployments do: a JSON AIRFLOW_CONN_* variable."""
    value = {"conn_type": "twilio", "login": login, "password": password, "extra": extra}
    monkeypatch.setenv(f"AIRFLOW_CONN_{conn_id.upper()}", json.dumps(value))


def test_hook_identity() -> None:
    assert TwilioHook.conn_type == "twilio"
    assert TwilioHook.hook_name == "Twilio"
    assert TwilioHook.default_conn_name == "twilio_default"
    assert TwilioHook.conn_name_attr == "twilio_conn_id"
    assert TwilioHook().twilio_conn_id == "twilio_default"
    assert repr(TwilioHook("abc")) == "<TwilioHook conn_id='abc'>"


def test_get_conn_is_cached_per_hook(monkeypatch: pytest.MonkeyPatch, fake_api: FakeApi) -> None:
    set_connection(monkeypatch, "cached", base_url=fake_api.base_url)
    hook = TwilioHook("cached")
    client = hook.get_conn()
    assert hook.get_conn() is client
    assert TwilioHook("cached").get_conn() is not client


def test_region_and_edge_reach_the_client(monkeypatch: pytest.MonkeyPatch) -> None:
    set_connection(monkeypatch, "regional", region="ie1", edge="dublin", timeout="7")
    client = TwilioHook("regional").get_conn()
    assert (client.region, client.edge) == ("ie1", "dublin")
    assert client.api.base_url == "https://api.twilio.com"
    assert client.http_client.timeout == 7.0
    # The SDK derives the host from them for every request.
    assert client.get_hostname(f"https://api.twilio.com{ACCOUNT_PATH}") == (
        f"https://api.dublin.ie1.twilio.com{ACCOUNT_PATH}"
    )


def test_twilio_environment_variables_do_not_override_the_connection(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TWILIO_REGION", "au1")
    monkeypatch.setenv("TWILIO_EDGE", "sydney")
    monkeypatch.setenv("TWILIO_ACCOUNT_SID", "AC" + "9" * 32)
    monkeypatch.setenv("TWILIO_AUTH_TOKEN", "from-the-environment")
    set_connection(monkeypatch, "plain")
    client = TwilioHook("plain").get_conn()
    assert (client.region, client.edge) == (None, None)
    assert client.auth == (ACCOUNT_SID, TOKEN)
    assert client.get_hostname(f"https://api.twilio.com{ACCOUNT_PATH}") == f"https://api.twilio.com{ACCOUNT_PATH}"


def test_base_url_and_timeout_reach_the_client(monkeypatch: pytest.MonkeyPatch, fake_api: FakeApi) -> None:
    set_connection(monkeypatch, "local", base_url=fake_api.base_url + "/", timeout=4.5)
    hook = TwilioHook("local")
    client = hook.get_conn()
    assert client.api.base_url == fake_api.base_url
    assert client.http_client.timeout == 4.5
    ok, message = hook.test_connection()
    assert ok, message
    assert message == f"Connected to Twilio account {ACCOUNT_SID} (Test account, active)"
    assert fake_api.requests == [
        {"method": "GET", "path": ACCOUNT_PATH, "query": "", "basic": f"{ACCOUNT_SID}:{TOKEN}", "body": ""}
    ]


def test_base_url_wins_over_region_and_edge(
    monkeypatch: pytest.MonkeyPatch, fake_api: FakeApi, caplog: pytest.LogCaptureFixture, capsys: Any
) -> None:
    set_connection(monkeypatch, "both", base_url=fake_api.base_url, region="ie1", edge="dublin")
    caplog.set_level(logging.WARNING)
    hook = TwilioHook("both")
    client = hook.get_conn()
    assert (client.region, client.edge) == (None, None)
    assert hook.test_connection()[0]
    logged = caplog.text + capsys.readouterr().out
    assert "sets base_url, so its region/edge extras are not applied" in logged


def test_api_key_authenticates_as_the_key_for_the_account(monkeypatch: pytest.MonkeyPatch, fake_api: FakeApi) -> None:
    set_connection(monkeypatch, "keyed", login=KEY_SID, password="key-secret", account_sid=ACCOUNT_SID,
                   base_url=fake_api.base_url)  # fmt: skip
    hook = TwilioHook("keyed")
    client = hook.get_conn()
    assert (client.username, client.account_sid) == (KEY_SID, ACCOUNT_SID)
    assert hook.test_connection()[0]
    assert fake_api.requests[0]["basic"] == f"{KEY_SID}:key-secret"
    assert fake_api.requests[0]["path"] == ACCOUNT_PATH


def test_sync_pool_is_sized_for_the_sender(monkeypatch: pytest.MonkeyPatch) -> None:
    set_connection(monkeypatch, "pool")
    session = TwilioHook("pool").get_conn().http_client.session
    for prefix in ("http://", "https://"):
        assert session.get_adapter(prefix + "example.com")._pool_maxsize == 64


def test_wrong_token_gives_twilios_reason(monkeypatch: pytest.MonkeyPatch, fake_api: FakeApi) -> None:
    fake_api.route("GET", ACCOUNT_PATH, 401, {"code": 20003, "message": "Authenticate", "status": 401})
    set_connection(monkeypatch, "wrong", base_url=fake_api.base_url)
    ok, reason = TwilioHook("wrong").test_connection()
    assert not ok
    assert "20003" in reason
    assert "Authenticate" in reason
    assert TOKEN not in reason


def test_unreachable_api_is_reported_not_raised(monkeypatch: pytest.MonkeyPatch, fake_api: FakeApi) -> None:
    fake_api.route("GET", ACCOUNT_PATH, 200, {"sid": ACCOUNT_SID}, delay=3)
    set_connection(monkeypatch, "slow", base_url=fake_api.base_url, timeout=0.3)
    ok, reason = TwilioHook("slow").test_connection()
    assert not ok
    assert reason.startswith("Could not reach Twilio")


def test_malformed_connection_fails_the_test_and_raises_on_use(monkeypatch: pytest.MonkeyPatch) -> None:
    set_connection(monkeypatch, "broken", login=KEY_SID)
    hook = TwilioHook("broken")
    ok, reason = hook.test_connection()
    assert not ok
    assert (
        reason == "Twilio connection 'broken': extra 'account_sid' is required when the login is an API key SID (SK...)"
    )
    with pytest.raises(TwilioConnectionConfigError, match="'broken': extra 'account_sid'"):
        hook.get_conn()


def test_missing_connection_fails_the_test(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("AIRFLOW_CONN_NOWHERE", raising=False)
    ok, reason = TwilioHook("nowhere").test_connection()
    assert not ok
    assert "'nowhere'" in reason


def test_pagination_follows_base_url(monkeypatch: pytest.MonkeyPatch, fake_api: FakeApi) -> None:
    def message(n: int) -> dict[str, Any]:
        return {"sid": f"SM{n:032d}", "account_sid": ACCOUNT_SID, "body": f"m{n}", "status": "delivered"}

    next_uri = f"{MESSAGES_PATH}?PageSize=2&Page=1&PageToken=PAtoken"
    first = {"messages": [message(1), message(2)], "next_page_uri": next_uri, "page": 0, "page_size": 2}
    fake_api.route("GET", MESSAGES_PATH, 200, first)
    set_connection(monkeypatch, "paged", base_url=fake_api.base_url)
    client = TwilioHook("paged").get_conn()

    page = client.messages.page(page_size=2)
    assert [m.body for m in page] == ["m1", "m2"]
    assert page.next_page_url == fake_api.base_url + next_uri
    fake_api.route("GET", MESSAGES_PATH, 200, {"messages": [message(3)], "next_page_uri": None, "page": 1})
    assert [m.body for m in page.next_page()] == ["m3"]
    assert fake_api.paths() == [MESSAGES_PATH, MESSAGES_PATH]
    assert "PageToken=PAtoken" in fake_api.requests[1]["query"]


def test_async_client_fetches_and_closes_its_session(monkeypatch: pytest.MonkeyPatch, fake_api: FakeApi) -> None:
    set_connection(monkeypatch, "async_ok", base_url=fake_api.base_url, timeout=3)
    hook = TwilioHook("async_ok")

    async def fetch() -> tuple[Any, Any]:
        async with hook.async_client() as client:
            assert client.http_client.is_async
            assert client.http_client.timeout == 3.0
            assert client.api.base_url == fake_api.base_url
            account = await client.api.v2010.accounts(ACCOUNT_SID).fetch_async()
            return account, client.http_client.session

    account, session = asyncio.run(fetch())
    assert account.friendly_name == "Test account"
    assert session.closed
    assert fake_api.requests[0]["basic"] == f"{ACCOUNT_SID}:{TOKEN}"


def test_async_client_is_built_off_the_event_loop(monkeypatch: pytest.MonkeyPatch, fake_api: FakeApi) -> None:
    """Importing the SDK and building the client take most of a second once per process: not on the loop."""
    set_connection(monkeypatch, "async_thread", base_url=fake_api.base_url)
    built_in: list[threading.Thread] = []
    build = TwilioHook._build_async_client

    def spy(self: TwilioHook) -> Any:
        built_in.append(threading.current_thread())
        return build(self)

    monkeypatch.setattr(TwilioHook, "_build_async_client", spy)

    async def open_one() -> tuple[threading.Thread, Any]:
        async with TwilioHook("async_thread").async_client() as client:
            return threading.current_thread(), client.http_client.session

    loop_thread, session = asyncio.run(open_one())
    assert len(built_in) == 1 and built_in[0] is not loop_thread
    assert session is not None and session.closed  # one pooled session, opened on the loop, closed on exit


def test_async_client_honours_its_timeout(monkeypatch: pytest.MonkeyPatch, fake_api: FakeApi) -> None:
    """The SDK's async client drops its own timeout; the hook's client must not wait forever."""
    fake_api.route("GET", ACCOUNT_PATH, 200, {"sid": ACCOUNT_SID}, delay=5)
    set_connection(monkeypatch, "async_slow", base_url=fake_api.base_url, timeout=0.3)

    async def fetch() -> None:
        async with TwilioHook("async_slow").async_client() as client:
            await client.api.v2010.accounts(ACCOUNT_SID).fetch_async()

    with pytest.raises(asyncio.TimeoutError):
        asyncio.run(fetch())


def test_async_client_never_resends_a_failed_post(monkeypatch: pytest.MonkeyPatch, fake_api: FakeApi) -> None:
    fake_api.route("POST", MESSAGES_PATH, 500, {"code": 20500, "message": "Internal Server Error", "status": 500})
    set_connection(monkeypatch, "async_post", base_url=fake_api.base_url)

    async def send() -> None:
        async with TwilioHook("async_post").async_client() as client:
            await client.messages.create_async(to="+15551230001", from_="+15005550006", body="hi")

    from twilio.base.exceptions import TwilioRestException

    with pytest.raises(TwilioRestException):
        asyncio.run(send())
    assert [r["method"] for r in fake_api.requests] == ["POST"]


def test_token_never_appears_in_logs_messages_or_reprs(
    monkeypatch: pytest.MonkeyPatch, fake_api: FakeApi, caplog: pytest.LogCaptureFixture, capsys: Any
) -> None:
    caplog.set_level(logging.DEBUG)
    caplog.set_level(logging.DEBUG, logger="airflow_provider_twilio.sdk_http")
    seen: list[str] = []

    set_connection(monkeypatch, "good", base_url=fake_api.base_url)
    good = TwilioHook("good")
    ok, message = good.test_connection()
    assert ok
    client = good.get_conn()
    seen += [message, repr(good), repr(good.settings), str(good.settings), repr(client), repr(client.http_client)]

    fake_api.route("GET", ACCOUNT_PATH, 401, {"code": 20003, "message": "Authenticate", "status": 401})
    seen.append(TwilioHook("good").test_connection()[1])

    for conn_id, extra in [
        ("no_account", {"login": KEY_SID}),
        ("bad_url", {"base_url": "nowhere"}),
        ("bad_timeout", {"timeout": "ten"}),
        ("bad_sid", {"login": "XX" + "0" * 32}),
    ]:
        login = extra.pop("login", ACCOUNT_SID)
        set_connection(monkeypatch, conn_id, login=login, **extra)
        hook = TwilioHook(conn_id)
        seen.append(hook.test_connection()[1])
        with pytest.raises(TwilioConnectionConfigError) as caught:
            hook.get_conn()
        seen += [str(caught.value), repr(caught.value), str(caught.value.as_dict())]

    # The SDK's request logging was on at DEBUG: it must not leak the Authorization header either.
    assert "BEGIN Twilio API Request" in caplog.text
    output = capsys.readouterr()
    for text in [*seen, caplog.text, output.out, output.err]:
        assert TOKEN not in text


def test_threads_share_one_client(monkeypatch: pytest.MonkeyPatch) -> None:
    from concurrent.futures import ThreadPoolExecutor

    set_connection(monkeypatch, "threaded")
    hook = TwilioHook("threaded")
    hook.settings  # noqa: B018 - read the connection once, as the sender does before fanning out
    build = TwilioHook._build_client

    def slow_build(self: TwilioHook, http_client: Any) -> Any:
        time.sleep(0.2)  # widen the window in which unsynchronised threads would each build a client
        return build(self, http_client)

    monkeypatch.setattr(TwilioHook, "_build_client", slow_build)
    with ThreadPoolExecutor(max_workers=8) as pool:
        clients = list(pool.map(lambda _: hook.get_conn(), range(32)))
    assert len({id(client) for client in clients}) == 1


def test_hook_can_be_copied_like_operator_attributes(monkeypatch: pytest.MonkeyPatch) -> None:
    import copy
    import pickle

    set_connection(monkeypatch, "copied")
    hook = TwilioHook("copied")
    assert copy.deepcopy(hook).twilio_conn_id == "copied"
    assert pickle.loads(pickle.dumps(hook)).twilio_conn_id == "copied"


@pytest.fixture
def listener() -> Iterator[tuple[int, list[bytes]]]:
    """A bare TCP listener on a free port: records whatever any client sends it."""
    server = socket.create_server(("127.0.0.1", 0))
    server.settimeout(0.2)
    received: list[bytes] = []
    stop = threading.Event()

    def accept() -> None:
        while not stop.is_set():
            try:
                peer, _ = server.accept()
            except OSError:
                continue
            with peer:
                peer.settimeout(1)
                try:
                    received.append(peer.recv(65536))
                except OSError:
                    received.append(b"")

    thread = threading.Thread(target=accept, daemon=True)
    thread.start()
    try:
        yield server.getsockname()[1], received
    finally:
        stop.set()
        thread.join(timeout=5)
        server.close()


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("region", "x@127.0.0.1:{port}/"),
        ("edge", "x@127.0.0.1:{port}/"),
        ("region", "127.0.0.1:{port}#"),
        ("edge", "evil.example#"),
    ],
)
def test_region_and_edge_cannot_send_the_token_to_another_host(
    monkeypatch: pytest.MonkeyPatch, listener: tuple[int, list[bytes]], field: str, value: str
) -> None:
    port, received = listener
    set_connection(monkeypatch, "hijack", **{field: value.format(port=port)})
    hook = TwilioHook("hijack")

    ok, reason = hook.test_connection()
    assert not ok
    assert reason.startswith(f"Twilio connection 'hijack': extra '{field}' contains ")
    assert "lowercase letters, digits and hyphens" in reason
    with pytest.raises(TwilioConnectionConfigError, match=f"extra '{field}'"):
        hook.get_conn()

    async def fetch() -> None:
        async with hook.async_client() as client:
            await client.api.v2010.accounts(ACCOUNT_SID).fetch_async()

    with pytest.raises(TwilioConnectionConfigError, match=f"extra '{field}'"):
        asyncio.run(fetch())
    time.sleep(0.3)
    assert received == []


def test_a_timeout_too_large_to_use_is_refused_by_name(monkeypatch: pytest.MonkeyPatch, fake_api: FakeApi) -> None:
    set_connection(monkeypatch, "forever", base_url=fake_api.base_url, timeout=1e10)
    ok, reason = TwilioHook("forever").test_connection()
    assert not ok
    assert reason == (
        "Twilio connection 'forever': extra 'timeout' 1e+10 is outside the valid range; "
        "expected a number of seconds, more than 0 and at most 3600"
    )
    assert fake_api.requests == []


def test_the_largest_timeout_works_on_both_clients(monkeypatch: pytest.MonkeyPatch, fake_api: FakeApi) -> None:
    set_connection(monkeypatch, "patient", base_url=fake_api.base_url, timeout=3600)
    hook = TwilioHook("patient")
    assert hook.test_connection()[0]

    async def fetch() -> str:
        async with hook.async_client() as client:
            account = await client.api.v2010.accounts(ACCOUNT_SID).fetch_async()
            return str(account.sid)

    assert asyncio.run(fetch()) == ACCOUNT_SID
    assert fake_api.paths() == [ACCOUNT_PATH, ACCOUNT_PATH]


@pytest.mark.parametrize("base_url", ["http://api.example.net", "http://10.0.0.5:8089/2010-04-01", "http://[::2]:80"])
def test_a_clear_text_base_url_is_refused_before_any_request(monkeypatch: pytest.MonkeyPatch, base_url: str) -> None:
    set_connection(monkeypatch, "clear", base_url=base_url)
    hook = TwilioHook("clear")
    sent: list[Any] = []
    monkeypatch.setattr("twilio.http.http_client.TwilioHttpClient.request", lambda *a, **k: sent.append(a))

    ok, reason = hook.test_connection()
    assert not ok
    assert reason.startswith("Twilio connection 'clear': extra 'base_url' is http:// to a host that is not loopback")
    assert "the auth token would travel in clear text" in reason
    with pytest.raises(TwilioConnectionConfigError, match=r"'clear': extra 'base_url'.*clear text"):
        hook.get_conn()

    async def fetch() -> None:
        async with hook.async_client() as client:
            await client.api.v2010.accounts(ACCOUNT_SID).fetch_async()

    with pytest.raises(TwilioConnectionConfigError, match="clear text"):
        asyncio.run(fetch())
    assert sent == []


def test_http_to_localhost_keeps_working(monkeypatch: pytest.MonkeyPatch, fake_api: FakeApi) -> None:
    set_connection(monkeypatch, "local", base_url=fake_api.base_url.replace("127.0.0.1", "localhost"))
    ok, reason = TwilioHook("local").test_connection()
    assert ok, reason
    assert fake_api.paths() == [ACCOUNT_PATH]
