"""The webhook receiver app mounted at /twilio as the plugin mounts it, with watchers in the metadata DB.

For tests that post signed webhooks into the receiver in-process (a TestClient) rather than through a
real api-server: Twilio's signature, a watcher row as the dag-processor writes it, and the app itself.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import pytest

BASE = "http://testserver"
"""The URL the TestClient's requests are signed for."""


def sign(token: str, url: str, pairs: list[tuple[str, str]]) -> str:
    """Twilio's signature: the URL, then every name and value sorted by name, HMAC-SHA1 with the token."""
    text = url + "".join(name + value for name, value in sorted(pairs, key=lambda pair: pair[0]))
    return base64.b64encode(hmac.new(token.encode(), text.encode(), hashlib.sha1).digest()).decode()


def add_watcher(session: Any, asset_name: str, trigger: Any) -> None:
    """An asset watched by ``trigger``, as the dag-processor records an AssetWatcher."""
    from airflow.models.asset import AssetModel, AssetWatcherModel
    from airflow.models.trigger import Trigger

    classpath, kwargs = trigger.serialize()
    asset = AssetModel(name=asset_name, uri=asset_name)
    row = Trigger(classpath=classpath, kwargs=kwargs)
    session.add_all([asset, row])
    session.flush()
    session.add(AssetWatcherModel(name=asset_name, asset_id=asset.id, trigger_id=row.id))


@contextmanager
def mounted_receiver(conn_id: str, account_sid: str, token: str, number: str, watched: dict[str, Any]) -> Iterator[Any]:
    """A TestClient of the receiver at /twilio, a connection ``conn_id`` and one watcher per ``watched`` asset."""
    from airflow.utils.session import create_session
    from fastapi import FastAPI
    from starlette.testclient import TestClient

    from airflow_provider_twilio.webhooks.receiver import create_app
    from airflow_provider_twilio.webhooks.recording import watchers

    connection = {
        "conn_type": "twilio",
        "login": account_sid,
        "password": token,
        "extra": {"default_from": number, "webhook_base_url": BASE},
    }
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv(f"AIRFLOW_CONN_{conn_id.upper()}", json.dumps(connection))
        with create_session() as session:
            for asset_name, trigger in watched.items():
                add_watcher(session, asset_name, trigger)
        watchers.clear()
        outer = FastAPI()
        outer.mount("/twilio", create_app())
        try:
            with TestClient(outer) as client:
                yield client
        finally:
            watchers.clear()
