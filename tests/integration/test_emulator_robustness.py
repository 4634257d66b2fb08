"""No request gets a 5xx: malformed bodies, headers and control input get a 4xx in Twilio's error shape."""

from __future__ import annotations

import json
from typing import Any

import pytest

from airflow_provider_twilio.emulator import TwilioEmulator
from airflow_provider_twilio.emulator.http.errors import ApiError
from tests.support.emulator import (
    DEFAULT_FROM,
    RECIPIENT,
    assert_twilio_error,
    basic_auth,
    http_request,
    sdk_client,
)

NOT_UTF8 = b"To=%2B15551230001&From=%2B15005550006&Body=caf\xe9"
LONE_SURROGATE = "\ud800"


def api_path(emu: TwilioEmulator, rest: str) -> str:
    return f"/2010-04-01/Accounts/{emu.account_sid}{rest}"


@pytest.mark.parametrize("resource", ["/Messages.json", "/Messages/{sid}.json", "/Calls.json"])
def test_a_form_body_that_is_not_utf8_gets_400(fresh: TwilioEmulator, resource: str) -> None:
    fresh.configure(status_delay=0)
    sid = sdk_client(fresh).messages.create(to=RECIPIENT, from_=DEFAULT_FROM, body="x").sid
    path = api_path(fresh, resource.format(sid=sid))
    error = assert_twilio_error(
        *http_request(fresh.base_url, "POST", path, NOT_UTF8, {"Authorization": basic_auth(fresh)}), 400
    )
    assert "UTF-8" in error["message"]


@pytest.mark.parametrize(
    "header", [b"Basic \xe9\xe9\xe9", b"Basic " + "ü:ö".encode(), b"Basic " + b"\xff\xfe:x".hex().encode()]
)
def test_a_non_ascii_authorization_header_gets_401(fresh: TwilioEmulator, header: bytes) -> None:
    answer = http_request(fresh.base_url, "GET", api_path(fresh, "/Messages.json"), headers={"Authorization": header})
    assert assert_twilio_error(*answer, 401)["code"] == 20003


def test_inbound_with_a_lone_surrogate_is_refused_and_lists_keep_working(fresh: TwilioEmulator) -> None:
    with pytest.raises(ApiError) as info:
        fresh.inject_inbound(from_=RECIPIENT, body=f"hi {LONE_SURROGATE}")
    assert info.value.status == 400 and "body" in info.value.message
    payload = json.dumps({"from": RECIPIENT, "body": LONE_SURROGATE}).encode()  # "\ud800" escaped in JSON
    answer = http_request(fresh.base_url, "POST", "/_emulator/inbound", payload)
    assert_twilio_error(*answer, 400)
    with pytest.raises(ValueError, match="body"):
        fresh.add_auto_reply(to=RECIPIENT, body=LONE_SURROGATE)
    fresh.inject_inbound(from_=RECIPIENT, body="fine")
    assert [m.body for m in sdk_client(fresh).messages.list()] == ["fine"]
    status, _, body = http_request(fresh.base_url, "GET", "/_emulator/messages")
    assert status == 200 and len(json.loads(body)["messages"]) == 1


@pytest.mark.parametrize(
    ("path", "raw_payload", "field", "valid_range"),
    [
        ("auto_replies", '{"to": "+15551230001", "body": "x", "delay": NaN}', "delay", "from 0 to 86400"),
        ("auto_replies", '{"to": "+15551230001", "body": "x", "delay": 1e308}', "delay", "from 0 to 86400"),
        ("configure", '{"latency": 1e308}', "latency", "from 0 to 600"),
        ("configure", '{"latency": NaN}', "latency", "from 0 to 600"),
        ("configure", '{"status_delay": Infinity}', "status_delay", "from 0 to 86400"),
        ("configure", '{"status_delay": "soon"}', "status_delay", "from 0 to 86400"),
        ("configure", '{"throttle": NaN}', "throttle", "between 0 and 1"),
    ],
)
def test_control_endpoints_refuse_numbers_out_of_range(
    fresh: TwilioEmulator, path: str, raw_payload: str, field: str, valid_range: str
) -> None:
    answer = http_request(fresh.base_url, "POST", f"/_emulator/{path}", raw_payload.encode())
    error = assert_twilio_error(*answer, 400)
    assert field in error["message"] and valid_range in error["message"], error
    # Nothing changed: the emulator still answers at once and has no auto-reply.
    status, _, body = http_request(fresh.base_url, "GET", "/_emulator/configure")
    assert status == 200 and json.loads(body)["latency"] == 0
    assert fresh.state.auto_replies() == []


@pytest.mark.parametrize("settings", [{"latency": float("nan")}, {"status_delay": float("inf")}])
def test_python_api_refuses_numbers_out_of_range(fresh: TwilioEmulator, settings: dict[str, Any]) -> None:
    with pytest.raises(ValueError, match="seconds from 0 to"):
        fresh.configure(**settings)
    with pytest.raises(ValueError, match="delay must be a number of seconds from 0 to 86400"):
        fresh.add_auto_reply(to=RECIPIENT, body="x", delay=float("nan"))
