"""Signed Twilio webhooks into a real ``airflow api-server`` with the plugin, a scheduler and a dag-processor.

The emulator plays Twilio: it posts each inbound text to the number's SmsUrl (twice: the duplicate
switch is on) and each status change to the message's StatusCallback, signed with the account's
auth token. The test reads what Airflow recorded straight from the SQLite metadata DB.
"""

from __future__ import annotations

import time
from urllib.parse import urlencode

import pytest

from airflow_provider_twilio.emulator import TwilioEmulator
from airflow_provider_twilio.webhooks import webhooks_supported
from tests.support import webhook_stack
from tests.support.webhook_stack import NUMBER, SENDER, Airflow, post, wait_for

pytestmark = pytest.mark.skipif(
    not webhooks_supported(),
    reason="webhooks need Airflow 3.3+: FastAPI plugins on the api-server (none on 2.11) and the asset state store",
)

# The real processes, started once for this module.
emulator = webhook_stack.emulator
airflow = webhook_stack.airflow


def test_a_text_delivered_twice_becomes_one_asset_event_and_one_dag_run(
    airflow: Airflow, emulator: TwilioEmulator
) -> None:
    from tests.support.emulator import sdk_client

    client = sdk_client(emulator)
    (number,) = client.incoming_phone_numbers.list(phone_number=NUMBER)
    client.incoming_phone_numbers(number.sid).update(sms_url=f"{airflow.base_url}/twilio/twilio_default/sms")
    emulator.configure(duplicate_webhooks=True)

    ignored = emulator.inject_inbound(from_=SENDER, to=NUMBER, body="hello there")
    text = emulator.inject_inbound(from_=SENDER, to=NUMBER, body="DEPLOY 1.2.3")
    for sid in (ignored["sid"], text["sid"]):
        wait_for(
            lambda sid=sid: [d for d in emulator.webhook_log() if d["sid"] == sid and d["status"] is not None],
            f"two deliveries of {sid}",
            airflow,
        )
        wait_for(lambda sid=sid: len([d for d in emulator.webhook_log() if d["sid"] == sid]) == 2, "retry", airflow)
        statuses = [d["status"] for d in emulator.webhook_log() if d["sid"] == sid]
        assert statuses == [200, 200], f"{statuses}\n{airflow.report()}"

    (event,) = airflow.asset_events("twilio_deploy_texts")
    assert event["from_trigger"] is True
    payload = event["payload"]
    assert (payload["sid"], payload["from"], payload["to"], payload["body"]) == (
        text["sid"],
        SENDER,
        NUMBER,
        "DEPLOY 1.2.3",
    )
    assert payload["match_groups"] == {"version": "1.2.3"} and payload["groups"] == ["1.2.3"]
    assert payload["num_media"] == 0
    wait_for(lambda: airflow.dag_runs("webhook_deploy"), "a DAG run of webhook_deploy", airflow)
    time.sleep(3)  # a second run would come from a second event, which there is not; give it the chance
    assert airflow.dag_runs("webhook_deploy") == 1
    assert len(airflow.asset_events("twilio_deploy_texts")) == 1
    # No Twilio API request was made by the watcher: the emulator only saw this test's own.
    assert not [r for r in emulator.request_log() if r["method"] == "GET" and r["path"].endswith("/Messages.json")]


def test_unsigned_forged_and_misaddressed_webhooks_get_403_and_record_nothing(
    airflow: Airflow, emulator: TwilioEmulator
) -> None:
    from twilio.request_validator import RequestValidator

    url = f"{airflow.base_url}/twilio/twilio_default/sms"
    events_before = len(airflow.asset_events("twilio_deploy_texts"))
    claims_before = airflow.query("SELECT COUNT(*) FROM asset_state_store")[0][0]

    def form(n: int) -> dict[str, str]:
        sid = f"SM{n:032x}"
        return {
            "MessageSid": sid,
            "SmsSid": sid,
            "AccountSid": emulator.account_sid,
            "From": SENDER,
            "To": NUMBER,
            "Body": "DEPLOY 6.6.6",
            "NumMedia": "0",
        }

    signer = RequestValidator(emulator.auth_token)
    assert post(url, form(1)) == 403  # unsigned
    assert post(url, form(2), RequestValidator("f" * 32).compute_signature(url, form(2))) == 403  # forged
    other = "http://attacker.example.com/twilio/twilio_default/sms"
    assert post(url, form(3), signer.compute_signature(other, form(3))) == 403  # signed for another URL
    signed = signer.compute_signature(url, form(4))
    tampered = {**form(4), "Body": "DEPLOY 7.7.7"}
    assert post(url, tampered, signed) == 403  # a signed request with another body
    unknown = f"{airflow.base_url}/twilio/no_such_connection/sms"
    assert post(unknown, form(5), signer.compute_signature(unknown, form(5))) == 403
    big = urlencode({**form(6), "Body": "x" * 70_000}).encode()
    assert post(url, {}, signer.compute_signature(url, form(6)), body=big) == 413

    assert len(airflow.asset_events("twilio_deploy_texts")) == events_before
    assert airflow.query("SELECT COUNT(*) FROM asset_state_store")[0][0] == claims_before
    # The correctly signed request is accepted: the refusals above were the signature's doing.
    assert post(url, form(7), signer.compute_signature(url, form(7))) == 200
    assert len(airflow.asset_events("twilio_deploy_texts")) == events_before + 1


def test_concurrent_copies_of_one_webhook_record_one_event(airflow: Airflow, emulator: TwilioEmulator) -> None:
    """Twilio's retry racing its first attempt (or a proxy's): the claim lets exactly one through."""
    from concurrent.futures import ThreadPoolExecutor

    from twilio.request_validator import RequestValidator

    url = f"{airflow.base_url}/twilio/twilio_default/sms"
    sid = "SM" + "c" * 32
    form = {"MessageSid": sid, "SmsSid": sid, "AccountSid": emulator.account_sid, "From": SENDER, "To": NUMBER,
            "Body": "DEPLOY 8.8.8", "NumMedia": "0"}  # fmt: skip
    signature = RequestValidator(emulator.auth_token).compute_signature(url, form)
    before = len(airflow.asset_events("twilio_deploy_texts"))
    with ThreadPoolExecutor(8) as pool:
        statuses = list(pool.map(lambda _: post(url, form, signature), range(8)))
    assert statuses == [200] * 8
    events = airflow.asset_events("twilio_deploy_texts")
    assert len(events) == before + 1
    assert [e["payload"]["sid"] for e in events].count(sid) == 1


def test_an_undelivered_message_starts_the_failure_dag(airflow: Airflow, emulator: TwilioEmulator) -> None:
    from tests.support.emulator import sdk_client

    emulator.configure(duplicate_webhooks=True, status_delay=0.05)
    callback = f"{airflow.base_url}/twilio/twilio_default/status"
    delivered = sdk_client(emulator).messages.create(to=SENDER, from_=NUMBER, body="fine", status_callback=callback)
    failed = sdk_client(emulator).messages.create(
        to="+15005550010", from_=NUMBER, body="lost", status_callback=callback
    )
    for sid, final in ((delivered.sid, "delivered"), (failed.sid, "undelivered")):
        wait_for(
            lambda sid=sid: len([d for d in emulator.webhook_log() if d["sid"] == sid and d["status"] == 200]) == 6,
            f"the {final} callbacks of {sid}, each twice",
            airflow,
        )
    (event,) = airflow.asset_events("twilio_delivery_failures")
    payload = event["payload"]
    assert (payload["sid"], payload["status"], payload["error_code"]) == (failed.sid, "undelivered", 30003)
    assert (payload["to"], payload["from"]) == ("+15005550010", NUMBER)
    wait_for(lambda: airflow.dag_runs("webhook_delivery_failure"), "a DAG run of webhook_delivery_failure", airflow)
    assert airflow.dag_runs("webhook_delivery_failure") == 1
