"""Twilio's OpenAPI description of the 2010-04-01 API, and raw requests to check emulator answers against it."""

from __future__ import annotations

import base64
import json
import urllib.error
import urllib.parse
import urllib.request
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from airflow_provider_twilio.emulator import TwilioEmulator

SPEC: dict[str, Any] = json.loads(
    (Path(__file__).resolve().parent.parent / "data" / "twilio_api_v2010.json").read_text()
)


def raw(emu: TwilioEmulator, method: str, path: str, data: dict[str, Any] | None = None) -> tuple[int, Any]:
    """One authenticated form request to the emulator; (status, JSON body or None), errors included."""
    body = urllib.parse.urlencode(data, doseq=True).encode() if data is not None else None
    token = base64.b64encode(f"{emu.account_sid}:{emu.auth_token}".encode()).decode()
    request = urllib.request.Request(
        emu.base_url + path, data=body, method=method, headers={"Authorization": f"Basic {token}"}
    )
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            content = response.read()
            return response.status, json.loads(content) if content else None
    except urllib.error.HTTPError as err:
        content = err.read()
        return err.code, json.loads(content) if content else None


def validator(schema: dict[str, Any]) -> Any:
    """A validator for one of the spec's schemas, resolving its references into the spec's components."""
    from openapi_schema_validator import OAS30Validator

    return OAS30Validator({**schema, "components": SPEC["components"]})
