"""Calls: create, fetch, list, update and a call's notifications; the call's life is in ``voice``."""

from __future__ import annotations

import time
from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from airflow_provider_twilio.emulator.http.errors import bad_request, not_found
from airflow_provider_twilio.emulator.http.listing import PageRequest, date_filters, envelope
from airflow_provider_twilio.emulator.http.routing import resource
from airflow_provider_twilio.emulator.http.timefmt import rfc2822, rfc2822_seconds
from airflow_provider_twilio.emulator.http.urls import is_http_url
from airflow_provider_twilio.emulator.lifecycles import call_lifecycle
from airflow_provider_twilio.emulator.model.addresses import check_call_numbers
from airflow_provider_twilio.emulator.model.call_resource import call_resource
from airflow_provider_twilio.emulator.model.message_store import API_VERSION, new_sid
from airflow_provider_twilio.emulator.resources.requests import account_of, answer_created, read_form
from airflow_provider_twilio.emulator.state import EmulatorState
from airflow_provider_twilio.twiml import MAX_TWIML_CHARS


async def create_call(request: Request) -> Response:
    state = account_of(request)
    form = await read_form(request)
    to = (form.get("To") or "").strip()
    from_ = (form.get("From") or "").strip()
    if not to:
        raise bad_request(21201, "No 'To' number is specified")
    if not from_:
        raise bad_request(21213, "No 'From' number is specified")
    if not (form.get("Url") or form.get("Twiml") or form.get("ApplicationSid")):
        raise bad_request(21205, "A 'Url', 'Twiml' or 'ApplicationSid' is required")
    url = form.get("Url")
    if url and not is_http_url(url):
        raise bad_request(21205, f"Url {url!r} is not a valid URL: use an absolute http:// or https:// URL.")
    for name in ("StatusCallback",):
        callback = form.get(name)
        if callback and not is_http_url(callback):
            raise bad_request(
                21609, f"{name} {callback!r} is not a valid URL: use an absolute http:// or https:// URL."
            )
    check_call_numbers(to, from_)
    try:
        settings = call_lifecycle.options(form)
    except ValueError as err:
        raise bad_request(21220 if "Twiml" in str(err) else 20001, str(err)) from None
    if url:
        settings["twiml"] = None  # Twilio ignores Twiml when Url is given
    call = _call_resource(state, to, from_)
    run = call_lifecycle.CallRun(call=call, behaviour=state.people.of(to), **settings)
    with state.lock:
        state.calls[call["sid"]] = call
    call_lifecycle.start(state, run)
    return answer_created(request, state, dict(call))


def _call_resource(state: EmulatorState, to: str, from_: str) -> dict[str, Any]:
    now = rfc2822(time.time())
    return call_resource(
        state.account_sid, new_sid("CA"), to=to, from_=from_, date_created=now, phone_number_sid=new_sid("PN")
    )


def _run_of(request: Request) -> tuple[EmulatorState, call_lifecycle.CallRun]:
    state = account_of(request)
    with state.lock:
        run = state.call_runs.get(request.path_params["sid"])
    if run is None:
        raise not_found(request.url.path)
    return state, run


async def fetch_call(request: Request) -> Response:
    _, run = _run_of(request)
    return JSONResponse(run.call)


async def update_call(request: Request) -> Response:
    """``Status=canceled`` (before answer), ``Status=completed`` (hang up) or new ``Twiml``/``Url`` (answered calls)."""
    state, run = _run_of(request)
    form = await read_form(request)
    status = form.get("Status")
    current = run.call["status"]
    if status is not None:
        if status not in ("canceled", "completed"):
            raise bad_request(20001, f"Status {status!r} cannot be set; use 'canceled' or 'completed'.")
        if status == "canceled" and current not in ("queued", "ringing"):
            raise bad_request(21220, f"Call is {current}: only a queued or ringing call can be canceled.")
        if current in call_lifecycle.FINAL:
            raise bad_request(21220, f"Call is not in-progress. Cannot change a {current} call.")
        call_lifecycle.end(state, run, "canceled" if current in ("queued", "ringing") else "completed")
        return JSONResponse(run.call)
    document, url = form.get("Twiml"), form.get("Url")
    if document is None and url is None:
        raise bad_request(20001, "Nothing to update: give Status, Twiml or Url.")
    if current != "in-progress":
        raise bad_request(21220, "Call is not in-progress. Cannot redirect.")
    if url:
        if not is_http_url(url):
            raise bad_request(21205, f"Url {url!r} is not a valid URL: use an absolute http:// or https:// URL.")
        run.url, run.method = url, (form.get("Method") or "POST").upper()
        call_lifecycle.redirect(state, run, None)
    else:
        if len(document or "") > MAX_TWIML_CHARS:
            raise bad_request(21220, f"Twiml is {len(document or '')} characters; the maximum is {MAX_TWIML_CHARS}")
        call_lifecycle.redirect(state, run, document or "")
    return JSONResponse(run.call)


async def list_notifications(request: Request) -> Response:
    """The call's errors and warnings (12100 for TwiML that does not parse, 11200 for an unreachable Url)."""
    state, run = _run_of(request)
    call = run.call
    base = f"/{API_VERSION}/Accounts/{state.account_sid}/Calls/{call['sid']}/Notifications"
    items = [
        {
            "account_sid": state.account_sid,
            "api_version": API_VERSION,
            "call_sid": call["sid"],
            "date_created": rfc2822(note["at"]),
            "date_updated": rfc2822(note["at"]),
            "error_code": note["error_code"],
            "log": note["log"],
            "message_date": rfc2822(note["at"]),
            "more_info": f"https://www.twilio.com/docs/errors/{note['error_code']}",
            "request_method": "POST",
            "request_url": run.url or "",
            "sid": note["sid"],
            "uri": f"{base}/{note['sid']}.json",
        }
        for note in run.notifications
    ]
    page = PageRequest.parse(request.query_params, "PANO")
    shown = items[page.number * page.size : (page.number + 1) * page.size]
    return JSONResponse(
        envelope(request.url.path, request.query_params, (), page, "notifications", shown, None, "PANO")
    )


CALL_STATUSES = ("queued", "ringing", "in-progress", "completed", "busy", "failed", "no-answer", "canceled")
_PAGE_TOKEN_PREFIX = "PACA"
_EXACT_FILTERS = {"To": "to", "From": "from", "ParentCallSid": "parent_call_sid", "Status": "status"}
_FILTERS = (*_EXACT_FILTERS, "StartTime", "StartTime<", "StartTime>", "EndTime", "EndTime<", "EndTime>")


async def list_calls(request: Request) -> Response:
    """Newest first, with Twilio's filters; a call not yet started (or ended) matches no StartTime (EndTime) filter."""
    state = account_of(request)
    params = request.query_params
    page = PageRequest.parse(params, _PAGE_TOKEN_PREFIX)
    status = params.get("Status")
    if status and status not in CALL_STATUSES:
        raise bad_request(20001, f"Status {status!r} is not one of {', '.join(CALL_STATUSES)}")
    exact = {field: params[key] for key, field in _EXACT_FILTERS.items() if params.get(key)}
    time_filters = {"start_time": date_filters(params, "StartTime"), "end_time": date_filters(params, "EndTime")}
    with state.lock:
        stored = list(state.calls.values())
    end = len(stored) if page.cursor is None else max(min(page.cursor, len(stored)), 0)
    found: list[tuple[int, dict[str, Any]]] = []
    next_cursor = None
    for index in range(end - 1, -1, -1):
        call = stored[index]
        if any(call[field] != value for field, value in exact.items()):
            continue
        if not all(f.matches(rfc2822_seconds(call[field])) for field, fs in time_filters.items() for f in fs):
            continue
        if len(found) == page.size:
            next_cursor = found[-1][0]
            break
        found.append((index, call))
    items = [call for _, call in found]
    return JSONResponse(
        envelope(request.url.path, params, _FILTERS, page, "calls", items, next_cursor, _PAGE_TOKEN_PREFIX)
    )


_CALLS = "/2010-04-01/Accounts/{account_sid}/Calls"

ROUTES = [
    resource(_CALLS + ".json", GET=list_calls, POST=create_call),
    resource(_CALLS + "/{sid}.json", GET=fetch_call, POST=update_call),
    resource(_CALLS + "/{sid}/Notifications.json", GET=list_notifications),
]
