"""Twilio's Lookup v2 phone number resource, with the ``line_type_intelligence`` field.

Served at ``/v2/PhoneNumbers/{number}`` on the emulator's one host: the hook points the SDK's
``lookups`` domain at the connection's ``base_url`` as it does the ``api`` domain.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import quote

from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from airflow_provider_twilio.emulator.http.errors import bad_request
from airflow_provider_twilio.emulator.http.routing import resource
from airflow_provider_twilio.emulator.simulation import line_types

LOOKUP_PREFIX = "/v2/"
FIELDS = ("line_type_intelligence",)
"""The data packages the emulator answers; others are refused rather than answered with made-up data."""


async def fetch_phone_number(request: Request) -> Response:
    number = request.path_params["number"].strip()
    asked = [field.strip() for field in (request.query_params.get("Fields") or "").split(",") if field.strip()]
    unknown = [field for field in asked if field not in FIELDS]
    if unknown:
        served = ", ".join(FIELDS)
        raise bad_request(60200, f"Invalid parameter: Fields ({', '.join(unknown)}; the emulator serves {served})")
    answer = _basic(number)
    if "line_type_intelligence" in asked:
        answer["line_type_intelligence"] = _line_type_intelligence(number) if answer["valid"] else None
    return JSONResponse(answer)


def _basic(number: str) -> dict[str, Any]:
    import phonenumbers

    try:
        parsed = phonenumbers.parse(number, "US")
    except phonenumbers.NumberParseException:
        parsed = None
    possible = parsed is not None and phonenumbers.is_possible_number(parsed)
    e164 = phonenumbers.format_number(parsed, phonenumbers.PhoneNumberFormat.E164) if possible and parsed else number
    answer: dict[str, Any] = dict.fromkeys(
        (
            "caller_name",
            "sim_swap",
            "call_forwarding",
            "line_type_intelligence",
            "line_status",
            "identity_match",
            "reassigned_number",
            "sms_pumping_risk",
            "phone_number_quality_score",
            "pre_fill",
        )
    )
    answer.update(
        {
            "calling_country_code": str(parsed.country_code) if possible and parsed else None,
            "country_code": _country(parsed) if possible and parsed else None,
            "phone_number": e164,
            "national_format": phonenumbers.format_number(parsed, phonenumbers.PhoneNumberFormat.NATIONAL)
            if possible and parsed
            else None,
            "valid": possible,
            "validation_errors": [] if possible else ["NOT_A_NUMBER"],
            "url": f"https://lookups.twilio.com/v2/PhoneNumbers/{quote(e164)}",
        }
    )
    return answer


def _country(parsed: Any) -> str:
    """The number's country; for a number no plan places, the main country of its calling code."""
    import phonenumbers

    return phonenumbers.region_code_for_number(parsed) or phonenumbers.region_code_for_country_code(parsed.country_code)


def _line_type_intelligence(number: str) -> dict[str, Any]:
    kind = line_types.line_type_of(number)
    mobile = kind == "mobile"
    return {
        "error_code": None,
        "mobile_country_code": "310" if mobile else None,
        "mobile_network_code": "456" if mobile else None,
        "carrier_name": line_types.CARRIERS.get(kind),
        "type": kind,
    }


ROUTES = [resource(LOOKUP_PREFIX + "PhoneNumbers/{number}", GET=fetch_phone_number)]
