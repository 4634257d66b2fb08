"""TwilioInboundSmsSensor's poke against the emulator, over real HTTP with the real SDK."""

from __future__ import annotations

import threading
import time
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime, timedelta, timezone
from types import SimpleNamespace
from typing import TYPE_CHECKING, Any
from urllib.parse import parse_qs

import pytest

from airflow_provider_twilio.exceptions import (
    ErrorType,
    TwilioAuthenticationError,
    TwilioInputError,
)
from airflow_provider_twilio.sensors.sms import TwilioInboundSmsSensor

if TYPE_CHECKING:
    from airflow_provider_twilio.emulator.server import TwilioEmulator

US, ANN, BOB = "+15005550006", "+15551230001", "+15551230002"
PATTERN = r"^(?P<answer>YES|NO) (?P<code>\d{4})$"


class FakeTI:
    """Collects what the sensor pushes to XCom."""

    def __init__(self) -> None:
        self.pushed: dict[str, Any] = {}

    def xcom_push(self, key: str, value: Any) -> None:
        self.pushed[key] = value


def context(start: datetime) -> dict[str, Any]:
    return {"dag_run": SimpleNamespace(start_date=start), "ti": FakeTI()}


def sensor(**kwargs: Any) -> TwilioInboundSmsSensor:
    kwargs.setdefault("pattern", PATTERN)
    return TwilioInboundSmsSensor(task_id="wait", poke_interval=0.1, timeout=30, **kwargs)


def start(s: TwilioInboundSmsSensor, ctx: dict[str, Any]) -> None:
    """What execute() does before its poke loop."""
    s._wait = s._prepare(ctx)


def now_next_second() -> datetime:
    time.sleep(1.05 - (time.time() % 1))
    return datetime.now(timezone.utc)


def list_requests(emu: TwilioEmulator) -> list[dict[str, list[str]]]:
    return [
        parse_qs(r["query"]) for r in emu.request_log() if r["path"].endswith("/Messages.json") and r["method"] == "GET"
    ]


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"pattern": "(?P<answer>YES"}, "pattern: '(?P<answer>YES' is not a valid regular expression"),
        ({"echo": "OK ${answr}"}, r"echo: unknown placeholder(s) ${answr}"),
        ({"echo": "costs $"}, "echo: invalid placeholder"),
        ({"since": "last tuesday"}, "since: 'last tuesday' is not a datetime or an ISO-8601"),
        ({"to": "15005550006"}, "to: '15005550006' is not an E.164 phone number"),
        ({"from_": ["+1555"]}, "from_: '+1555' is too short"),
        ({"echo_error": "Sorry"}, "echo_error: needs from_"),
    ],
)
def test_bad_arguments_fail_before_any_request(
    twilio_emulator: TwilioEmulator, kwargs: dict[str, Any], message: str
) -> None:
    twilio_emulator.clear_request_log()
    with pytest.raises(TwilioInputError) as info:
        sensor(**kwargs).execute(context(datetime.now(timezone.utc)))
    assert message in str(info.value)
    assert twilio_emulator.request_log() == []


def test_idle_poke_costs_one_request_whatever_the_history(twilio_emulator: TwilioEmulator) -> None:
    emu = twilio_emulator
    for i in range(300):
        emu.inject_inbound(from_=ANN, to=US, body=f"old {i}")
    since = now_next_second()
    emu.inject_inbound(from_=ANN, to=US, body="not an answer")
    s, ctx = sensor(from_=ANN), context(since)
    start(s, ctx)
    emu.clear_request_log()
    assert s.poke(ctx) is False
    first = list_requests(emu)
    assert len(first) == 1
    assert first[0]["To"] == [US] and first[0]["From"] == [ANN] and "DateSent>" in first[0]
    for _ in range(3):
        emu.clear_request_log()
        assert s.poke(ctx) is False
        assert len(list_requests(emu)) == 1
    assert max(r["response_bytes"] for r in emu.request_log()) < 3000


def test_match_pushes_result_and_groups(twilio_emulator: TwilioEmulator) -> None:
    emu = twilio_emulator
    emu.inject_inbound(from_=ANN, to=US, body="YES 1111")
    since = now_next_second()
    s, ctx = sensor(from_=[ANN, BOB], echo="Thanks, ${answer} (${2}) noted"), context(since)
    start(s, ctx)
    assert s.poke(ctx) is False
    emu.inject_inbound(from_=BOB, to=US, body="NO 2222")
    emu.inject_inbound(from_=ANN, to=US, body="YES 3333")
    done = s.poke(ctx)
    assert done.is_done
    result = done.xcom_value
    assert result["match_groups"] == {"answer": "NO", "code": "2222"}
    assert result["groups"] == ["NO", "2222"]
    assert result["message"]["from"] == BOB and datetime.fromisoformat(result["message"]["date_sent"]) >= since.replace(
        microsecond=0
    )
    assert ctx["ti"].pushed == {"match_groups": {"answer": "NO", "code": "2222"}}
    echoes = [m for m in emu.messages() if m["direction"] != "inbound"]
    assert [(m["to"], m["from"], m["body"]) for m in echoes] == [(BOB, US, "Thanks, NO (2222) noted")]


def test_to_defaults_to_the_connection_sender_and_ignore_case(twilio_emulator: TwilioEmulator) -> None:
    since = now_next_second()
    twilio_emulator.inject_inbound(from_=ANN, to="+15551239999", body="yes 1234")
    twilio_emulator.inject_inbound(from_=ANN, to=US, body="yes 4321")
    s, ctx = sensor(ignore_case=True, since=since.isoformat()), context(since - timedelta(days=1))
    start(s, ctx)
    done = s.poke(ctx)
    assert done.xcom_value["match_groups"] == {"answer": "yes", "code": "4321"}


def test_transient_errors_wait_for_the_next_poke(twilio_emulator: TwilioEmulator) -> None:
    emu = twilio_emulator
    since = now_next_second()
    s, ctx = sensor(), context(since)
    start(s, ctx)
    emu.inject_inbound(from_=ANN, to=US, body="YES 4821")
    emu.configure(throttle=1.0)
    assert s.poke(ctx) is False
    assert s.poke(ctx) is False
    emu.configure(throttle=0.0)
    assert s.poke(ctx).xcom_value["match_groups"]["code"] == "4821"
    throttled = [r for r in emu.request_log() if r["status"] == 429]
    assert len(throttled) == 2


def test_authentication_errors_fail_at_once(twilio_emulator: TwilioEmulator, monkeypatch: pytest.MonkeyPatch) -> None:
    wrong = twilio_emulator.connection_uri.replace(twilio_emulator.auth_token, "0" * 32)
    monkeypatch.setenv("AIRFLOW_CONN_TWILIO_DEFAULT", wrong)
    s, ctx = sensor(), context(datetime.now(timezone.utc))
    start(s, ctx)
    with pytest.raises(TwilioAuthenticationError) as info:
        s.poke(ctx)
    assert info.value.error_type is ErrorType.AUTHENTICATION_CONNECTION_ERROR
    assert "0" * 32 not in str(info.value)


def test_error_reply_once_across_sensor_restarts(twilio_emulator: TwilioEmulator) -> None:
    """Reschedule mode builds a new sensor each poke: the message log, not memory, prevents a second reply."""
    emu = twilio_emulator
    since = now_next_second()
    emu.inject_inbound(from_=ANN, to=US, body="what?")
    for _ in range(3):
        s, ctx = sensor(from_=ANN, echo_error="Sorry, '${body}' is not an answer"), context(since)
        start(s, ctx)
        assert s.poke(ctx) is False
        assert s.poke(ctx) is False
    emu.inject_inbound(from_=ANN, to=US, body="huh?")
    s, ctx = sensor(from_=ANN, echo_error="Sorry, '${body}' is not an answer"), context(since)
    start(s, ctx)
    assert s.poke(ctx) is False
    replies = [m["body"] for m in reversed(emu.messages()) if m["direction"] != "inbound"]
    assert replies == ["Sorry, 'what?' is not an answer", "Sorry, 'huh?' is not an answer"]


def test_messages_from_before_since_are_ignored(twilio_emulator: TwilioEmulator) -> None:
    emu = twilio_emulator
    emu.inject_inbound(from_=ANN, to=US, body="YES 1111")
    since = now_next_second()
    s, ctx = sensor(since=since + timedelta(microseconds=1)), context(since - timedelta(days=1))
    start(s, ctx)
    assert s.poke(ctx) is False


def test_a_refused_confirmation_does_not_fail_the_match(twilio_emulator: TwilioEmulator) -> None:
    """+15005550001 cannot be texted (21211): the reply is logged as refused and the match still counts."""
    since = now_next_second()
    twilio_emulator.inject_inbound(from_="+15005550001", to=US, body="YES 1234")
    s, ctx = sensor(echo="Thanks"), context(since)
    start(s, ctx)
    done = s.poke(ctx)
    assert done.xcom_value["match_groups"] == {"answer": "YES", "code": "1234"}
    assert [m for m in twilio_emulator.messages() if m["direction"] != "inbound"] == []


def test_sensors_poking_at_once_in_one_process_send_one_error_reply(twilio_emulator: TwilioEmulator) -> None:
    """Two sensors (threads of one worker) see the wrong answer together; only one of them answers it."""
    emu = twilio_emulator
    emu.configure(latency=0.15)
    since = now_next_second()
    emu.inject_inbound(from_=ANN, to=US, body="maybe")
    sensors = [(sensor(from_=ANN, echo_error="Sorry, not an answer"), context(since)) for _ in range(2)]
    for s, ctx in sensors:
        start(s, ctx)
    together = threading.Barrier(len(sensors))

    def poke_together(pair: tuple[TwilioInboundSmsSensor, dict[str, Any]]) -> Any:
        together.wait()
        return pair[0].poke(pair[1])

    for _ in range(3):
        with ThreadPoolExecutor(len(sensors)) as pool:
            assert list(pool.map(poke_together, sensors)) == [False, False]
    assert [m["body"] for m in emu.messages() if m["direction"] != "inbound"] == ["Sorry, not an answer"]
    assert all(s._owed == [] for s, _ in sensors)


@pytest.mark.parametrize("keyword", ["STOP", "start", "Help."])
def test_a_keyword_never_satisfies_even_a_catch_all_pattern(twilio_emulator: TwilioEmulator, keyword: str) -> None:
    """Twilio's STOP, START and HELP are a phone talking to Twilio: no reply, and no error reply either."""
    emu = twilio_emulator
    since = now_next_second()
    s, ctx = sensor(pattern=".*", from_=ANN, echo_error="Not understood: ${body}"), context(since)
    start(s, ctx)
    emu.inject_inbound(from_=ANN, to=US, body=keyword)
    assert s.poke(ctx) is False
    assert [m for m in emu.messages() if m["direction"] == "outbound-api"] == []
    emu.inject_inbound(from_=ANN, to=US, body="ship it")
    done = s.poke(ctx)
    assert done.is_done and done.xcom_value["message"]["body"] == "ship it"
