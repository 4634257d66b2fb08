"""Methods a path does not take get 405 in Twilio's error shape, with an Allow header listing the ones it does."""

from __future__ import annotations

import pytest

from airflow_provider_twilio.emulator import TwilioEmulator
from tests.support.emulator import assert_twilio_error, basic_auth, http_request

ACCOUNT = "/2010-04-01/Accounts/{account}"
SID = "SM" + "0" * 32
ROUTES = {
    ACCOUNT + ".json": {"GET", "HEAD"},
    ACCOUNT + "/Messages.json": {"GET", "HEAD", "POST"},
    ACCOUNT + f"/Messages/{SID}.json": {"GET", "HEAD", "POST", "DELETE"},
    ACCOUNT + "/Calls.json": {"GET", "HEAD", "POST"},
    ACCOUNT + f"/Messages/{SID}/Media.json": {"GET", "HEAD"},
    ACCOUNT + f"/Messages/{SID}/Media/ME{'0' * 32}.json": {"GET", "HEAD"},
    ACCOUNT + "/Calls/CA" + "0" * 32 + ".json": {"GET", "HEAD", "POST"},
    ACCOUNT + "/Calls/CA" + "0" * 32 + "/Notifications.json": {"GET", "HEAD"},
    "/_emulator/inbound": {"POST"},
    "/_emulator/messages": {"GET", "HEAD"},
    "/_emulator/configure": {"GET", "HEAD", "POST"},
    "/_emulator/auto_replies": {"GET", "HEAD", "POST"},
    "/_emulator/reset": {"POST"},
    "/_emulator/requests": {"GET", "HEAD", "DELETE"},
    "/_emulator/api_keys": {"POST"},
    "/_emulator/call_behaviours": {"POST"},
    "/_emulator/calls": {"GET", "HEAD"},
}
METHODS = ["GET", "POST", "DELETE", "PUT", "PATCH", "OPTIONS", "TRACE"]


@pytest.mark.parametrize(("path", "allowed"), ROUTES.items(), ids=list(ROUTES))
def test_other_methods_get_405_with_the_real_allow_header(emu: TwilioEmulator, path: str, allowed: set[str]) -> None:
    path = path.format(account=emu.account_sid)
    for method in METHODS:
        if method in allowed:
            continue
        status, headers, body = http_request(emu.base_url, method, path, headers={"Authorization": basic_auth(emu)})
        error = assert_twilio_error(status, headers, body, 405)
        assert error["code"] == 20004, (method, error)
        assert method in error["message"]
        assert headers["allow"].split(", ") == sorted(allowed), (method, headers)


@pytest.mark.parametrize("method", METHODS)
def test_unknown_paths_get_404_for_every_method(emu: TwilioEmulator, method: str) -> None:
    for path in (f"/2010-04-01/Accounts/{emu.account_sid}/Queues.json", "/_emulator/nothing", "/elsewhere"):
        answer = http_request(emu.base_url, method, path, headers={"Authorization": basic_auth(emu)})
        assert assert_twilio_error(*answer, 404)["code"] == 20404


def test_head_answers_like_get_without_a_body(emu: TwilioEmulator) -> None:
    path = f"/2010-04-01/Accounts/{emu.account_sid}/Messages.json"
    status, headers, body = http_request(emu.base_url, "HEAD", path, headers={"Authorization": basic_auth(emu)})
    assert (status, body) == (200, b"")
    assert headers["content-type"] == "application/json"
