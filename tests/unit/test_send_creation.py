"""A batch creates each message through the SDK's own ``_create`` and reads the answer's JSON: the same
request, result and errors as ``create()``, without the SDK object nobody reads."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from typing import Any

import pytest

from airflow_provider_twilio.emulator import TwilioEmulator
from airflow_provider_twilio.sending import BatchOptions, send_batch, validate_batch
from airflow_provider_twilio.sending.creation import CreatedMessage, create_message
from airflow_provider_twilio.sending.results import from_message
from tests.support.emulator import DEFAULT_FROM, sdk_client

FIELDS = ("sid", "status", "num_segments", "error_code", "error_message")


@pytest.fixture(scope="module")
def emulator() -> Iterator[TwilioEmulator]:
    with TwilioEmulator() as emu:
        emu.configure(status_delay=3600)
        yield emu


def messages_of(emu: TwilioEmulator) -> Any:
    return sdk_client(emu).api.v2010.account.messages


def test_the_light_path_reads_what_the_sdk_object_holds_for_the_same_message(emulator: TwilioEmulator) -> None:
    messages = messages_of(emulator)
    created = create_message(messages, {"to": "+14155550101", "from_": DEFAULT_FROM, "body": "Grüße " * 40})
    assert isinstance(created, CreatedMessage)
    fetched = messages(created.sid).fetch()
    assert {name: getattr(created, name) for name in FIELDS} == {name: getattr(fetched, name) for name in FIELDS}
    assert created.num_segments == "2" and created.status == "queued"
    assert from_message("+14155550101", created) == from_message("+14155550101", fetched)


def test_an_error_answer_raises_what_create_raises(emulator: TwilioEmulator) -> None:
    from twilio.base.exceptions import TwilioRestException

    messages = messages_of(emulator)
    kwargs = {"to": "+15005550001", "from_": DEFAULT_FROM, "body": "x"}  # Twilio's invalid-number magic number
    with pytest.raises(TwilioRestException) as light:
        create_message(messages, kwargs)
    with pytest.raises(TwilioRestException) as sdk:
        messages.create(**kwargs)
    assert (light.value.status, light.value.code, light.value.msg) == (sdk.value.status, sdk.value.code, sdk.value.msg)
    assert light.value.code == 21211


def test_a_batch_never_calls_create_on_a_real_sdk_resource(
    emulator: TwilioEmulator, monkeypatch: pytest.MonkeyPatch
) -> None:
    from twilio.rest.api.v2010.account.message import MessageList

    calls = {"create": 0, "_create": 0}
    for name in calls:
        original = getattr(MessageList, name)

        def counted(self: Any, *args: Any, _name: str = name, _original: Any = original, **kwargs: Any) -> Any:
            calls[_name] += 1
            return _original(self, *args, **kwargs)

        monkeypatch.setattr(MessageList, name, counted)
    recipients = [f"+1415555{i:04d}" for i in range(20)]
    batch = validate_batch(to=recipients, body="Maintenance tonight", default_from=DEFAULT_FROM)
    outcome = send_batch(messages_of(emulator), batch, BatchOptions(max_concurrency=4), log=logging.getLogger("t"))
    assert not outcome.failures and [r["status"] for r in outcome.results] == ["queued"] * 20
    assert calls == {"create": 0, "_create": 20}


def test_a_resource_without_the_helper_or_with_create_replaced_is_asked_through_create(
    emulator: TwilioEmulator,
) -> None:
    class NoHelper:
        def __init__(self) -> None:
            self.kwargs: dict[str, Any] = {}

        def create(self, **kwargs: Any) -> str:
            self.kwargs = kwargs
            return "from create()"

    plain = NoHelper()
    assert create_message(plain, {"to": "+14155550102"}) == "from create()"
    assert plain.kwargs == {"to": "+14155550102"}

    messages = messages_of(emulator)
    messages.create = lambda **kwargs: "replaced create()"  # a wrapper a test or a user put on this one resource
    assert create_message(messages, {"to": "+14155550103", "from_": DEFAULT_FROM, "body": "x"}) == "replaced create()"
