"""Resolve a HITL request from one inbound text or keypress: push (webhook) and pull (poller) both call this.

Each message is decided in one database transaction that starts by claiming the message on the request
it concerns (``records.py``); a second delivery of it, in this process or another, finds the claim and
does nothing (``Result.DUPLICATE``), so each message is answered and replied to once. A transaction
that loses a race (a concurrent claim, SQLite's "database is locked") is retried from the start. The
reply text is sent after the commit.

Who may answer: only a phone in the request's ``respondents``, as the Airflow user it maps to, and only
if that user is among the request's ``assigned_users`` when there are any. Anyone else gets nothing
recorded and at most one refusal text per request. An answer that comes before the task is parked is
held (``held.py``).
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Sequence
from typing import Any, TypeVar

from airflow_provider_twilio.answers import records
from airflow_provider_twilio.answers.outcome import Outcome, Result
from airflow_provider_twilio.answers.parking import is_parked
from airflow_provider_twilio.answers.pending import (
    PendingRequest,
    answered_requests_for,
    any_request_open,
    pending_requests_for,
    pending_requests_from,
    ti_key,
)
from airflow_provider_twilio.answers.replying import send_reply
from airflow_provider_twilio.answers.respond import write_response
from airflow_provider_twilio.hitl import texts
from airflow_provider_twilio.hitl.replies import MAX_REPLY_CHARS, read_reply, split_reference
from airflow_provider_twilio.inbound.keywords import keyword_of, options_name

log = logging.getLogger(__name__)
T = TypeVar("T")

ATTEMPTS = 8
VIA_NAMES = {"sms": "SMS", "call": "call"}


def answer_by_text(
    conn_id: str, *, from_number: str, to_number: str, body: str, message_sid: str, via: str = "sms"
) -> Outcome:
    """Answer the pending request ``from_number`` replies to with ``body``, and text back the one answer it earns."""
    body = body[: MAX_REPLY_CHARS + 1]  # anything longer is refused unread
    outcome = in_transaction(
        lambda session: _decide_text(session, conn_id, from_number, to_number, body, message_sid, via)
    )
    if outcome.reply:
        send_reply(conn_id, to=from_number, from_=to_number, body=outcome.reply)
    log.info("HITL text %s from a phone on %s: %s", message_sid[:64], conn_id, outcome.result.value)
    return outcome


def answer_by_key(request: PendingRequest, *, from_number: str, digit: str, call_sid: str) -> Outcome:
    """Answer ``request`` with the option whose number was pressed (1 is the first option).

    The answer is confirmed by text to the phone that pressed it, from the number that called, as a
    texted answer is; a key that answers nothing gets no text (the call itself says so).
    """
    chosen = _option_by_digit(request.options, digit)

    def decide(session: Any) -> Outcome:
        ti = _ti(session, request)
        if ti is None or not records.claim(session, ti, records.message_key(call_sid), _note(from_number, "call")):
            return Outcome(Result.DUPLICATE, request)
        if not request.may_answer(from_number):
            return Outcome(Result.REFUSED, request)
        if chosen is None:
            return Outcome(Result.INVALID, request)
        return _answer(session, ti, request, (chosen,), from_number, call_sid, "call", reply=True)

    outcome = in_transaction(decide)
    if outcome.reply:
        send_reply(request.conn_id, to=from_number, from_=request.sender, body=outcome.reply)
    return outcome


def in_transaction(work: Callable[[Any], T]) -> T:
    """Run ``work`` in a transaction of its own, from the start again if it loses a race (up to ``ATTEMPTS``)."""
    from airflow.utils.session import create_session
    from sqlalchemy.exc import IntegrityError, OperationalError

    for attempt in range(1, ATTEMPTS + 1):
        try:
            with create_session() as session:
                return work(session)
        except (IntegrityError, OperationalError) as err:
            if attempt == ATTEMPTS:
                raise
            log.info("HITL answer lost a race (%s); deciding again", type(err).__name__)
            time.sleep(0.05 * attempt)
    raise AssertionError("unreachable")


def _decide_text(session: Any, conn_id: str, phone: str, to_number: str, body: str, sid: str, via: str) -> Outcome:
    if not any_request_open(session):
        return Outcome(Result.NOT_FOR_US)
    mine = [r for r in pending_requests_for(conn_id, phone, session) if r.sender in (None, to_number)]
    if ignored_keyword(body, mine):
        return Outcome(Result.INVALID)
    if not mine:
        return _not_pending(session, conn_id, phone, to_number, sid, via)
    references = [r.reference for r in mine]
    reference, _ = split_reference(body, references)
    target = next((r for r in mine if r.reference == reference), None)
    if target is None and len(mine) == 1:
        target = mine[0]
    if target is None:
        first = _ti(session, mine[0])
        if first is None or not records.claim(session, first, records.message_key(sid), _note(phone, via)):
            return Outcome(Result.DUPLICATE)
        helped = [r for r in mine if _claim_once(session, r, records.help_key(phone))]
        return Outcome(Result.INVALID, reply=texts.which_request_help(references) if helped else None)
    ti = _ti(session, target)
    if ti is None or not records.claim(session, ti, records.message_key(sid), _note(phone, via)):
        return Outcome(Result.DUPLICATE, target)
    if not target.may_answer(phone):
        refused = records.claim(session, ti, records.REFUSAL_KEY, {"from": phone})
        return Outcome(Result.REFUSED, target, reply=texts.refusal() if refused else None)
    reply = read_reply(body, target.options, multiple=target.multiple, references=references)
    if not reply.is_valid:
        first_help = records.claim(session, ti, records.help_key(phone), {"sid": sid})
        text = texts.help_text(
            target.options, target.reference, multiple=target.multiple, several_pending=len(mine) > 1
        )
        return Outcome(Result.INVALID, target, reply=text if first_help else None)
    return _answer(session, ti, target, reply.chosen, phone, sid, via, reply=True)


def ignored_keyword(body: str, pending: Sequence[PendingRequest]) -> bool:
    """A keyword text (STOP, START, HELP, ...) no pending request has as an option: not an answer.

    Nothing is recorded and nothing is texted back: Twilio answers keywords itself, and a phone that
    said STOP must not get a help text. An option that is the word itself ("Yes") opts in.
    """
    keyword = keyword_of(body)
    return keyword is not None and not any(options_name(request.options, keyword) for request in pending)


def _not_pending(session: Any, conn_id: str, phone: str, to_number: str, sid: str, via: str) -> Outcome:
    """A text from a phone with nothing pending: a late answer, a stranger, or not about a request at all."""
    answered = [r for r in answered_requests_for(conn_id, phone, session) if r.sender in (None, to_number)]
    if answered:
        request = answered[0]
        ti = _ti(session, request)
        if ti is None or not records.claim(session, ti, records.message_key(sid), _note(phone, via)):
            return Outcome(Result.DUPLICATE, request)
        by, how = _response_of(session, ti)
        first_late = records.claim(session, ti, records.late_key(phone), {"sid": sid})
        text = texts.already_answered(by, how) if first_late else None
        return Outcome(Result.ALREADY_ANSWERED, request, reply=text, answered_by=by)
    others = pending_requests_from(conn_id, to_number, session)
    if not others:
        return Outcome(Result.NOT_FOR_US)
    first = _ti(session, others[0])
    if first is None or not records.claim(session, first, records.message_key(sid), _note(phone, via)):
        return Outcome(Result.DUPLICATE)
    refused = [r for r in others if _claim_once(session, r, records.REFUSAL_KEY, {"from": phone})]
    return Outcome(Result.REFUSED, reply=texts.refusal() if refused else None)


def _answer(
    session: Any,
    ti: Any,
    request: PendingRequest,
    chosen: Sequence[str],
    phone: str,
    sid: str,
    via: str,
    *,
    reply: bool,
) -> Outcome:
    user = request.user_for(phone) or ""
    if not is_parked(ti):
        records.replace(session, ti, records.message_key(sid), _note(phone, via, records.HELD, chosen))
        return Outcome(Result.HELD, request, tuple(chosen))
    return apply(session, ti, request, chosen, phone, sid, via, user, reply=reply)


def apply(
    session: Any,
    ti: Any,
    request: PendingRequest,
    chosen: Sequence[str],
    phone: str,
    sid: str,
    via: str,
    user: str,
    *,
    reply: bool,
) -> Outcome:
    """Write the answer now (the task is parked); the outcome carries the text it earns."""
    written = write_response(session, request, chosen, user_id=user, via=via, source_id=sid)
    records.replace(session, ti, records.message_key(sid), _note(phone, via, records.DONE, chosen))
    if written.recorded:
        records.claim(session, ti, records.ANSWER_KEY, {"via": via, "sid": sid, "user": user})
        name = request.display_name(user)
        text = texts.confirmation(chosen, request.subject) if reply else None
        return Outcome(Result.ANSWERED, request, tuple(chosen), reply=text, answered_by=name)
    by, how = _response_of(session, ti)
    text = texts.already_answered(by, how) if reply else None
    return Outcome(Result.ALREADY_ANSWERED, request, tuple(chosen), reply=text, answered_by=by)


def _response_of(session: Any, ti: Any) -> tuple[str | None, str | None]:
    """Who answered the request and how: by SMS or call if it came through here, else the Airflow UI."""
    from airflow.models.hitl import HITLDetail

    hitl = session.get(HITLDetail, ti.id)
    by = hitl.responded_by_user_name if hitl is not None and hitl.responded_by else None
    answer = records.read(session, ti, records.ANSWER_KEY)
    how = VIA_NAMES.get(str(answer.get("via")), "SMS") if isinstance(answer, dict) else None
    return by, how


def _claim_once(session: Any, request: PendingRequest, key: str, value: Any = True) -> bool:
    ti = _ti(session, request)
    return ti is not None and records.claim(session, ti, key, value)


def _ti(session: Any, request: PendingRequest) -> Any | None:

    from airflow.models.taskinstance import TaskInstance as TI

    return session.get(TI, ti_key(request.ti_id))


def _note(phone: str, via: str, state: str = "received", chosen: Sequence[str] = ()) -> dict[str, Any]:
    return {"from": phone, "via": via, "state": state, "chosen": list(chosen)}


def _option_by_digit(options: Sequence[str], digit: str) -> str | None:
    if len(digit) == 1 and digit.isascii() and digit.isdigit() and 1 <= int(digit) <= len(options):
        return options[int(digit) - 1]
    return None
