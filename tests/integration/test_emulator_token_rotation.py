"""``rotate_auth_token()``: the emulator's account gets a new auth token and refuses the old one, as Twilio does."""

from __future__ import annotations

import pytest

from airflow_provider_twilio.emulator import TwilioEmulator
from tests.support.emulator import DEFAULT_FROM, RECIPIENT, rest_error, sdk_client


@pytest.mark.parametrize("separate_process", [False, True], ids=["in_process", "child_process"])
def test_a_rotated_token_replaces_the_old_one(separate_process: bool) -> None:
    with TwilioEmulator(separate_process=separate_process) as emu:
        old_token, old_uri = emu.auth_token, emu.connection_uri
        sid, secret = emu.create_api_key()

        new_token = emu.rotate_auth_token()

        assert new_token != old_token and len(new_token) == 32
        assert emu.auth_token == new_token
        assert old_token not in emu.connection_uri and emu.connection_uri != old_uri
        error = rest_error(lambda: sdk_client(emu, password=old_token).api.v2010.accounts(emu.account_sid).fetch())
        assert (error.status, error.code) == (401, 20003)
        assert sdk_client(emu).api.v2010.accounts(emu.account_sid).fetch().auth_token == new_token
        # API keys are separate credentials: a rotation of the auth token leaves them working.
        keyed = sdk_client(emu, username=sid, password=secret)
        assert keyed.messages.create(to=RECIPIENT, from_=DEFAULT_FROM, body="x").sid.startswith("SM")
