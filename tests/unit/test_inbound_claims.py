from __future__ import annotations

from datetime import datetime, timezone

from airflow_provider_twilio.inbound.claims import Claim, ReplyClaims
from airflow_provider_twilio.inbound.echoes import Reply
from airflow_provider_twilio.inbound.matching import InboundMessage

T0 = datetime(2026, 11, 22, 14, 0, 0, tzinfo=timezone.utc)


def reply(sid: str) -> Reply:
    return Reply(InboundMessage(sid=sid, from_="+15551230001", to="+15005550006", body="maybe", date_sent=T0), "Sorry")


def test_one_waiter_holds_a_message_until_it_settles() -> None:
    claims, first, second = ReplyClaims(), object(), object()
    assert claims.claim("SM1", first) is Claim.MINE
    assert claims.claim("SM1", first) is Claim.MINE  # a retry by the holder
    assert claims.claim("SM1", second) is Claim.HELD
    claims.settle("SM1", first)
    assert claims.claim("SM1", second) is Claim.SETTLED
    assert claims.claim("SM1", first) is Claim.SETTLED


def test_release_hands_unsettled_messages_to_the_next_waiter() -> None:
    claims, first, second = ReplyClaims(), object(), object()
    assert claims.take([reply("SM1"), reply("SM2")], first) == ([reply("SM1"), reply("SM2")], [])
    claims.settle("SM1", first)
    assert claims.take([reply("SM1"), reply("SM2")], second) == ([], [reply("SM2")])
    claims.release(first)
    assert claims.take([reply("SM1"), reply("SM2")], second) == ([reply("SM2")], [])


def test_settled_memory_is_bounded_and_holders_are_not_evicted() -> None:
    claims, owner = ReplyClaims(max_settled=2), object()
    assert claims.claim("SMheld", owner) is Claim.MINE
    for sid in ("SM1", "SM2", "SM3"):
        claims.claim(sid, owner)
        claims.settle(sid, owner)
    assert [claims.claim(sid, object()) for sid in ("SM1", "SM2", "SM3")] == [Claim.MINE, Claim.SETTLED, Claim.SETTLED]
    assert claims.claim("SMheld", object()) is Claim.HELD
