"""Routes of the IncomingPhoneNumbers resource: list, fetch, buy, and update of the webhook fields."""

from __future__ import annotations

from urllib.parse import urlencode

from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from airflow_provider_twilio.emulator.http.errors import bad_request, not_found
from airflow_provider_twilio.emulator.http.routing import resource
from airflow_provider_twilio.emulator.model.phone_number_store import PhoneNumber, PhoneNumbers, checked_changes
from airflow_provider_twilio.emulator.resources.requests import account_of, read_form

MAX_PAGE_SIZE = 1000


def _numbers_of(request: Request) -> PhoneNumbers:
    return account_of(request).phone_numbers  # type: ignore[no-any-return]


async def list_numbers(request: Request) -> Response:
    state = account_of(request)
    params = request.query_params
    wanted = params.get("PhoneNumber") or None
    friendly = params.get("FriendlyName") or None
    try:
        page_size = min(max(int(params.get("PageSize") or 50), 1), MAX_PAGE_SIZE)
    except ValueError:
        raise bad_request(20001, f"PageSize {params.get('PageSize')!r} is not a number") from None
    found = [
        n
        for n in state.phone_numbers.all()
        if (wanted is None or _number_matches(wanted, n.phone_number))
        and (friendly is None or n.friendly_name == friendly)
    ]
    query = [(k, params[k]) for k in ("PhoneNumber", "FriendlyName") if params.get(k)]
    path = request.url.path
    uri = f"{path}?{urlencode([*query, ('PageSize', str(page_size)), ('Page', '0')])}"
    shown = found[:page_size]
    return JSONResponse(
        {
            "end": max(len(shown) - 1, 0),
            "first_page_uri": uri,
            "next_page_uri": None,
            "page": 0,
            "page_size": page_size,
            "previous_page_uri": None,
            "start": 0,
            "uri": uri,
            "incoming_phone_numbers": [n.render(state.account_sid) for n in shown],
        }
    )


def _number_matches(wanted: str, number: str) -> bool:
    """Twilio's filter: a partial number, ``*`` standing for any one digit."""
    wanted = wanted.strip()
    for start in range(len(number) - len(wanted) + 1):
        window = number[start : start + len(wanted)]
        if all(w == "*" or w == c for w, c in zip(wanted, window, strict=True)):
            return True
    return False


async def create_number(request: Request) -> Response:
    """Buying a number: ``PhoneNumber`` (E.164) plus any updatable field."""
    state = account_of(request)
    form = await read_form(request)
    wanted = (form.get("PhoneNumber") or "").strip()
    if not wanted:
        raise bad_request(21421, "PhoneNumber is required.")
    if not wanted.startswith("+"):
        raise bad_request(21421, f"PhoneNumber {wanted} is invalid.")
    changes = checked_changes(form)
    number = state.phone_numbers.add(wanted)
    number = state.phone_numbers.update(number.sid, changes) or number
    return JSONResponse(number.render(state.account_sid), status_code=201)


def _number(request: Request) -> PhoneNumber:
    number = _numbers_of(request).get(request.path_params["sid"])
    if number is None:
        raise not_found(request.url.path)
    return number


async def fetch_number(request: Request) -> Response:
    return JSONResponse(_number(request).render(account_of(request).account_sid))


async def update_number(request: Request) -> Response:
    number = _number(request)
    changes = checked_changes(await read_form(request))
    updated = _numbers_of(request).update(number.sid, changes) or number
    return JSONResponse(updated.render(account_of(request).account_sid))


_NUMBERS = "/2010-04-01/Accounts/{account_sid}/IncomingPhoneNumbers"

ROUTES = [
    resource(_NUMBERS + ".json", GET=list_numbers, POST=create_number),
    resource(_NUMBERS + "/{sid}.json", GET=fetch_number, POST=update_number),
]
