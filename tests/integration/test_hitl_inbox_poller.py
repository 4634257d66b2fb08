"""The pull path's poller shares its turns through Airflow's DB and reads each message once, across restarts.

Real parts: the emulator over real HTTP through the official SDK, and the session's migrated SQLite
metadata DB (the turns live in its ``variable`` table). The pending registry and the resolver are
replaced by small stand-ins here, so what is counted is the poller's own work: its list requests
and the messages it hands on. Its clock is a counter, so "an interval later" needs no waiting.
"""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from datetime import datetime, timedelta, timezone
from typing import Any
from urllib.parse import parse_qs

import pytest

from airflow_provider_twilio.emulator import TwilioEmulator

pytestmark = [pytest.mark.every_line]

INBOX = "+15005550006"
ALICE, BOB, STRANGER = "+15551230071", "+15551230072", "+15551230079"


def hitl_line() -> bool:
    from importlib.util import find_spec

    return find_spec("airflow.models.hitl") is not None


@pytest.fixture(autouse=True)
def _needs_hitl() -> None:
    if not hitl_line():
        pytest.skip("human-in-the-loop requests, and so the pull path that answers them, exist on Airflow 3.1+")


class Clock:
    def __init__(self) -> None:
        self.now = 1_000_000.0

    def __call__(self) -> float:
        return self.now


class Answers:
    """Stands in for ``answer_by_text``: records what it was handed."""

    def __init__(self) -> None:
        self.handed: list[dict[str, Any]] = []

    def __call__(self, conn_id: str, **message: Any) -> None:
        self.handed.append({"conn_id": conn_id, **message})

    def sids(self) -> list[str]:
        return [m["message_sid"] for m in self.handed]


@pytest.fixture
def conn_id(request: pytest.FixtureRequest, fresh: TwilioEmulator, monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    """A connection of its own per test: its turns are rows of their own."""
    name = f"twilio_poll_{request.node.name[:40]}".lower()
    extras = {"base_url": fresh.base_url, "default_from": INBOX}
    value = {"conn_type": "twilio", "login": fresh.account_sid, "password": fresh.auth_token, "extra": extras}
    monkeypatch.setenv(f"AIRFLOW_CONN_{name.upper()}", json.dumps(value))
    yield name


def list_requests(emu: TwilioEmulator) -> list[str]:
    """The ``From`` of each Messages list request, in order."""
    found = []
    for entry in emu.request_log():
        if entry["method"] == "GET" and entry["path"].endswith("/Messages.json"):
            found.append(parse_qs(entry["query"]).get("From", [""])[0])
    return found


def poller(conn_id: str, clock: Clock, answers: Answers, since: datetime, phones: set[str]) -> Any:
    from airflow_provider_twilio.answers.inbox import InboxPoller

    return InboxPoller(
        10.0, pending=lambda: {conn_id: phones}, since=lambda conn, phone: since, answer=answers, clock=clock
    )


def test_two_pollers_make_one_list_request_per_phone_and_interval(
    fresh: TwilioEmulator, conn_id: str, airflow_db: Any
) -> None:
    clock, answers = Clock(), Answers()
    since = datetime.now(timezone.utc) - timedelta(seconds=5)
    first, second = (poller(conn_id, clock, answers, since, {ALICE, BOB}) for _ in range(2))
    fresh.clear_request_log()

    start = clock.now
    for offset in (0, 0, 4, 4, 9.9, 10, 10, 15, 19, 20.5, 20.5, 25):
        clock.now = start + offset
        for worker in (first, second) if offset != 10 else (second, first):
            worker.round()

    # Turns at 0, 10 and 20.5: three per phone, whichever worker took each.
    assert sorted(list_requests(fresh)) == [ALICE] * 3 + [BOB] * 3
    assert first.polls + second.polls == 6 and first.polls and second.polls


def test_a_restarted_poller_hands_on_nothing_twice_and_only_what_came_after_the_request(
    fresh: TwilioEmulator, conn_id: str, airflow_db: Any
) -> None:
    clock, answers = Clock(), Answers()
    before = fresh.inject_inbound(ALICE, INBOX, "approve")  # sent before the request: never an answer
    since = datetime.now(timezone.utc) + timedelta(seconds=2)  # the request is younger than that text
    time.sleep(3.1)  # the emulator dates messages to the second: the next one is after the request
    answer = fresh.inject_inbound(ALICE, INBOX, "approve")
    stranger = fresh.inject_inbound(STRANGER, INBOX, "approve")

    poller(conn_id, clock, answers, since, {ALICE}).round()
    assert answers.sids() == [answer["sid"]]
    assert answers.handed[0] | {"body": "approve"} == {
        "conn_id": conn_id, "from_number": ALICE, "to_number": INBOX, "body": "approve",
        "message_sid": answer["sid"], "via": "sms",
    }  # fmt: skip

    # Restarted (a new process knows nothing): it goes on from the cursor kept in the DB.
    clock.now += 10
    restarted = poller(conn_id, clock, answers, since, {ALICE})
    restarted.round()
    assert restarted.polls == 1 and answers.sids() == [answer["sid"]]

    later = fresh.inject_inbound(ALICE, INBOX, "reject")
    clock.now += 10
    poller(conn_id, clock, answers, since, {ALICE}).round()
    assert answers.sids() == [answer["sid"], later["sid"]]
    assert before["sid"] not in answers.sids() and stranger["sid"] not in answers.sids()


def test_a_round_that_fails_while_answering_reads_the_same_messages_again(
    fresh: TwilioEmulator, conn_id: str, airflow_db: Any
) -> None:
    """The cursor is kept only after every message was handed on; the resolver makes a second reading harmless."""
    clock, answers = Clock(), Answers()
    since = datetime.now(timezone.utc) - timedelta(seconds=5)
    sent = fresh.inject_inbound(ALICE, INBOX, "approve")

    def failing(conn_id: str, **message: Any) -> None:
        raise RuntimeError("the database went away")

    with pytest.raises(RuntimeError):
        poller(conn_id, clock, failing, since, {ALICE}).round()  # type: ignore[arg-type]
    clock.now += 10
    poller(conn_id, clock, answers, since, {ALICE}).round()
    assert answers.sids() == [sent["sid"]]


def test_nothing_pending_asks_nothing_of_twilio(fresh: TwilioEmulator, conn_id: str, airflow_db: Any) -> None:
    clock, answers = Clock(), Answers()
    fresh.clear_request_log()
    poller(conn_id, clock, answers, datetime.now(timezone.utc), set()).round()
    assert list_requests(fresh) == [] and answers.handed == []


def test_with_the_real_registry_and_resolver_a_restarted_poller_answers_once(
    airflow_db: Any, twilio_emulator: TwilioEmulator
) -> None:
    """A request made as Airflow makes it; Alice's text read by one poller, then again by a restarted one
    that lost the cursor (killed between answering and saving it): one answer, one confirmation."""
    from airflow.models.hitl import HITLDetail
    from airflow.models.taskinstance import TaskInstance
    from airflow.models.variable import Variable
    from airflow.utils.session import create_session
    from sqlalchemy import delete, select, update

    from airflow_provider_twilio.answers.inbox import InboxPoller, lease_key
    from tests.support.hitl_db import ALICE as PHONE
    from tests.support.hitl_db import NUMBER, create_run, hitl_row, park

    run_id = "hitl_inbox_poller_restart"
    dag = create_run(run_id)
    ti = park(dag, run_id, "approve", {PHONE: "alice"})
    requested_at = hitl_row(ti.id).created_at
    key = lease_key("twilio_default", PHONE)
    try:
        twilio_emulator.inject_inbound(STRANGER, NUMBER, "approve")  # not a respondent: never read
        twilio_emulator.inject_inbound(PHONE, NUMBER, "approve")
        clock = Clock()
        first = InboxPoller(10.0, clock=clock)
        assert first.round() == 1
        row = hitl_row(ti.id)
        assert row.chosen_options == ["Approve"] and row.responded_by["id"] == "alice"
        confirmations = [m for m in twilio_emulator.messages() if m["to"] == PHONE and m["direction"] != "inbound"]
        assert [m["body"] for m in confirmations] == ["Recorded: Approve for 'Deploy 2.4.1 to production?'"]

        # Nothing is pending any more: nobody asks Twilio.
        twilio_emulator.clear_request_log()
        clock.now += 10
        assert InboxPoller(10.0, clock=clock).round() == 0 and list_requests(twilio_emulator) == []

        # A restarted poller that lost the cursor reads Alice's text again while a request is still pending.
        with create_session() as session:
            session.execute(delete(Variable.__table__).where(Variable.__table__.c.key == key))
            session.execute(delete(HITLDetail).where(HITLDetail.ti_id == ti.id))
        ti = park(dag, run_id, "approve", {PHONE: "alice"})
        with create_session() as session:  # as old as the first: Alice's text is within its window
            session.execute(update(HITLDetail).where(HITLDetail.ti_id == ti.id).values(created_at=requested_at))
        twilio_emulator.clear_request_log()
        restarted = InboxPoller(10.0, clock=clock)
        assert restarted.round() == 1  # read again...
        assert list_requests(twilio_emulator) == [PHONE]
        again = [m["sid"] for m in twilio_emulator.messages() if m["to"] == PHONE and m["direction"] != "inbound"]
        assert again == [m["sid"] for m in confirmations]  # ...and not answered again
        assert hitl_row(ti.id).responded_at is None
    finally:
        with create_session() as session:
            ids = select(TaskInstance.id).where(TaskInstance.run_id == run_id)
            session.execute(delete(HITLDetail).where(HITLDetail.ti_id.in_(ids)))
            session.execute(delete(Variable.__table__).where(Variable.__table__.c.key == key))
