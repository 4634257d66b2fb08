"""A message's Media subresource: one Media resource per ``MediaUrl``, listed and fetched.

The emulator never downloads media, so ``content_type`` is guessed from the URL's file name, and
Media SIDs are derived from the message SID and position: stable without storing anything.
"""

from __future__ import annotations

import hashlib
import mimetypes
from typing import Any
from urllib.parse import urlsplit

from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from airflow_provider_twilio.emulator.http.errors import not_found
from airflow_provider_twilio.emulator.http.listing import PageRequest, date_filters, envelope
from airflow_provider_twilio.emulator.http.routing import resource
from airflow_provider_twilio.emulator.http.timefmt import rfc2822
from airflow_provider_twilio.emulator.model.message_store import API_VERSION, Message
from airflow_provider_twilio.emulator.resources.requests import message_of

_PAGE_TOKEN_PREFIX = "PAME"
_FILTERS = ("DateCreated", "DateCreated<", "DateCreated>")
UNKNOWN_CONTENT_TYPE = "application/octet-stream"


def media_sid(message_sid: str, index: int) -> str:
    return "ME" + hashlib.sha256(f"{message_sid}/{index}".encode()).hexdigest()[:32]


def content_type(url: str) -> str:
    guessed, _ = mimetypes.guess_type(urlsplit(url).path)
    return guessed or UNKNOWN_CONTENT_TYPE


def render_media(message: Message, index: int) -> dict[str, Any]:
    sid = media_sid(message.sid, index)
    created = rfc2822(message.created_at)
    return {
        "account_sid": message.account_sid,
        "content_type": content_type(message.media_urls[index]),
        "date_created": created,
        "date_updated": created,
        "parent_sid": message.sid,
        "sid": sid,
        "uri": f"/{API_VERSION}/Accounts/{message.account_sid}/Messages/{message.sid}/Media/{sid}.json",
    }


async def list_media(request: Request) -> Response:
    """In ``MediaUrl`` order; ``DateCreated`` filters compare the message's creation time."""
    _, message = message_of(request)
    params = request.query_params
    page = PageRequest.parse(params, _PAGE_TOKEN_PREFIX)
    filters = date_filters(params, "DateCreated")
    start = 0 if page.cursor is None else page.cursor + 1
    matching = [i for i in range(start, len(message.media_urls)) if all(f.matches(message.created_at) for f in filters)]
    served = matching[: page.size]
    next_cursor = served[-1] if len(matching) > page.size else None
    items = [render_media(message, index) for index in served]
    return JSONResponse(
        envelope(request.url.path, params, _FILTERS, page, "media_list", items, next_cursor, _PAGE_TOKEN_PREFIX)
    )


async def fetch_media(request: Request) -> Response:
    _, message = message_of(request)
    wanted = request.path_params["media_sid"]
    for index in range(len(message.media_urls)):
        if media_sid(message.sid, index) == wanted:
            return JSONResponse(render_media(message, index))
    raise not_found(request.url.path)


_MEDIA = "/2010-04-01/Accounts/{account_sid}/Messages/{sid}/Media"

ROUTES = [
    resource(_MEDIA + ".json", GET=list_media),
    resource(_MEDIA + "/{media_sid}.json", GET=fetch_media),
]
