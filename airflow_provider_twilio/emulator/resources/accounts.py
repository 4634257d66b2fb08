"""Twilio's Account resource: the one account an emulator serves."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from airflow_provider_twilio.emulator.http.routing import resource
from airflow_provider_twilio.emulator.http.timefmt import rfc2822
from airflow_provider_twilio.emulator.model.message_store import API_VERSION
from airflow_provider_twilio.emulator.resources.requests import account_of


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


ROUTES = [resource("/2010-04-01/Accounts/{account_sid}.json", GET=fetch_account)]
"""Any other path gets the router's 404, which the app answers as Twilio's 20404."""
