"""Twilio's Message resource: create, fetch, list, cancel or redact, delete."""

from __future__ import annotations

import time

from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from airflow_provider_twilio.emulator.http.errors import bad_request
from airflow_provider_twilio.emulator.http.listing import PageRequest, date_filters, envelope
from airflow_provider_twilio.emulator.http.routing import resource
from airflow_provider_twilio.emulator.lifecycles.message_lifecycle import after_accept
from airflow_provider_twilio.emulator.model.message_rules import OutboundRequest
from airflow_provider_twilio.emulator.model.message_store import FINAL_STATUSES, Message, Step
from airflow_provider_twilio.emulator.resources.requests import (
    account_of,
    answer_created,
    message_of,
    never_answer,
    read_form,
)

_PAGE_TOKEN_PREFIX = "PASM"


async def create_message(request: Request) -> Response:
    state = account_of(request)
    outbound = OutboundRequest(
        await read_form(request),
        account_sid=state.account_sid,
        status_delay=state.status_delay,
        enforce_max_price=state.enforce_max_price,
    )
    state.opt_outs.check(to=outbound.to, sender=outbound.from_)
    late = state.faults.commit_delay()
    if late is not None:
        state.call_later(late, lambda: after_accept(state, state.store.add(outbound.build)))
        return await never_answer(request, late)
    message = state.store.add(outbound.build)
    after_accept(state, message)
    return answer_created(request, state, message.render(message.created_at, initial=True))


async def fetch_message(request: Request) -> Response:
    _, message = message_of(request)
    return JSONResponse(message.render(time.time()))


async def update_message(request: Request) -> Response:
    """``Status=canceled`` cancels a scheduled message, ``Body=""`` redacts a finished one; all checks come first."""
    state, message = message_of(request)
    form = await read_form(request)
    now = time.time()
    current = message.step_at(now).status
    cancel = form.get("Status")
    redact = "Body" in form
    if cancel is not None:
        if cancel != "canceled":
            raise bad_request(21220, f"Status {cancel!r} cannot be set; the only allowed value is 'canceled'.")
        if current != "scheduled":
            raise bad_request(30409, "Message is not in a cancelable state; only scheduled messages can be canceled.")
    if redact:
        if form.get("Body"):
            raise bad_request(21220, "Body can only be set to an empty string, to redact the message.")
        if current not in FINAL_STATUSES and cancel is None:
            raise bad_request(20009, "Cannot redact a message that is still being sent.")

    def change(m: Message) -> None:
        if cancel is not None:
            m.timeline = [step for step in m.timeline if step.at <= now] + [Step(now, "canceled")]
        if redact:
            m.body = ""
        m.modified_at = now

    state.store.update(message.sid, change)
    return JSONResponse(message.render(now))


async def delete_message(request: Request) -> Response:
    state, message = message_of(request)
    if message.step_at(time.time()).status not in FINAL_STATUSES | {"scheduled"}:
        raise bad_request(20009, "Cannot delete a message that is still being sent.")
    state.store.delete(message.sid)
    return Response(status_code=204)


_MESSAGE_FILTERS = ("To", "From", "DateSent", "DateSent<", "DateSent>")


async def list_messages(request: Request) -> Response:
    state = account_of(request)
    params = request.query_params
    page = PageRequest.parse(params, _PAGE_TOKEN_PREFIX)
    now = time.time()
    found, more = state.store.page(
        to=params.get("To") or None,
        from_=params.get("From") or None,
        date_filters=date_filters(params, "DateSent"),
        page_size=page.size,
        before_seq=page.cursor,
        now=now,
    )
    items = [message.render(now) for message in found]
    next_cursor = found[-1].seq if more and found else None
    return JSONResponse(
        envelope(request.url.path, params, _MESSAGE_FILTERS, page, "messages", items, next_cursor, _PAGE_TOKEN_PREFIX)
    )


_MESSAGES = "/2010-04-01/Accounts/{account_sid}/Messages"

ROUTES = [
    resource(_MESSAGES + ".json", GET=list_messages, POST=create_message),
    resource(_MESSAGES + "/{sid}.json", GET=fetch_message, POST=update_message, DELETE=delete_message),
]
