"""A Call resource as the API returns it: its JSON shape, written once for placed and seeded calls."""

from __future__ import annotations

from typing import Any

from airflow_provider_twilio.emulator.model.message_store import API_VERSION

SUBRESOURCES = {
    "notifications": "Notifications",
    "recordings": "Recordings",
    "payments": "Payments",
    "events": "Events",
    "siprec": "Siprec",
    "streams": "Streams",
    "transcriptions": "Transcriptions",
    "user_defined_message_subscriptions": "UserDefinedMessageSubscriptions",
    "user_defined_messages": "UserDefinedMessages",
}


def call_resource(
    account_sid: str,
    sid: str,
    *,
    to: str,
    from_: str,
    date_created: str | None,
    date_updated: str | None = None,
    status: str = "queued",
    direction: str = "outbound-api",
    **fields: Any,
) -> dict[str, Any]:
    """The Call's JSON; ``fields`` sets the rest (times, duration, price, ...), which start out null."""
    uri = f"/{API_VERSION}/Accounts/{account_sid}/Calls/{sid}"
    call: dict[str, Any] = {
        "sid": sid,
        "date_created": date_created,
        "date_updated": date_updated or date_created,
        "parent_call_sid": None,
        "account_sid": account_sid,
        "to": to,
        "to_formatted": to,
        "from": from_,
        "from_formatted": from_,
        "phone_number_sid": None,
        "status": status,
        "start_time": None,
        "end_time": None,
        "duration": None,
        "price": None,
        "price_unit": "USD",
        "direction": direction,
        "answered_by": None,
        "api_version": API_VERSION,
        "forwarded_from": None,
        "group_sid": None,
        "caller_name": None,
        "queue_time": "0",
        "trunk_sid": None,
        "uri": uri + ".json",
        "subresource_uris": {name: f"{uri}/{segment}.json" for name, segment in SUBRESOURCES.items()},
    }
    unknown = set(fields) - set(call)
    if unknown:
        raise TypeError(f"not fields of a Call: {sorted(unknown)}")
    call.update(fields)
    return call
