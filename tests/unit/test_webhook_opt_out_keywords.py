"""Signed inbound-SMS webhooks into the receiver app (mounted at /twilio, on the real metadata DB): a text
that is one of Twilio's keywords (STOP, START, HELP, ...) records no asset event, even for a watcher
without a pattern, so it never starts a DAG; a watcher whose pattern names the word still gets it."""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

import pytest

from airflow_provider_twilio.webhooks import webhooks_supported
from tests.support.webhook_receiver import BASE, mounted_receiver, sign

pytestmark = pytest.mark.skipif(
    not webhooks_supported(),
    reason="webhooks need Airflow 3.3+: FastAPI plugins on the api-server (none on 2.11) and the asset state store",
)

CONN_ID = "twilio_keywords"
ACCOUNT = "AC" + "b" * 32
TOKEN = "e" * 32
NUMBER = "+15005550006"
SENDER = "+15551230001"
EVERY_TEXT = "every_text_keywords"
NAMES_STOP = "names_stop_keywords"


def inbound(n: int, body: str) -> list[tuple[str, str]]:
    sid = f"SM{n:032x}"
    form = {
        "AccountSid": ACCOUNT,
        "ApiVersion": "2010-04-01",
        "Body": body,
        "From": SENDER,
        "MessageSid": sid,
        "NumMedia": "0",
        "SmsMessageSid": sid,
        "SmsSid": sid,
        "SmsStatus": "received",
        "To": NUMBER,
    }
    return sorted(form.items())


class Receiver:
    def __init__(self, client: Any, db: Path) -> None:
        self.client, self.db = client, db

    def post(self, pairs: list[tuple[str, str]]) -> int:
        path = f"/twilio/{CONN_ID}/sms"
        answer = self.client.post(
            path,
            content=urlencode(pairs).encode(),
            headers={
                "Content-Type": "application/x-www-form-urlencoded",
                "X-Twilio-Signature": sign(TOKEN, BASE + path, pairs),
            },
        )
        return int(answer.status_code)

    def bodies(self, asset_name: str) -> list[str]:
        with sqlite3.connect(self.db, timeout=30) as conn:
            rows = conn.execute(
                "SELECT e.extra FROM asset_event e JOIN asset a ON a.id = e.asset_id WHERE a.name = ? ORDER BY e.id",
                (asset_name,),
            ).fetchall()
        return [json.loads(extra)["payload"]["body"] for (extra,) in rows]


@pytest.fixture(scope="module")
def receiver(request: pytest.FixtureRequest) -> Iterator[Receiver]:
    """The receiver app behind /twilio, a connection, a watcher of every text and one whose pattern names STOP."""
    from airflow_provider_twilio.triggers.events import TwilioInboundSmsEventTrigger

    db: Path = request.getfixturevalue("airflow_db")
    watched = {
        EVERY_TEXT: TwilioInboundSmsEventTrigger(source="webhook", twilio_conn_id=CONN_ID),
        NAMES_STOP: TwilioInboundSmsEventTrigger(pattern=r"(?i)^stop$", source="webhook", twilio_conn_id=CONN_ID),
    }
    with mounted_receiver(CONN_ID, ACCOUNT, TOKEN, NUMBER, watched) as client:
        yield Receiver(client, db)


def test_a_keyword_webhook_records_no_event_unless_a_pattern_names_it(receiver: Receiver) -> None:
    for n, body in enumerate(["STOP", "Start", " help. ", "UNSUBSCRIBE", "deploy please"], start=1):
        assert receiver.post(inbound(n, body)) == 200
    assert receiver.bodies(EVERY_TEXT) == ["deploy please"]
    assert receiver.bodies(NAMES_STOP) == ["STOP"]
