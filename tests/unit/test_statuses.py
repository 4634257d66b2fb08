"""Twilio's status vocabularies are written once, as the API spec has them, and everything reads them there."""

from __future__ import annotations

import json
from pathlib import Path

from airflow_provider_twilio import statuses
from airflow_provider_twilio.tracking.calls import CallTracker
from airflow_provider_twilio.tracking.messages import DeliveryTracker

SPEC = json.loads((Path(__file__).parents[1] / "data" / "twilio_api_v2010.json").read_text())
ENUMS = SPEC["components"]["schemas"]


def test_vocabularies_are_the_specs_in_its_order() -> None:
    assert tuple(ENUMS["message_enum_status"]["enum"]) == statuses.MESSAGE_STATUSES
    assert tuple(ENUMS["call_enum_status"]["enum"]) == statuses.CALL_STATUSES


def test_defaults_are_statuses_of_their_vocabulary_and_do_not_overlap() -> None:
    for success, failure, known in [
        (statuses.MESSAGE_SUCCESS, statuses.MESSAGE_FAILURE, statuses.MESSAGE_STATUSES),
        (statuses.CALL_SUCCESS, statuses.CALL_FAILURE, statuses.FINAL_CALL_STATUSES),
    ]:
        assert set(success) <= set(known)
        assert set(failure) <= set(known)
        assert not set(success) & set(failure)
    assert set(statuses.DELIVERY_FAILURES) <= set(statuses.MESSAGE_FAILURE)
    assert set(statuses.FINAL_CALL_STATUSES) == set(statuses.CALL_SUCCESS) | set(statuses.CALL_FAILURE)


def test_trackers_use_them() -> None:
    assert frozenset(statuses.MESSAGE_STATUSES) == DeliveryTracker.KNOWN_STATUSES
    assert (DeliveryTracker.DEFAULT_SUCCESS, DeliveryTracker.DEFAULT_FAILURE) == (
        statuses.MESSAGE_SUCCESS,
        statuses.MESSAGE_FAILURE,
    )
    assert frozenset(statuses.CALL_STATUSES) == CallTracker.KNOWN_STATUSES
    assert (CallTracker.DEFAULT_SUCCESS, CallTracker.DEFAULT_FAILURE) == (statuses.CALL_SUCCESS, statuses.CALL_FAILURE)
