"""One table of emulator settings, three faces: the Python API, ``/_emulator/configure`` and the command line.

Each test runs for every name in ``SETTINGS``, so a setting added to the table without a face to set
it (or without a sample here) fails.
"""

from __future__ import annotations

import random
import typing
from collections.abc import Iterator
from typing import Any

import pytest

from airflow_provider_twilio.emulator import TwilioEmulator
from airflow_provider_twilio.emulator.cli import parse_args, settings_given
from airflow_provider_twilio.emulator.simulation.settings import SETTINGS, EmulatorSettings, current
from airflow_provider_twilio.emulator.state import EmulatorState

SAMPLES: dict[str, Any] = {
    "latency": 0.25,
    "fail_before_commit": 0.5,
    "fail_after_commit": 0.25,
    "throttle": 0.75,
    "max_concurrent_requests": 3,
    "late_commit": 0.125,
    "late_commit_delay": 7.0,
    "seed": 42,
    "status_delay": 0.2,
    "duplicate_webhooks": True,
    "enforce_max_price": True,
}
"""A valid value other than the default, per setting."""

BAD: dict[str, Any] = {
    "latency": 601,
    "fail_before_commit": 2,
    "fail_after_commit": -0.5,
    "throttle": "often",
    "max_concurrent_requests": 0,
    "late_commit": 1.5,
    "late_commit_delay": 3601,
    "seed": [1],
    "status_delay": -1,
    "duplicate_webhooks": "yes",
    "enforce_max_price": 1,
}
"""A value each setting refuses."""


def took_effect(state: EmulatorState, name: str, value: Any) -> bool:
    if name == "seed":  # not readable back: the generator must draw what a generator with that seed draws
        return state.faults._random.random() == random.Random(value).random()
    return current(state)[name] == value


def cli_args(name: str, value: Any) -> list[str]:
    option = "--" + name.replace("_", "-")
    return [option] if SETTINGS[name].kind == "flag" else [option, str(value)]


@pytest.fixture
def control() -> Iterator[Any]:
    from starlette.testclient import TestClient

    from airflow_provider_twilio.emulator.app import create_app

    state = EmulatorState()
    with TestClient(create_app(state)) as client:
        client.emulator_state = state  # type: ignore[attr-defined]
        yield client


def test_every_setting_has_a_sample_a_bad_value_and_a_typed_keyword() -> None:
    assert set(SETTINGS) == set(SAMPLES) == set(BAD) == set(typing.get_type_hints(EmulatorSettings))
    for name, setting in SETTINGS.items():
        assert SAMPLES[name] != setting.default, name


@pytest.mark.parametrize("name", list(SETTINGS))
def test_the_python_api_accepts_every_setting(name: str) -> None:
    emulator = TwilioEmulator()
    emulator.configure(**{name: SAMPLES[name]})  # type: ignore[misc]
    assert took_effect(emulator.state, name, SAMPLES[name])
    with pytest.raises(ValueError, match=name):
        emulator.configure(**{name: BAD[name]})  # type: ignore[misc]
    assert took_effect(emulator.state, name, SAMPLES[name]) or name == "seed"  # a refused value changes nothing


@pytest.mark.parametrize("name", list(SETTINGS))
def test_the_control_endpoint_accepts_every_setting(control: Any, name: str) -> None:
    answer = control.post("/_emulator/configure", json={name: SAMPLES[name]})
    assert answer.status_code == 200, answer.text
    assert took_effect(control.emulator_state, name, SAMPLES[name])
    refused = control.post("/_emulator/configure", json={name: BAD[name]})
    assert refused.status_code == 400
    assert name in refused.json()["message"]


@pytest.mark.parametrize("name", list(SETTINGS))
def test_the_command_line_accepts_every_setting(name: str) -> None:
    given = settings_given(parse_args(cli_args(name, SAMPLES[name])))
    assert given == {name: SAMPLES[name]}
    emulator = TwilioEmulator()
    emulator.configure(**given)
    assert took_effect(emulator.state, name, SAMPLES[name])


@pytest.mark.parametrize("name", [name for name, s in SETTINGS.items() if s.kind not in ("flag", "seed")])
def test_the_command_line_refuses_a_bad_value_naming_the_setting(name: str, capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as info:
        parse_args(cli_args(name, BAD[name]))
    assert info.value.code == 2
    assert name.replace("_", "-") in capsys.readouterr().err.replace("_", "-")


def test_an_unknown_setting_is_refused_by_every_face(control: Any) -> None:
    with pytest.raises(TypeError, match="colour"):
        TwilioEmulator().configure(colour="red")  # type: ignore[call-arg]
    refused = control.post("/_emulator/configure", json={"colour": "red"})
    assert refused.status_code == 400 and "colour" in refused.json()["message"]
    with pytest.raises(SystemExit):
        parse_args(["--colour", "red"])


def test_reset_restores_every_default(control: Any) -> None:
    state = control.emulator_state
    control.post("/_emulator/configure", json={name: SAMPLES[name] for name in SETTINGS})
    assert control.post("/_emulator/reset").status_code == 204
    assert current(state) == {name: s.default for name, s in SETTINGS.items() if name != "seed"}
    assert control.get("/_emulator/configure").json() == current(state)
