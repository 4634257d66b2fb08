"""A plugin's ``fastapi_apps`` that are built on first access.

Every Airflow process loads plugins (scheduler, triggerer, each task), but only the api-server mounts
FastAPI apps: building them (and importing FastAPI) waits until the api-server asks.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from functools import cached_property
from typing import Any, overload


class LazyApps(Sequence[dict[str, Any]]):
    """``fastapi_apps`` entries made by ``build`` the first time anything reads them."""

    def __init__(self, build: Callable[[], list[dict[str, Any]]]) -> None:
        self._build = build

    @cached_property
    def _apps(self) -> list[dict[str, Any]]:
        return self._build()

    @overload
    def __getitem__(self, index: int) -> dict[str, Any]: ...
    @overload
    def __getitem__(self, index: slice) -> Sequence[dict[str, Any]]: ...
    def __getitem__(self, index: int | slice) -> Any:
        return self._apps[index]

    def __len__(self) -> int:
        return len(self._apps)

    def __iter__(self) -> Iterator[dict[str, Any]]:
        return iter(self._apps)
