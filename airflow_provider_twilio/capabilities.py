"""What the running Airflow can do for the provider, asked without importing anything heavy."""

from __future__ import annotations

from functools import cache

WEBHOOKS_NEED = "Twilio webhooks need Airflow 3.3 or later (its asset state store records each message once)"


@cache
def webhooks_supported() -> bool:
    """Whether this Airflow can receive webhooks: FastAPI plugins and the asset state store (3.3+)."""
    from importlib.util import find_spec

    try:
        return find_spec("airflow.models.asset_state_store") is not None
    except ModuleNotFoundError:
        return False
