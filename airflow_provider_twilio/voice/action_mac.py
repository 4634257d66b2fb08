"""The MAC in a keypress action URL: proof that this Airflow deployment wrote the URL for one task instance.

Twilio's signature only proves that someone holding the connection's auth token (Twilio, or anyone
else with it) sent the request; it says nothing about which task the URL names. So the task that
places a call adds an HMAC-SHA256 over (connection id, dag_id, run_id, task_id, map_index, try number,
expected key) under a key derived from the deployment's ``[api] secret_key``: the one secret Airflow 3
requires to be equal on the api-server and on every worker (they sign and check log-fetching tokens
with it). A Twilio auth token or API key cannot make one.

Stdlib only, and the key never leaves this module: it is not logged, stored or put in an exception.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import sys
from dataclasses import dataclass

SETTING = "[api] secret_key"
ENV_VAR = "AIRFLOW__API__SECRET_KEY"
LABEL = b"airflow-provider-twilio/keypress-action/v1"
"""Derivation label: a key made for keypress URLs is good for nothing else, and vice versa."""
CHOICE_LABEL = b"airflow-provider-twilio/choice-action/v1"
"""The label for the URLs of calls that ask to choose an option (a human-in-the-loop request): a MAC
made for one kind of URL is never good for the other."""
UNSET = frozenset({"", "{SECRET_KEY}"})
"""What ``[api] secret_key`` reads as when it was never set (the Task SDK leaves the template unexpanded)."""


@dataclass(frozen=True)
class ActionClaim:
    """What an action URL vouches for: which connection's call, which try of which task, which key (or keys)."""

    conn_id: str
    dag_id: str
    run_id: str
    task_id: str
    map_index: int
    try_number: int
    key: str

    def message(self) -> bytes:
        """Unambiguous bytes (a JSON array): no two different claims encode alike."""
        fields = [self.conn_id, self.dag_id, self.run_id, self.task_id, self.map_index, self.try_number, self.key]
        return json.dumps(fields, separators=(",", ":"), ensure_ascii=True).encode("ascii")


def derive_key(secret: str, label: bytes = LABEL) -> bytes:
    """A key for one kind of action URL only, from the deployment secret (an HKDF-style extract under a fixed label)."""
    return hmac.new(secret.encode("utf-8"), label, hashlib.sha256).digest()


def sign(key: bytes, claim: ActionClaim) -> str:
    digest = hmac.new(key, claim.message(), hashlib.sha256).digest()
    return base64.urlsafe_b64encode(digest).rstrip(b"=").decode("ascii")


def verify(key: bytes, claim: ActionClaim, mac: str) -> bool:
    """True only for the MAC ``sign`` gives this claim; compared in constant time."""
    return hmac.compare_digest(sign(key, claim).encode("ascii"), mac.encode("utf-8", "replace"))


def deployment_secret() -> str | None:
    """``[api] secret_key``, or None when it was never set.

    Unset, Airflow fills it with a random value per process, which no other process shares: a URL
    signed with it could never be checked, so it counts as missing.
    """
    from airflow_provider_twilio._compat import conf

    value = conf.get("api", "secret_key", fallback="") or ""
    if value.strip() in UNSET:
        return None
    generated = getattr(sys.modules.get("airflow.configuration"), "SECRET_KEY", None)
    return None if value == generated else value


def deployment_key(label: bytes = LABEL) -> bytes | None:
    secret = deployment_secret()
    return None if secret is None else derive_key(secret, label)
