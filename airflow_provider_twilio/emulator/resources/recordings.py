"""Twilio's Recording resource: list (with ``DateCreated`` and ``CallSid`` filters), fetch, and the audio.

``/Recordings/{sid}.wav`` and ``.mp3`` serve the audio as Twilio does (no ``.json``): the form
``media_url`` points at, and what a download of a recording reads.
"""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from airflow_provider_twilio.emulator.http.errors import not_found
from airflow_provider_twilio.emulator.http.listing import PageRequest, date_filters, envelope
from airflow_provider_twilio.emulator.http.routing import resource
from airflow_provider_twilio.emulator.model.recordings import Recording
from airflow_provider_twilio.emulator.resources.requests import account_of

_PAGE_TOKEN_PREFIX = "PARE"
_FILTERS = ("DateCreated", "DateCreated<", "DateCreated>", "CallSid")


def _recording_of(request: Request) -> Recording:
    recording = account_of(request).recordings.get(request.path_params["sid"])
    if recording is None:
        raise not_found(request.url.path)
    return recording


async def list_recordings(request: Request) -> Response:
    """Newest first; the cursor is the position in that order of the last recording served."""
    state = account_of(request)
    params = request.query_params
    page = PageRequest.parse(params, _PAGE_TOKEN_PREFIX)
    filters = date_filters(params, "DateCreated")
    call_sid = params.get("CallSid") or None
    ordered = state.recordings.newest_first()
    start = 0 if page.cursor is None else page.cursor + 1
    found: list[int] = []
    more = False
    for index in range(start, len(ordered)):
        recording = ordered[index]
        if call_sid is not None and recording.call_sid != call_sid:
            continue
        if not all(f.matches(recording.created_at) for f in filters):
            continue
        if len(found) == page.size:
            more = True
            break
        found.append(index)
    items = [ordered[index].render() for index in found]
    next_cursor = found[-1] if more else None
    return JSONResponse(
        envelope(request.url.path, params, _FILTERS, page, "recordings", items, next_cursor, _PAGE_TOKEN_PREFIX)
    )


async def fetch_recording(request: Request) -> Response:
    return JSONResponse(_recording_of(request).render())


async def recording_wav(request: Request) -> Response:
    return Response(_recording_of(request).wav(), media_type="audio/x-wav")


async def recording_mp3(request: Request) -> Response:
    return Response(_recording_of(request).mp3(), media_type="audio/mpeg")


_RECORDINGS = "/2010-04-01/Accounts/{account_sid}/Recordings"

ROUTES = [
    resource(_RECORDINGS + ".json", GET=list_recordings),
    resource(_RECORDINGS + "/{sid}.json", GET=fetch_recording),
    resource(_RECORDINGS + "/{sid}.wav", GET=recording_wav),
    resource(_RECORDINGS + "/{sid}.mp3", GET=recording_mp3),
]
