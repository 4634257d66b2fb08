"""Signed webhooks into the receiver app, mounted at /twilio as the plugin mounts it, on the real metadata DB.

A re-cut of a genuine signed webhook (the same signed text split at other parameter boundaries) and a
signed form that is not Twilio's are refused with 400 and record nothing; Twilio's redelivery is
dropped by its idempotency token.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import quote, urlencode

import pytest

from airflow_provider_twilio.webhooks import webhooks_supported
from tests.support.webhook_receiver import BASE, mounted_receiver
from tests.support.webhook_receiver import sign as signed

pytestmark = pytest.mark.skipif(
    not webhooks_supported(),
    reason="webhooks need Airflow 3.3+: FastAPI plugins on the api-server (none on 2.11) and the asset state store",
)

CONN_ID = "twilio_hooks"
ACCOUNT = "AC" + "a" * 32
TOKEN = "f" * 32
NUMBER = "+15005550006"
SENDER = "+15551230001"
PATTERN = r"^DEPLOY (?P<version>\S+)$"


@dataclass
class Receiver:
    client: Any
    db: Path

    def count(self, table: str) -> int:
        with sqlite3.connect(self.db, timeout=30) as conn:
            return int(conn.execute(f"SELECT COUNT(*) FROM {table}").fetchone()[0])

    def recorded(self) -> tuple[int, int, int]:
        """Asset events, asset state store rows (claims and marks) and XComs."""
        return self.count("asset_event"), self.count("asset_state_store"), self.count("xcom")

    def post(
        self,
        route: str,
        pairs: list[tuple[str, str]],
        query: list[tuple[str, str]] | None = None,
        *,
        signed_pairs: list[tuple[str, str]] | None = None,
        headers: dict[str, str] | None = None,
    ) -> int:
        """POST ``pairs`` as a form, signed with the account's token for the URL (and ``signed_pairs``)."""
        path = f"/twilio/{CONN_ID}/{route}"
        if query:
            path += "?" + urlencode(query, quote_via=quote, safe="")
        signature = sign(BASE + path, signed_pairs if signed_pairs is not None else pairs)
        answer = self.client.post(
            path,
            content=urlencode(pairs).encode(),
            headers={
                "Content-Type": "application/x-www-form-urlencoded",
                "X-Twilio-Signature": signature,
                **(headers or {}),
            },
        )
        return int(answer.status_code)


def sign(url: str, pairs: list[tuple[str, str]]) -> str:
    return signed(TOKEN, url, pairs)


@pytest.fixture(scope="module")
def receiver(request: pytest.FixtureRequest) -> Iterator[Receiver]:
    """The receiver app behind /twilio, a Twilio connection, and one SMS and one status watcher in the DB."""
    from airflow_provider_twilio.triggers.events import TwilioInboundSmsEventTrigger
    from airflow_provider_twilio.triggers.status_events import TwilioMessageStatusEventTrigger

    db: Path = request.getfixturevalue("airflow_db")
    suffix = request.module.__name__.rsplit(".", 1)[-1]
    watched = {
        f"texts_{suffix}": TwilioInboundSmsEventTrigger(pattern=PATTERN, source="webhook", twilio_conn_id=CONN_ID),
        f"failures_{suffix}": TwilioMessageStatusEventTrigger(twilio_conn_id=CONN_ID),
    }
    with mounted_receiver(CONN_ID, ACCOUNT, TOKEN, NUMBER, watched) as client:
        yield Receiver(client=client, db=db)


def inbound(n: int, body: str = "DEPLOY 1.2.3", **overrides: str) -> list[tuple[str, str]]:
    """An inbound-SMS webhook form as Twilio (and the emulator) sends it, sorted by name."""
    sid = f"SM{n:032x}"
    form = {
        "AccountSid": ACCOUNT,
        "ApiVersion": "2010-04-01",
        "Body": body,
        "From": SENDER,
        "MessageSid": sid,
        "NumMedia": "0",
        "NumSegments": "1",
        "SmsMessageSid": sid,
        "SmsSid": sid,
        "SmsStatus": "received",
        "To": NUMBER,
        "ToCountry": "US",
        **overrides,
    }
    return sorted(form.items())


def status(n: int, message_status: str = "undelivered", **overrides: str) -> list[tuple[str, str]]:
    sid = f"SM{n:032x}"
    form = {
        "AccountSid": ACCOUNT,
        "ApiVersion": "2010-04-01",
        "ErrorCode": "30003",
        "ErrorMessage": "Unreachable destination handset",
        "From": NUMBER,
        "MessageSid": sid,
        "MessageStatus": message_status,
        "SmsSid": sid,
        "SmsStatus": message_status,
        "To": SENDER,
        **overrides,
    }
    return sorted(form.items())


def re_cuts(pairs: list[tuple[str, str]]) -> list[list[tuple[str, str]]]:
    """Every other split of the signed text (names and values joined, sorted by name) that moves, removes
    or adds one parameter boundary and still carries the same signature."""
    text = "".join(name + value for name, value in pairs)
    cuts: list[int] = []
    position = 0
    for name, value in pairs:
        cuts += [position, position + len(name)]
        position += len(name) + len(value)

    def split(points: list[int]) -> list[tuple[str, str]] | None:
        if points[0] != 0 or points != sorted(set(points)) or len(points) % 2:
            return None
        bounds = [*points, len(text)]
        found = [
            (text[bounds[i] : bounds[i + 1]], text[bounds[i + 1] : bounds[i + 2]]) for i in range(0, len(points), 2)
        ]
        names = [name for name, _ in found]
        if any(not name for name in names) or names != sorted(names) or len(set(names)) != len(names):
            return None  # Twilio sorts by name: only a split whose names stay in order signs the same
        return found

    candidates: list[list[int]] = []
    for index in range(1, len(cuts)):
        for target in range(1, len(text)):
            candidates.append(sorted({*cuts[:index], target, *cuts[index + 1 :]}))  # move one boundary
    for index in range(2, len(cuts), 2):
        candidates.append(cuts[:index] + cuts[index + 2 :])  # one parameter joins the value before it
    for index in range(1, len(cuts), 2):
        end = cuts[index + 1] if index + 1 < len(cuts) else len(text)
        for start in range(cuts[index] + 1, end):  # a new parameter cut out of the end of a value
            for value_start in range(start + 1, end + 1):
                candidates.append(sorted({*cuts, start, value_start}))
    found, seen = [], {tuple(pairs)}
    for points in candidates:
        pieces = split(points)
        if pieces is not None and tuple(pieces) not in seen:
            seen.add(tuple(pieces))
            found.append(pieces)
    return found


def test_the_re_cut_enumeration_keeps_the_signature_and_finds_the_known_re_cuts() -> None:
    genuine = inbound(1)
    cuts = re_cuts(genuine)
    url = f"{BASE}/twilio/{CONN_ID}/sms"
    assert {sign(url, pairs) for pairs in cuts} == {sign(url, genuine)}
    sid = f"SM{1:032x}"
    merged = [(n, v) for n, v in genuine if n != "NumMedia"]
    merged[merged.index(("MessageSid", sid))] = ("MessageSid", sid + "NumMedia0")
    assert merged in cuts
    assert len(cuts) > 50


@pytest.mark.parametrize(
    ("route", "genuine"),
    [
        ("sms", inbound(0x51)),
        # Its body does not match the watcher's pattern; a re-cut body "DEPLOY 9" (with a made-up
        # parameter "Cancel it") would.
        ("sms", inbound(0x52, body="DEPLOY 9Cancel it")),
        ("status", status(0x53)),
    ],
    ids=["sms", "sms-body-that-only-a-re-cut-matches", "status"],
)
def test_a_genuine_webhook_re_cut_at_any_boundary_records_nothing_new(
    receiver: Receiver, route: str, genuine: list[tuple[str, str]]
) -> None:
    events_before = receiver.count("asset_event")
    assert receiver.post(route, genuine) == 200
    after_genuine = receiver.recorded()
    assert after_genuine[0] - events_before == (0 if "Cancel" in dict(genuine).get("Body", "") else 1)
    cuts = re_cuts(genuine)
    answers = {receiver.post(route, pairs, signed_pairs=genuine) for pairs in cuts}
    assert answers == {400}
    assert receiver.recorded() == after_genuine
    assert receiver.post(route, genuine) == 200  # Twilio's own retry of the genuine one still answers 200
    assert receiver.recorded() == after_genuine


def test_the_issues_re_cut_would_be_a_new_message_without_the_checks(receiver: Receiver) -> None:
    """The re-cut named in the report, alone: a MessageSid that swallowed NumMedia."""
    genuine = inbound(0x61)
    sid = dict(genuine)["MessageSid"]
    merged = [(n, v) for n, v in genuine if n != "NumMedia"]
    merged[merged.index(("MessageSid", sid))] = ("MessageSid", sid + "NumMedia0")
    assert receiver.post("sms", genuine) == 200
    before = receiver.recorded()
    assert receiver.post("sms", merged, signed_pairs=genuine) == 400
    assert receiver.recorded() == before


@pytest.mark.parametrize(
    ("route", "pairs"),
    [
        ("sms", inbound(0x71, NumMedia="\u00b2")),  # str.isdigit() is True, int() fails
        ("sms", inbound(0x72, NumMedia="11")),
        ("sms", inbound(0x73, NumMedia="1")),  # no MediaUrl0
        ("sms", inbound(0x74, MediaUrl0="https://api.twilio.com/media/1")),  # NumMedia 0
        ("sms", [(n, v) for n, v in inbound(0x75) if n != "Body"]),
        ("sms", [(n, v) for n, v in inbound(0x76) if n != "From"]),
        ("sms", [(n, v) for n, v in inbound(0x77) if n != "AccountSid"]),
        ("sms", inbound(0x78, AccountSid="AC" + "b" * 32)),
        ("sms", inbound(0x79, MessageSid="SM" + "1" * 31)),
        ("sms", inbound(0x7A, MessageSid="CA" + "1" * 32, SmsSid="CA" + "1" * 32, SmsMessageSid="CA" + "1" * 32)),
        ("sms", inbound(0x7B, SmsSid="SM" + "2" * 32)),
        ("status", [(n, v) for n, v in status(0x7C) if n not in ("MessageStatus", "SmsStatus")]),
        ("status", status(0x7D, message_status="exploded")),
        ("status", status(0x7E, ErrorCode="\u00b2")),
        ("status", status(0x7F, MessageSid="SM" + "g" * 32, SmsSid="SM" + "g" * 32)),
    ],
)
def test_a_signed_form_that_is_not_twilios_is_refused_with_400_and_records_nothing(
    receiver: Receiver, route: str, pairs: list[tuple[str, str]]
) -> None:
    before = receiver.recorded()
    assert receiver.post(route, pairs) == 400
    assert receiver.recorded() == before


def test_media_urls_matching_num_media_are_accepted(receiver: Receiver) -> None:
    before = receiver.count("asset_event")
    pairs = inbound(0x81, NumMedia="2", MediaUrl0="https://api.twilio.com/m/0", MediaUrl1="https://api.twilio.com/m/1")
    assert receiver.post("sms", sorted(pairs)) == 200
    assert receiver.count("asset_event") == before + 1


def test_a_redelivery_with_its_idempotency_token_is_dropped_before_the_database(
    receiver: Receiver, monkeypatch: pytest.MonkeyPatch
) -> None:
    from airflow_provider_twilio.webhooks import deliveries

    marks: list[str] = []
    real = deliveries.hold_to_first_split
    monkeypatch.setattr(deliveries, "hold_to_first_split", lambda *args: marks.append(args[2]) or real(*args))
    token = {"I-Twilio-Idempotency-Token": "a1b2c3-redelivered"}
    before = receiver.count("asset_event")
    assert receiver.post("sms", inbound(0x91), headers=token) == 200
    assert receiver.post("sms", inbound(0x91), headers=token) == 200
    assert receiver.count("asset_event") == before + 1
    assert len(marks) == 1
    # The token is not signed: with another split (a re-cut) it is refused all the same.
    re_cut = [(n, v) for n, v in inbound(0x91) if n != "NumMedia"]
    re_cut[re_cut.index(("MessageSid", f"SM{0x91:032x}"))] = ("MessageSid", f"SM{0x91:032x}NumMedia0")
    assert receiver.post("sms", re_cut, signed_pairs=inbound(0x91), headers=token) == 400


GATHER_QUERY = [("dag_id", "d"), ("run_id", "r"), ("task_id", "t"), ("map_index", "-1"), ("key", "1")]
GATHER_FORM = [("CallSid", "CA" + "1" * 32), ("Digits", "1")]


def test_a_signed_gather_with_a_map_index_int_cannot_read_is_a_400(receiver: Receiver) -> None:
    before = receiver.recorded()
    for map_index in ("--1", "\u00b2", "-\u0663"):
        assert receiver.post("gather", GATHER_FORM, [*GATHER_QUERY[:3], ("map_index", map_index), ("key", "1")]) == 400
    assert receiver.recorded() == before


TWILIO_NAMES = sorted(
    {name for name, _ in inbound(0) + status(0)}
    | {"MediaUrl0", "MediaUrl1", "MediaUrl10", "CallSid", "Digits", "SmsMessageSid"}
)
QUERY_NAMES = ["dag_id", "run_id", "task_id", "map_index", "key"]
TRICKY_VALUES = [
    "",
    "\u00b2",
    "--1",
    "-1",
    "0",
    "10",
    "11",
    "\u0663",
    "1" * 40,
    "SM" + "a" * 32,
    "MM" + "A" * 32,
    "CA" + "b" * 32,
    ACCOUNT,
    "AC" + "0" * 32,
    "delivered",
    "undelivered",
    "DEPLOY 1.2.3",
    NUMBER,
    SENDER,
    "\x00",
    "%",
    "&=",
]


def _forms() -> Any:
    """Arbitrary forms, and genuine ones with one parameter replaced, dropped or added."""
    from hypothesis import strategies as st

    text = st.text(st.characters(codec="utf-8"), max_size=40)
    names = st.one_of(st.sampled_from(TWILIO_NAMES), text)
    values = st.one_of(st.sampled_from(TRICKY_VALUES), text)
    arbitrary = st.lists(st.tuples(names, values), max_size=12)

    @st.composite
    def mutated(draw: Any) -> list[tuple[str, str]]:
        n = draw(st.integers(min_value=0x1000, max_value=2**64))
        form = dict(draw(st.sampled_from([inbound, status]))(n))
        name = draw(names)
        if draw(st.booleans()):
            form[name] = draw(values)
        else:
            form.pop(name, None)
        return sorted(form.items())

    return st.one_of(arbitrary, mutated())


def _queries() -> Any:
    """Arbitrary queries, and a gather query with one parameter replaced or dropped."""
    from hypothesis import strategies as st

    text = st.text(st.characters(codec="utf-8"), max_size=20)
    values = st.one_of(st.sampled_from(TRICKY_VALUES), text)
    arbitrary = st.lists(st.tuples(st.one_of(st.sampled_from(QUERY_NAMES), text), values), max_size=6)

    @st.composite
    def mutated(draw: Any) -> list[tuple[str, str]]:
        query = dict(GATHER_QUERY)
        name = draw(st.sampled_from(QUERY_NAMES))
        if draw(st.booleans()):
            query[name] = draw(values)
        else:
            del query[name]
        return list(query.items())

    return st.one_of(arbitrary, mutated())


def test_no_correctly_signed_form_or_query_gets_a_5xx_or_records_anything_when_refused(receiver: Receiver) -> None:
    from hypothesis import HealthCheck, Phase, example, given, settings
    from hypothesis import strategies as st

    answers: set[int] = set()

    @settings(
        max_examples=250,
        deadline=None,
        derandomize=True,
        database=None,
        phases=[Phase.explicit, Phase.generate],
        suppress_health_check=list(HealthCheck),
    )
    @given(route=st.sampled_from(["sms", "status", "gather"]), pairs=_forms(), query=_queries())
    @example(route="sms", pairs=inbound(0xA1, NumMedia="\u00b2"), query=[])
    @example(route="status", pairs=status(0xA2, ErrorCode="\u00b2"), query=[])
    @example(route="gather", pairs=GATHER_FORM, query=[*GATHER_QUERY[:3], ("map_index", "--1"), ("key", "1")])
    def run(route: str, pairs: list[tuple[str, str]], query: list[tuple[str, str]]) -> None:
        before = receiver.recorded()
        answer = receiver.post(route, pairs, query)
        answers.add(answer)
        assert answer < 500, (route, pairs, query)
        after = receiver.recorded()
        if answer != 200 or route == "gather":  # no task instance exists to take a keypress
            assert after == before, (answer, route, pairs, query)

    run()
    assert 400 in answers  # the signatures were right: requests got past the signature check


def test_an_accepted_webhook_is_written_by_the_recording_writer_alone(
    receiver: Receiver, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Request threads that write in transactions of their own wait out each other's SQLite write lock and
    pay a commit each: the first-split mark, the claim and the event go through the writer's transaction.
    (A request thread may read: the text is offered to HITL requests, and none waits here.)"""
    import threading
    from contextlib import contextmanager

    import airflow.utils.session
    from sqlalchemy import event

    written_by: list[str] = []
    real = airflow.utils.session.create_session

    def note_writer(session: Any, context: Any) -> None:
        if session.new or session.dirty or session.deleted:
            written_by.append(threading.current_thread().name)

    @contextmanager
    def watched(*args: Any, **kwargs: Any) -> Iterator[Any]:
        with real(*args, **kwargs) as session:
            event.listen(session, "before_flush", lambda s, c, i: note_writer(s, c))
            yield session

    monkeypatch.setattr(airflow.utils.session, "create_session", watched)
    before = receiver.recorded()
    assert receiver.post("sms", inbound(0xA1)) == 200
    events, rows, xcoms = receiver.recorded()
    assert (events, rows, xcoms) == (before[0] + 1, before[1] + 2, before[2])  # the event; its mark and claim
    assert "twilio-webhook-writer" in written_by
    assert set(written_by) <= {"twilio-webhook-writer", "twilio-webhook-upkeep"}
