"""TwilioHook: one place that turns an Airflow connection into a configured Twilio SDK client."""

from __future__ import annotations

import asyncio
import threading
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from functools import cached_property
from typing import TYPE_CHECKING, Any

from airflow_provider_twilio._compat import BaseHook, mask_secret
from airflow_provider_twilio.connection_form import CONN_FIELDS, UI_FIELD_BEHAVIOUR
from airflow_provider_twilio.exceptions import TwilioProviderError, classify_exception
from airflow_provider_twilio.hooks.settings import TwilioConnectionSettings

if TYPE_CHECKING:
    from twilio.rest import Client

TWILIO_API_URL = "https://api.twilio.com"
SDK_DOMAINS = ("api", "lookups")
"""The SDK domains (hosts) the provider calls: Messages and Calls on api.twilio.com, Lookup on lookups.twilio.com."""


class TwilioHook(BaseHook):
    """Talks to Twilio with the credentials of an Airflow connection.

    The login is an Account SID (``AC...``) or an API key SID (``SK...``, with the account in the
    ``account_sid`` extra); the password is the auth token or API key secret. The ``base_url``
    extra points the SDK at another server, such as the bundled Twilio emulator.
    """

    conn_name_attr = "twilio_conn_id"
    default_conn_name = "twilio_default"
    conn_type = "twilio"
    hook_name = "Twilio"

    # Guards building the shared sync client: the sender's worker threads share one hook and must share
    # one client (and its connection pool). Class-level, so hooks stay copyable and picklable.
    _client_lock = threading.Lock()

    def __init__(self, twilio_conn_id: str = default_conn_name, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.twilio_conn_id = twilio_conn_id
        self._client: Client | None = None

    def __repr__(self) -> str:
        return f"<TwilioHook conn_id={self.twilio_conn_id!r}>"

    @cached_property
    def settings(self) -> TwilioConnectionSettings:
        """The connection, checked; the secret is registered with Airflow's log masker."""
        connection = self.get_connection(self.twilio_conn_id)
        if connection.password:
            mask_secret(connection.password)
            mask_secret(connection.password.strip())  # the form the SDK sends
        return TwilioConnectionSettings.from_connection(connection)

    def get_conn(self) -> Client:
        """A synchronous SDK client, built once per hook."""
        if self._client is None:
            with self._client_lock:
                if self._client is None:
                    from airflow_provider_twilio.hooks._http import build_sync_http_client, pin_environment

                    http_client = build_sync_http_client(self.settings.timeout)
                    client = self._build_client(http_client)
                    pin_environment(http_client, client.get_hostname(self.settings.base_url or TWILIO_API_URL))
                    self._client = client
        return self._client

    def get_async_conn(self) -> Client:
        """A new SDK client with an asyncio HTTP client; call inside a running event loop and close it.

        This blocks the loop while it imports the SDK (most of a second, once per process): in async
        code use ``async_client()``, which does that in a thread.
        """
        client = self._build_async_client()
        client.http_client.open()
        return client

    def _build_async_client(self) -> Client:
        """The async client without its HTTP session: SDK imports and construction, safe in any thread."""
        from airflow_provider_twilio.hooks._http import build_async_http_client

        client = self._build_client(build_async_http_client(self.settings.timeout))
        client.messages  # noqa: B018 - the SDK imports the Messages resource on first use: here, not later
        return client

    @asynccontextmanager
    async def async_client(self) -> AsyncIterator[Client]:
        """An async SDK client whose HTTP session is closed on exit.

        Reading the connection, importing the SDK and building the client all happen off the event
        loop, so the first trigger in a triggerer does not stall the others.
        """
        if "settings" not in self.__dict__:
            from asgiref.sync import sync_to_async

            # May block (secrets backends, the triggerer's supervisor); asgiref is how triggers reach it.
            await sync_to_async(lambda: self.settings)()
        client = await asyncio.to_thread(self._build_async_client)
        client.http_client.open()
        try:
            yield client
        finally:
            await client.http_client.close()

    def _build_client(self, http_client: Any) -> Client:
        from twilio.rest import Client

        settings = self.settings
        use_region = settings.base_url is None
        if not use_region and (settings.region or settings.edge):
            # The SDK rewrites the host name for a region/edge, which would break a custom base_url.
            self.log.warning(
                "Connection %r sets base_url, so its region/edge extras are not applied.", self.twilio_conn_id
            )
        client = Client(
            username=settings.username,
            password=settings.secret,
            account_sid=settings.account_sid,
            http_client=http_client,
        )
        # Set after construction: the SDK would otherwise fill empty values from TWILIO_REGION/TWILIO_EDGE
        # in the environment, and the connection must be the only source of configuration.
        client.region = settings.region if use_region else None
        client.edge = settings.edge if use_region else None
        if settings.base_url:
            # Set on every domain the provider uses (pagination follows it too); the HTTP client then
            # refuses any other host, so the credentials never leave for a host the connection did not name.
            for domain in SDK_DOMAINS:
                getattr(client, domain).base_url = settings.base_url
            http_client.allowed_origin = settings.base_url.rstrip("/")
        return client

    def test_connection(self) -> tuple[bool, str]:
        """Fetch the account resource; report Twilio's reason instead of raising."""
        try:
            settings = self.settings
        except TwilioProviderError as err:
            return False, err.message
        except Exception as err:
            return False, f"Cannot read connection {self.twilio_conn_id!r}: {type(err).__name__}: {err}"
        try:
            account = self.get_conn().api.v2010.accounts(settings.account_sid).fetch()
        except Exception as err:
            return False, classify_exception(err).message
        return True, f"Connected to Twilio account {account.sid} ({account.friendly_name}, {account.status})"

    @classmethod
    def get_connection_form_widgets(cls) -> dict[str, Any]:
        """The extra fields, for Airflow versions that do not read ``conn-fields`` from the provider info.

        Only the arguments Airflow 3.0/3.1's api-server accepts: it builds this form with stand-ins for
        wtforms that take label, validators, description, default and widget, and drops a hook whose
        fields pass anything else. Placeholders reach Airflow 2's form through
        ``get_ui_field_behaviour()``. A ``format: password`` field is a password input (so masked).
        """
        from flask_appbuilder.fieldwidgets import BS3PasswordFieldWidget, BS3TextFieldWidget
        from flask_babel import lazy_gettext
        from wtforms import PasswordField, StringField
        from wtforms.validators import Optional

        widgets = {}
        for name, spec in CONN_FIELDS.items():
            default = spec["schema"].get("default")
            secret = spec["schema"].get("format") == "password"
            widgets[name] = (PasswordField if secret else StringField)(
                lazy_gettext(spec["label"]),
                validators=[Optional()],
                description=spec.get("description", ""),
                default=None if default is None else str(default),  # a text field holds text
                widget=BS3PasswordFieldWidget() if secret else BS3TextFieldWidget(),
            )
        return widgets

    @classmethod
    def get_ui_field_behaviour(cls) -> dict[str, Any]:
        """Relabels and hides the standard fields, for Airflow versions older than 3.2."""
        return {
            "hidden_fields": list(UI_FIELD_BEHAVIOUR["hidden-fields"]),
            "relabeling": dict(UI_FIELD_BEHAVIOUR["relabeling"]),
            "placeholders": dict(UI_FIELD_BEHAVIOUR["placeholders"]),
        }
