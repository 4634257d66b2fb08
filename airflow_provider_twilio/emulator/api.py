"""Routes of Twilio's 2010-04-01 REST API: accounts, messages and calls."""

from __future__ import annotations

import time

from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from airflow_provider_twilio.emulator import calls, media
from airflow_provider_twilio.emulator.errors import bad_request
from airflow_provider_twilio.emulator.handlers import account_of, answer_created, message_of, never_answer, read_form
from airflow_provider_twilio.emulator.lifecycle import after_accept
from airflow_provider_twilio.emulator.listing import PageRequest, date_filters, envelope
from airflow_provider_twilio.emulator.messages import OutboundRequest
from airflow_provider_twilio.emulator.routing import resource
from airflow_provider_twilio.emulator.store import API_VERSION, FINAL_STATUSES, Message, Step
from airflow_provider_twilio.emulator.timefmt import rfc2822

_PAGE_TOKEN_PREFIX = "PASM"


async def fetch_account(request: Request) -> Response:
    state = account_of(request)
    uri = f"/{API_VERSION}/Accounts/{state.account_sid}"
    created = rfc2822(state.created_at)
    return JSONResponse(
        {
            "auth_token": state.auth_token,
            "date_created": created,
            "date_updated": created,
            "friendly_name": state.friendly_name,
            "owner_account_sid": state.account_sid,
            "sid": state.account_sid,
            "status": "active",
            "subresource_uris": {
                "messages": uri + "/Messages.json",
                "calls": uri + "/Calls.json",
            },
            "type": "Full",
            "uri": uri + ".json",
        }
    )


async def create_message(request: Request) -> Response:
    state = account_of(request)
    outbound = OutboundRequest(await read_form(request), account_sid=state.account_sid, status_delay=state.status_delay)
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


_ACCOUNT = "/2010-04-01/Accounts/{account_sid}"

ROUTES = [
    resource(_ACCOUNT + ".json", GET=fetch_account),
    resource(_ACCOUNT + "/Messages.json", GET=list_messages, POST=create_message),
    resource(_ACCOUNT + "/Messages/{sid}.json", GET=fetch_message, POST=update_message, DELETE=delete_message),
    resource(_ACCOUNT + "/Messages/{sid}/Media.json", GET=media.list_media),
    resource(_ACCOUNT + "/Messages/{sid}/Media/{media_sid}.json", GET=media.fetch_media),
    resource(_ACCOUNT + "/Calls.json", GET=calls.list_calls, POST=calls.create_call),
    resource(_ACCOUNT + "/Calls/{sid}.json", GET=calls.fetch_call, POST=calls.update_call),
    resource(_ACCOUNT + "/Calls/{sid}/Notifications.json", GET=calls.list_notifications),
]
"""Any other path gets the router's 404, which the app answers as Twilio's 20404."""
