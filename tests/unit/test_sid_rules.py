"""One SID rule everywhere: the operators' arguments and both webhook receivers accept and refuse the same SIDs."""

from __future__ import annotations

import pytest

from airflow_provider_twilio.exceptions import TwilioInputError
from airflow_provider_twilio.sids import parse_call_sids, parse_message_sids

HEX = "0123456789abcdef" * 2
ACCOUNT = "AC" + HEX

# (type letters, the 32 characters after them, whether Twilio's pattern accepts it)
CASES = [
    ("lowercase hex", HEX, True),
    ("uppercase hex", HEX.upper(), True),
    ("mixed case", HEX[:16] + HEX[16:].upper(), True),
    ("31 digits", HEX[:31], False),
    ("33 digits", HEX + "0", False),
    ("not hex", HEX[:31] + "g", False),
    ("inner space", HEX[:16] + " " + HEX[16:31], False),
]


def _parses(parse, value: str) -> bool:
    try:
        parse(value)
    except TwilioInputError:
        return False
    return True


def _inbound_form_accepts(sid: str) -> bool:
    from starlette.datastructures import ImmutableMultiDict

    from airflow_provider_twilio.webhooks.forms import BadForm, inbound_form

    form = ImmutableMultiDict(
        {
            "AccountSid": ACCOUNT,
            "MessageSid": sid,
            "From": "+15551230001",
            "To": "+15557650001",
            "Body": "yes",
            "NumMedia": "0",
        }
    )
    try:
        inbound_form(form, ACCOUNT)
    except BadForm:
        return False
    return True


def _gather_accepts(call_sid: str) -> bool:
    from airflow_provider_twilio.webhooks.keypresses import BadGather, parse

    query = {"dag_id": "d", "run_id": "r", "task_id": "t", "key": "1", "try": "1", "mac": "m"}
    try:
        parse(query, {"CallSid": call_sid, "Digits": "1"})
    except BadGather:
        return False
    return True


@pytest.mark.parametrize(("case", "body", "valid"), CASES, ids=[c[0] for c in CASES])
def test_message_sids_are_judged_alike_by_the_operators_and_the_sms_receiver(case: str, body: str, valid: bool) -> None:
    for prefix in ("SM", "MM"):
        sid = prefix + body
        assert _parses(parse_message_sids, sid) is valid, sid
        assert _inbound_form_accepts(sid) is valid, sid


@pytest.mark.parametrize(("case", "body", "valid"), CASES, ids=[c[0] for c in CASES])
def test_call_sids_are_judged_alike_by_the_call_sensor_and_the_keypress_receiver(
    case: str, body: str, valid: bool
) -> None:
    sid = "CA" + body
    assert _parses(parse_call_sids, sid) is valid
    assert _gather_accepts(sid) is valid


@pytest.mark.parametrize("padded", [" SM" + HEX, "SM" + HEX + "\n", "\tSM" + HEX + " "])
def test_arguments_are_trimmed_but_a_webhook_parameter_must_be_exact(padded: str) -> None:
    """A rendered template may carry whitespace around a SID; Twilio never sends any."""
    assert _parses(parse_message_sids, padded)
    assert not _inbound_form_accepts(padded)
    assert not _gather_accepts(padded.replace("SM", "CA"))


@pytest.mark.parametrize("prefix", ["SM", "MM", "CA", "AC", "sm", "XX"])
def test_a_sid_of_another_type_is_refused(prefix: str) -> None:
    sid = prefix + HEX
    assert _parses(parse_message_sids, sid) is (prefix in ("SM", "MM"))
    assert _parses(parse_call_sids, sid) is (prefix == "CA")
    assert _inbound_form_accepts(sid) is (prefix in ("SM", "MM"))
    assert _gather_accepts(sid) is (prefix == "CA")
