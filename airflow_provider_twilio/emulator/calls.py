"""Calls: enough of the voice API to create a queued call, for later voice work."""

from __future__ import annotations

import time
from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from airflow_provider_twilio.emulator import numbers
from airflow_provider_twilio.emulator.errors import bad_request, not_found
from airflow_provider_twilio.emulator.handlers import account_of, answer_created, read_form
from airflow_provider_twilio.emulator.state import EmulatorState
from airflow_provider_twilio.emulator.store import API_VERSION, new_sid
from airflow_provider_twilio.emulator.timefmt import rfc2822
from airflow_provider_twilio.emulator.urls import is_http_url


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
    numbers.check_to(to)
    numbers.check_from(from_)
    call = _call_resource(state, to, from_)
    with state.lock:
        state.calls[call["sid"]] = call
    return answer_created(request, state, call)


def _call_resource(state: EmulatorState, to: str, from_: str) -> dict[str, Any]:
    sid = new_sid("CA")
    uri = f"/{API_VERSION}/Accounts/{state.account_sid}/Calls/{sid}"
    now = rfc2822(time.time())
    return {
        "sid": sid,
        "date_created": now,
        "date_updated": now,
        "parent_call_sid": None,
        "account_sid": state.account_sid,
        "to": to,
        "to_formatted": to,
        "from": from_,
        "from_formatted": from_,
        "phone_number_sid": new_sid("PN"),
        "status": "queued",
        "start_time": None,
        "end_time": None,
        "duration": None,
        "price": None,
        "price_unit": "USD",
        "direction": "outbound-api",
        "answered_by": None,
        "api_version": API_VERSION,
        "forwarded_from": None,
        "group_sid": None,
        "caller_name": None,
        "queue_time": "0",
        "trunk_sid": None,
        "uri": uri + ".json",
        "subresource_uris": {
            "notifications": uri + "/Notifications.json",
            "recordings": uri + "/Recordings.json",
            "payments": uri + "/Payments.json",
            "events": uri + "/Events.json",
            "siprec": uri + "/Siprec.json",
            "streams": uri + "/Streams.json",
            "transcriptions": uri + "/Transcriptions.json",
            "user_defined_message_subscriptions": uri + "/UserDefinedMessageSubscriptions.json",
            "user_defined_messages": uri + "/UserDefinedMessages.json",
        },
    }


async def fetch_call(request: Request) -> Response:
    state = account_of(request)
    with state.lock:
        call = state.calls.get(request.path_params["sid"])
    if call is None:
        raise not_found(request.url.path)
    return JSONResponse(call)
