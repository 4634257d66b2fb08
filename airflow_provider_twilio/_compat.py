"""Airflow imports that work on 2.11 and 3.x alike, in one place."""

from __future__ import annotations

from typing import Any

from airflow.providers.common.compat.sdk import (
    AirflowException,
    AirflowFailException,
    AirflowNotFoundException,
    BaseHook,
    BaseOperator,
    BaseOperatorLink,
    BaseSensorOperator,
    PokeReturnValue,
    conf,
    mask_secret,
)

__all__ = [
    "AirflowException",
    "AirflowFailException",
    "AirflowNotFoundException",
    "BaseHook",
    "BaseOperator",
    "BaseOperatorLink",
    "BaseSensorOperator",
    "PokeReturnValue",
    "conf",
    "mask_secret",
]


def object_storage_path(url: str, conn_id: str | None = None) -> Any:
    """Airflow's ObjectStoragePath (``airflow.sdk`` on 3.x, ``airflow.io.path`` on 2.11), imported when used:
    it loads fsspec and universal-pathlib, which DAG parsing does not need."""
    from airflow.providers.common.compat.sdk import ObjectStoragePath

    return ObjectStoragePath(url, conn_id=conn_id)
