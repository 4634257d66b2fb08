"""The Twilio connection form, declared once.

Airflow >= 3.2 reads these declarations from the provider info; older Airflow asks the hook, which
builds its widgets from the same declarations, so both routes show the same form.
"""

from __future__ import annotations

from typing import Any

# Extra fields, in the order the form shows them.
CONN_FIELDS: dict[str, dict[str, Any]] = {
    "account_sid": {
        "label": "Account SID (with an API key)",
        "schema": {"type": ["string", "null"]},
        "description": "The AC... account the API key belongs to. Required when the login is an SK... key.",
    },
    "default_from": {
        "label": "Default sender",
        "schema": {"type": ["string", "null"]},
        "description": "E.164 number or whatsapp:+E164 address used when a task names no sender.",
    },
    "default_messaging_service_sid": {
        "label": "Default Messaging Service SID",
        "schema": {"type": ["string", "null"]},
        "description": "MG... Messaging Service used when a task names no sender and no default sender is set.",
    },
    "region": {
        "label": "Region",
        "schema": {"type": ["string", "null"]},
        "description": (
            "Twilio Region, for example ie1 or au1: lowercase letters, digits and hyphens only. "
            "Leave empty for the default (us1)."
        ),
    },
    "edge": {
        "label": "Edge",
        "schema": {"type": ["string", "null"]},
        "description": (
            "Twilio Edge location, for example dublin or sydney: lowercase letters, digits and hyphens only."
        ),
    },
    "base_url": {
        "label": "API base URL",
        "schema": {"type": ["string", "null"]},
        "description": (
            "Replaces https://api.twilio.com: a local Twilio emulator, a proxy or a compatible API. "
            "https://, or http:// only to a loopback host such as the emulator (the token must not travel in clear)."
        ),
    },
    "timeout": {
        "label": "Request timeout (seconds)",
        "schema": {"type": ["number", "null"], "default": 30},
        "description": "Seconds to wait for each Twilio API request: more than 0, at most 3600.",
    },
    "webhook_base_url": {
        "label": "Webhook public base URL",
        "schema": {"type": ["string", "null"]},
        "description": (
            "Airflow 3: the https://host[/prefix] Twilio calls; webhooks arrive at <this>/twilio/<conn_id>/sms "
            "and /status. Signatures are checked for this URL."
        ),
    },
    "webhook_auth_token": {
        "label": "Webhook auth token (with an API key)",
        "schema": {"type": ["string", "null"], "format": "password"},
        "description": "The account's auth token, which signs webhooks. Needed only when the login is an API key.",
    },
    "webhook_trust_forwarded_headers": {
        "label": "Trust X-Forwarded-Proto/Host",
        "schema": {"type": ["string", "null"]},
        "description": (
            "true: without a public base URL, take the scheme and host from your reverse proxy's "
            "X-Forwarded-Proto and X-Forwarded-Host headers."
        ),
    },
}

UI_FIELD_BEHAVIOUR: dict[str, Any] = {
    "hidden-fields": ["host", "schema", "port", "extra"],
    "relabeling": {
        "login": "Account SID or API key SID",
        "password": "Auth token or API key secret",
    },
    "placeholders": {
        "login": "ACxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx or SKxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx",
        "password": "32-character auth token or API key secret",
        "account_sid": "ACxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx",
        "default_from": "+15005550006",
        "default_messaging_service_sid": "MGxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx",
        "region": "ie1",
        "edge": "dublin",
        "base_url": "https://api.twilio.com",
        "timeout": "30",
        "webhook_base_url": "https://airflow.example.com",
        "webhook_auth_token": "the account's 32-character auth token",
        "webhook_trust_forwarded_headers": "false",
    },
}
