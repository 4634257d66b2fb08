"""Number hygiene: ``lookup="line_type"`` with the real SDK over HTTP, Lookup v2 served by the emulator."""

from __future__ import annotations

import threading
from collections import Counter
from typing import Any

import pytest

from airflow_provider_twilio.emulator.simulation.line_types import LINE_TYPES_BY_DIGIT, magic_number
from airflow_provider_twilio.exceptions import ErrorType, TwilioApiError, TwilioConnectionConfigError
from airflow_provider_twilio.sending.line_types import CACHE_KEY, SAVE_EVERY
from tests.support.task_context import context, operator, outbound

LOOKUP_PATH = "/v2/PhoneNumbers/"


class TaskStateStore:
    """Airflow 3.3's ``task_state_store`` accessor, as a task sees it: kept across tries of the task."""

    def __init__(self) -> None:
        self.values: dict[str, Any] = {}
        self.writes = 0

    def get(self, key: str, default: Any = None) -> Any:
        return self.values.get(key, default)

    def set(self, key: str, value: Any) -> None:
        self.values[key] = value
        self.writes += 1


def lookups(emulator: Any) -> list[dict[str, Any]]:
    return [e for e in emulator.request_log() if e["path"].startswith(LOOKUP_PATH)]


def message_posts(emulator: Any) -> list[dict[str, Any]]:
    return [e for e in emulator.request_log() if e["method"] == "POST" and e["path"].endswith("/Messages.json")]


def test_emulator_serves_each_magic_line_type_through_the_sdk(twilio_emulator: Any) -> None:
    from airflow_provider_twilio.hooks.twilio import TwilioHook

    client = TwilioHook().get_conn()
    for line_type in LINE_TYPES_BY_DIGIT:
        answer = client.lookups.v2.phone_numbers(magic_number(line_type, 7)).fetch(fields="line_type_intelligence")
        assert answer.valid is True and answer.calling_country_code == "1"
        assert answer.line_type_intelligence["type"] == line_type
    mobile = client.lookups.v2.phone_numbers("+447700900123").fetch(fields="line_type_intelligence")
    assert mobile.country_code == "GB" and mobile.line_type_intelligence["type"] == "mobile"
    # The lookups went to the emulator (the connection's base_url), with the connection's credentials.
    invalid = client.lookups.v2.phone_numbers("+1555").fetch(fields="line_type_intelligence")
    assert invalid.valid is False and invalid.line_type_intelligence is None
    # The lookups went to the emulator (the connection's base_url), with the connection's credentials.
    assert len(lookups(twilio_emulator)) == len(LINE_TYPES_BY_DIGIT) + 2
    assert all(e["status"] == 200 and "Fields=line_type_intelligence" in e["query"] for e in lookups(twilio_emulator))


def test_with_a_base_url_no_request_goes_to_another_host(twilio_emulator: Any) -> None:
    from airflow_provider_twilio.hooks.twilio import TwilioHook

    client = TwilioHook().get_conn()
    # A domain the hook does not point at base_url keeps Twilio's host: refused before anything is sent.
    with pytest.raises(TwilioConnectionConfigError, match=r"Refused to send a request to https://content\.twilio\.com"):
        client.content.v1.contents.list(limit=1)


def test_landlines_are_skipped_and_reported_and_each_mobile_texted_once(twilio_emulator: Any) -> None:
    mobiles = [f"+1555123{i:04d}" for i in range(90)]
    landlines = [magic_number("landline", i) for i in range(10)]
    recipients = [number for pair in zip(mobiles[:10], landlines, strict=True) for number in pair] + mobiles[10:]
    results = operator(to=recipients, lookup="line_type").execute(context())

    assert [r["to"] for r in results] == recipients
    by_to = {r["to"]: r for r in results}
    for number in landlines:
        assert by_to[number]["status"] == "skipped" and by_to[number]["sid"] is None
        assert by_to[number]["error_type"] == "LINE_TYPE" and "landline" in by_to[number]["error_message"]
    assert all(by_to[number]["sid"] for number in mobiles)
    assert Counter(m["to"] for m in outbound(twilio_emulator)) == Counter(mobiles)
    assert len(message_posts(twilio_emulator)) == 90
    assert sorted(e["path"].removeprefix(LOOKUP_PATH) for e in lookups(twilio_emulator)) == sorted(recipients)


def test_only_textable_line_types_are_texted_and_whatsapp_is_not_looked_up(twilio_emulator: Any) -> None:
    numbers = {line_type: magic_number(line_type) for line_type in LINE_TYPES_BY_DIGIT}
    whatsapp = "whatsapp:" + magic_number("landline", 50)
    results = operator(to=[*numbers.values(), whatsapp], lookup="line_type", fail_on_error=False).execute(context())

    texted = {r["to"] for r in results if r["sid"]}
    assert texted == {numbers[t] for t in ("mobile", "fixedVoip", "nonFixedVoip", "personal")} | {whatsapp}
    assert {r["to"] for r in results if r["status"] == "skipped"} == {
        numbers[t] for t in ("landline", "tollFree", "premium", "sharedCost", "voicemail", "unknown")
    }
    assert len(lookups(twilio_emulator)) == len(numbers)


def test_a_retried_try_reads_line_types_from_the_task_record_not_from_twilio(twilio_emulator: Any) -> None:
    store = TaskStateStore()
    recipients = [f"+1555124{i:04d}" for i in range(30)] + [magic_number("landline", i) for i in range(3)]
    first = operator(to=recipients, lookup="line_type").execute({**context(), "task_state_store": store})
    assert len(lookups(twilio_emulator)) == len(recipients)
    assert store.values[CACHE_KEY] == 1 and store.values[f"{CACHE_KEY}/0"][magic_number("landline", 0)] == "landline"

    twilio_emulator.clear_request_log()
    second = operator(to=[*recipients, "+15551249999"], lookup="line_type").execute(
        {**context(try_number=2), "task_state_store": store}
    )
    # Only the number the first try never saw is looked up; nobody is texted twice.
    assert [e["path"].removeprefix(LOOKUP_PATH) for e in lookups(twilio_emulator)] == ["+15551249999"]
    assert [r["to"] for r in second if r["status"] == "skipped"] == [r["to"] for r in first if r["status"] == "skipped"]
    assert Counter(m["to"] for m in outbound(twilio_emulator)) == Counter([*recipients[:30], "+15551249999"])


def test_line_types_are_written_to_the_task_record_as_they_come_in(twilio_emulator: Any) -> None:
    store = TaskStateStore()
    recipients = [f"+1555125{i:04d}" for i in range(SAVE_EVERY + 5)]
    operator(to=recipients, lookup="line_type", max_concurrency=20).execute({**context(), "task_state_store": store})
    # Two parts (500 answers, then the last 5), each written once with the count after it.
    assert store.writes == 4 and store.values[CACHE_KEY] == 2
    assert len(store.values[f"{CACHE_KEY}/0"]) == SAVE_EVERY and len(store.values[f"{CACHE_KEY}/1"]) == 5


def test_lookups_run_at_most_max_concurrency_at_a_time(twilio_emulator: Any) -> None:
    twilio_emulator.configure(latency=0.05)
    seen = {"now": 0, "most": 0}
    lock = threading.Lock()
    from airflow_provider_twilio.hooks._http import LeanTwilioHttpClient

    original = LeanTwilioHttpClient.request

    def counted(self: Any, method: str, url: str, *args: Any, **kwargs: Any) -> Any:
        if LOOKUP_PATH not in url:
            return original(self, method, url, *args, **kwargs)
        with lock:
            seen["now"] += 1
            seen["most"] = max(seen["most"], seen["now"])
        try:
            return original(self, method, url, *args, **kwargs)
        finally:
            with lock:
                seen["now"] -= 1

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(LeanTwilioHttpClient, "request", counted)
        operator(to=[f"+1555126{i:04d}" for i in range(40)], lookup="line_type", max_concurrency=3).execute(context())
    assert seen["most"] == 3


def test_refused_credentials_stop_lookups_before_anything_is_sent(twilio_emulator: Any) -> None:
    twilio_emulator.rotate_auth_token()
    with pytest.raises(TwilioApiError) as info:
        operator(to=[f"+1555127{i:04d}" for i in range(20)], lookup="line_type").execute(context())
    assert info.value.error_type is ErrorType.AUTHENTICATION_CONNECTION_ERROR
    assert "nothing was sent" in str(info.value)
    assert message_posts(twilio_emulator) == [] and len(lookups(twilio_emulator)) <= 10


def test_the_async_client_also_looks_up_at_base_url_and_goes_nowhere_else(twilio_emulator: Any) -> None:
    import asyncio

    from airflow_provider_twilio.hooks.twilio import TwilioHook

    async def run() -> str:
        async with TwilioHook().async_client() as client:
            with pytest.raises(TwilioConnectionConfigError, match=r"https://content\.twilio\.com"):
                await client.content.v1.contents.list_async(limit=1)
            found = await client.lookups.v2.phone_numbers(magic_number("landline")).fetch_async(
                fields="line_type_intelligence"
            )
            return str(found.line_type_intelligence["type"])

    assert asyncio.run(run()) == "landline"
    assert len(lookups(twilio_emulator)) == 1
