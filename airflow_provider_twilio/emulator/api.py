"""Routes of Twilio's 2010-04-01 REST API: accounts, messages and calls."""

from __future__ import annotations

import time
from urllib.parse import urlencode

from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from airflow_provider_twilio.emulator import calls
from airflow_provider_twilio.emulator.errors import bad_request, not_found
from airflow_provider_twilio.emulator.handlers import account_of, answer_created, never_answer, read_form
from airflow_provider_twilio.emulator.lifecycle import after_accept
from airflow_provider_twilio.emulator.messages import OutboundRequest
from airflow_provider_twilio.emulator.routing import resource
from airflow_provider_twilio.emulator.state import EmulatorState
from airflow_provider_twilio.emulator.store import API_VERSION, FINAL_STATUSES, DateFilter, Message, Step
from airflow_provider_twilio.emulator.timefmt import parse_filter_date, rfc2822

DEFAULT_PAGE_SIZE = 50
MAX_PAGE_SIZE = 1000
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


def _message(request: Request) -> tuple[EmulatorState, Message]:
    state = account_of(request)
    message = state.store.get(request.path_params["sid"])
    if message is None:
        raise not_found(request.url.path)
    return state, message


async def fetch_message(request: Request) -> Response:
    _, message = _message(request)
    return JSONResponse(message.render(time.time()))


async def update_message(request: Request) -> Response:
    """``Status=canceled`` cancels a scheduled message, ``Body=""`` redacts a finished one; all checks come first."""
    state, message = _message(request)
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
    state, message = _message(request)
    if message.step_at(time.time()).status not in FINAL_STATUSES | {"scheduled"}:
        raise bad_request(20009, "Cannot delete a message that is still being sent.")
    state.store.delete(message.sid)
    return Response(status_code=204)


def _page_size(value: str | None) -> int:
    if value is None or value == "":
        return DEFAULT_PAGE_SIZE
    try:
        size = int(value)
    except ValueError:
        raise bad_request(20001, f"PageSize {value!r} is not a number") from None
    if size < 1:
        raise bad_request(20001, f"PageSize {value!r} must be at least 1")
    return min(size, MAX_PAGE_SIZE)


def _page_token(value: str | None) -> int | None:
    if not value:
        return None
    if not value.startswith(_PAGE_TOKEN_PREFIX):
        raise bad_request(20001, f"PageToken {value!r} is not valid")
    try:
        return int(value[len(_PAGE_TOKEN_PREFIX) :], 16)
    except ValueError:
        raise bad_request(20001, f"PageToken {value!r} is not valid") from None


def _date_filters(params: dict[str, str]) -> tuple[DateFilter, ...]:
    filters = []
    for key, op in (("DateSent", "="), ("DateSent<", "<"), ("DateSent>", ">")):
        value = params.get(key)
        if not value:
            continue
        parsed = parse_filter_date(value)
        if parsed is None:
            raise bad_request(
                20001,
                f"{key} {value!r} is not a date: use YYYY-MM-DD (GMT), a timestamp such as 2026-11-22T14:20:00Z, "
                "or an RFC 2822 date",
            )
        filters.append(DateFilter(op=op, at=parsed[0], date_only=parsed[1]))
    return tuple(filters)


async def list_messages(request: Request) -> Response:
    state = account_of(request)
    params = dict(request.query_params)
    page_size = _page_size(params.get("PageSize"))
    before_seq = _page_token(params.get("PageToken"))
    try:
        page_number = max(int(params.get("Page") or 0), 0)
    except ValueError:
        raise bad_request(20001, f"Page {params.get('Page')!r} is not a number") from None
    to, from_ = params.get("To") or None, params.get("From") or None
    now = time.time()
    found, more = state.store.page(
        to=to,
        from_=from_,
        date_filters=_date_filters(params),
        page_size=page_size,
        before_seq=before_seq,
        now=now,
    )
    path = request.url.path
    filters = [(key, params[key]) for key in ("To", "From", "DateSent", "DateSent<", "DateSent>") if params.get(key)]

    def uri(page: int, token: str | None) -> str:
        query = [*filters, ("PageSize", str(page_size)), ("Page", str(page))]
        if token is not None:
            query.append(("PageToken", token))
        return f"{path}?{urlencode(query)}"

    token = params.get("PageToken") or None
    next_uri = uri(page_number + 1, f"{_PAGE_TOKEN_PREFIX}{found[-1].seq:032x}") if more and found else None
    start = page_number * page_size
    return JSONResponse(
        {
            "end": start + max(len(found) - 1, 0),
            "first_page_uri": uri(0, None),
            "next_page_uri": next_uri,
            "page": page_number,
            "page_size": page_size,
            "previous_page_uri": None,
            "start": start,
            "uri": uri(page_number, token),
            "messages": [message.render(now) for message in found],
        }
    )


_ACCOUNT = "/2010-04-01/Accounts/{account_sid}"

ROUTES = [
    resource(_ACCOUNT + ".json", GET=fetch_account),
    resource(_ACCOUNT + "/Messages.json", GET=list_messages, POST=create_message),
    resource(_ACCOUNT + "/Messages/{sid}.json", GET=fetch_message, POST=update_message, DELETE=delete_message),
    resource(_ACCOUNT + "/Calls.json", POST=calls.create_call),
    resource(_ACCOUNT + "/Calls/{sid}.json", GET=calls.fetch_call),
]
"""Any other path gets the router's 404, which the app answers as Twilio's 20404."""
