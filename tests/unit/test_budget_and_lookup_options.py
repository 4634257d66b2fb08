"""The number hygiene and budget parameters: each bad value refused when the DAG is parsed, naming it."""

from __future__ import annotations

from typing import Any

import pytest

from airflow_provider_twilio.exceptions import TwilioInputError
from airflow_provider_twilio.operators.sms import TwilioSendSmsOperator
from airflow_provider_twilio.sending.budget import Budget, BudgetExceededError


@pytest.mark.parametrize(
    ("kwargs", "named"),
    [
        ({"lookup": "carrier"}, "lookup: 'carrier'"),
        ({"price_per_segment": -1}, "price_per_segment: -1"),
        ({"price_per_segment": "0.01"}, "price_per_segment: '0.01'"),
        ({"price_per_segment": {}}, "price_per_segment: {}"),
        ({"price_per_segment": {"USA": 0.01}}, "price_per_segment: key 'USA'"),
        ({"price_per_segment": {"US": float("nan")}}, "price_per_segment['US']: nan"),
        ({"max_total_segments": 0}, "max_total_segments: 0"),
        ({"max_total_segments": True}, "max_total_segments: True"),
        ({"max_cost": 5}, "max_cost: 5 needs price_per_segment"),
        ({"max_cost": -1, "price_per_segment": 0.01}, "max_cost: -1"),
        ({"max_price": 0}, "max_price: 0"),
        ({"max_price": "cheap"}, "max_price: 'cheap'"),
    ],
)
def test_bad_values_are_refused_naming_parameter_and_value(kwargs: dict[str, Any], named: str) -> None:
    with pytest.raises(TwilioInputError) as info:
        TwilioSendSmsOperator(task_id="send", to="+15551230001", body="hi", **kwargs)
    assert named in str(info.value)


def test_country_keys_are_iso_codes_or_calling_codes() -> None:
    operator = TwilioSendSmsOperator(
        task_id="send", to="+15551230001", body="hi", price_per_segment={"us": 0.01, "+44": 0.04, 49: 0.08, "*": 0.1}
    )
    assert operator.budget.price_per_segment == {"US": 0.01, "44": 0.04, "49": 0.08, "*": 0.1}


def test_a_recipient_no_price_applies_to_is_named() -> None:
    budget = Budget(price_per_segment={"US": 0.01})
    with pytest.raises(TwilioInputError, match=r"no price for '\+447700900123' \(country GB, calling code \+44\)"):
        budget.check(["+15551230001", "+447700900123"], 1, has_template=False)


def test_whatsapp_recipients_are_priced_by_their_number_and_the_star_prices_the_rest() -> None:
    budget = Budget(price_per_segment={"GB": 0.05, "*": 0.01})
    statement = budget.check(["whatsapp:+447700900123", "+4915112345678"], 2, has_template=False)
    assert statement.endswith("estimated cost 0.1200")


def test_limits_cannot_be_checked_for_a_content_template() -> None:
    with pytest.raises(TwilioInputError, match="Content template"):
        Budget(max_total_segments=10).check(["+15551230001"], None, has_template=True)
    assert "segments not known" in Budget().check(["+15551230001"], None, has_template=True)


def test_media_without_text_counts_one_segment_per_message() -> None:
    with pytest.raises(BudgetExceededError, match=r"needs 3 segment\(s\)"):
        Budget(max_total_segments=2).check(["+15551230001", "+15551230002", "+15551230003"], None, has_template=False)
