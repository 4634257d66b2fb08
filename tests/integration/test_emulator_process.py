"""``TwilioEmulator(separate_process=True)``: the same Python API, served from a child process."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from airflow_provider_twilio.emulator import TwilioEmulator
from airflow_provider_twilio.emulator.backends import ChildProcessBackend
from airflow_provider_twilio.emulator.http.errors import ApiError
from tests.support.emulator import DEFAULT_FROM, RECIPIENT, rest_error, sdk_client, wait_for


@pytest.fixture(scope="module")
def emu() -> Iterator[TwilioEmulator]:
    with TwilioEmulator(separate_process=True) as emulator:
        yield emulator


def test_python_api_drives_the_child_process(emu: TwilioEmulator) -> None:
    emu.reset()
    emu.configure(status_delay=0.01)
    client = sdk_client(emu)
    emu.add_auto_reply(to=RECIPIENT, body="YES 7", delay=0.01, times=1)
    sent = client.messages.create(to=RECIPIENT, from_=DEFAULT_FROM, body="ok?")
    assert wait_for(lambda: len(emu.messages()) == 2)
    assert [m["body"] for m in emu.messages()] == ["YES 7", "ok?"]
    assert emu.messages()[1]["sid"] == sent.sid
    assert isinstance(emu._backend, ChildProcessBackend)
    assert emu._backend.call("GET", "auto_replies") == {"auto_replies": []}  # used up in the child
    injected = emu.inject_inbound(from_="+15551230002", body="hi")
    assert client.messages(injected["sid"]).fetch().body == "hi"
    assert [entry["method"] for entry in emu.request_log()] == ["POST", "GET"]
    emu.clear_request_log()
    assert emu.request_log() == []
    assert len(emu.messages()) == 3
    emu.reset()
    assert emu.messages() == []
    assert len(emu.state.store) == 0 and emu.state.request_log() == []  # the parent's own state is unused


def test_faults_and_keys_in_the_child_process(emu: TwilioEmulator) -> None:
    emu.reset()
    emu.configure(throttle=1.0, seed=1)
    error = rest_error(lambda: sdk_client(emu).messages.create(to=RECIPIENT, from_=DEFAULT_FROM, body="x"))
    assert error.code == 20429
    emu.configure(throttle=0)
    sid, secret = emu.create_api_key()
    assert (
        sdk_client(emu, username=sid, password=secret)
        .messages.create(to=RECIPIENT, from_=DEFAULT_FROM, body="x")
        .sid.startswith("SM")
    )


def test_errors_surface_like_in_process(emu: TwilioEmulator) -> None:
    with pytest.raises(ValueError, match="throttle"):
        emu.configure(throttle=3)
    with pytest.raises(ValueError):
        emu.add_auto_reply(to=RECIPIENT, body="x", delay=-1)
    with pytest.raises(ApiError) as info:
        emu.inject_inbound(from_="not a number", body="x")
    assert info.value.code == 21211


def test_stop_ends_the_child_process() -> None:
    emulator = TwilioEmulator(separate_process=True).start()
    assert isinstance(emulator._backend, ChildProcessBackend)
    process = emulator._backend._process
    assert process is not None and process.poll() is None
    emulator.stop()
    assert process.poll() == 0
