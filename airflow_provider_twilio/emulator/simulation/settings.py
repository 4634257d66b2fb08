"""The emulator's settings (faults, status pace, duplicate webhooks): one table for every face that sets them.

``TwilioEmulator.configure``, ``POST /_emulator/configure`` and the command line all take the names in
``SETTINGS`` and check values with ``checked``, so a setting added here is accepted by all three.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Literal, TypedDict

from airflow_provider_twilio.emulator.http.checks import MAX_DELAY, MAX_LATENCY, seconds

MAX_LATE_COMMIT_DELAY = 3600.0

Kind = Literal["probability", "seconds", "limit", "flag", "seed"]
Owner = Literal["faults", "state"]


@dataclass(frozen=True)
class Setting:
    name: str
    kind: Kind
    default: Any
    help: str
    owner: Owner = "faults"
    """Where the value lives: ``state.faults.settings`` (or its RNG, for the seed) or ``state`` itself."""
    maximum: float = 0.0
    """For ``seconds``: the largest value accepted."""


SETTINGS: dict[str, Setting] = {
    setting.name: setting
    for setting in (
        Setting("latency", "seconds", 0.0, "seconds added to every API request", maximum=MAX_LATENCY),
        Setting("fail_before_commit", "probability", 0.0, "probability that a write gets a 500 and changes nothing"),
        Setting(
            "fail_after_commit",
            "probability",
            0.0,
            "probability that a create is stored but answered with a 500 or a dropped connection",
        ),
        Setting("throttle", "probability", 0.0, "probability of 429/20429 on an API request"),
        Setting(
            "max_concurrent_requests",
            "limit",
            None,
            "API requests in flight beyond this get 429/20429 (default: no limit)",
        ),
        Setting(
            "late_commit",
            "probability",
            0.0,
            "probability that a create is stored only --late-commit-delay seconds later, unanswered",
        ),
        Setting(
            "late_commit_delay",
            "seconds",
            5.0,
            "seconds before a late commit is stored (default: 5)",
            maximum=MAX_LATE_COMMIT_DELAY,
        ),
        Setting("seed", "seed", None, "seed for the fault generator (default: random)"),
        Setting(
            "status_delay",
            "seconds",
            0.05,
            "seconds between status steps (default: 0.05)",
            owner="state",
            maximum=MAX_DELAY,
        ),
        Setting("duplicate_webhooks", "flag", False, "deliver every webhook twice, as Twilio retries", owner="state"),
        Setting(
            "enforce_max_price",
            "flag",
            False,
            "fail a message priced over its MaxPrice with 30010, as Twilio did before MaxPrice became obsolete",
            owner="state",
        ),
    )
}


class EmulatorSettings(TypedDict, total=False):
    """The keyword arguments of ``TwilioEmulator.configure``: the names in ``SETTINGS``."""

    latency: float
    fail_before_commit: float
    fail_after_commit: float
    throttle: float
    max_concurrent_requests: int | None
    late_commit: float
    late_commit_delay: float
    seed: int
    status_delay: float
    duplicate_webhooks: bool
    enforce_max_price: bool


def _probability(name: str, value: Any) -> float:
    try:
        number = float(value)
    except (TypeError, ValueError):
        number = math.nan
    if not 0.0 <= number <= 1.0:  # also refuses NaN
        raise ValueError(f"{name} must be a probability between 0 and 1, got {value!r}")
    return number


def _limit(name: str, value: Any) -> int | None:
    if value is None:
        return None
    try:
        limit = int(value)
    except (TypeError, ValueError):
        limit = 0
    if limit < 1:
        raise ValueError(f"{name} must be >= 1 or None, got {value!r}")
    return limit


def _flag(name: str, value: Any) -> bool:
    if not isinstance(value, bool):
        raise ValueError(f"{name} must be true or false, got {value!r}")
    return value


def _seed(name: str, value: Any) -> Any:
    if not isinstance(value, (int, float, str, bytes)):
        raise ValueError(f"{name} must be a number or text, got {value!r}")
    return value


def check(setting: Setting, value: Any) -> Any:
    """``value`` made valid for ``setting``, or ``ValueError`` naming it and its valid range."""
    if setting.kind == "probability":
        return _probability(setting.name, value)
    if setting.kind == "seconds":
        return seconds(setting.name, value, setting.maximum)
    if setting.kind == "limit":
        return _limit(setting.name, value)
    if setting.kind == "flag":
        return _flag(setting.name, value)
    return _seed(setting.name, value)


def checked(changes: Mapping[str, Any], owner: Owner | None = None) -> dict[str, Any]:
    """The changes to make, each value checked; all are checked before any is made.

    ``None`` leaves a setting as it is, except for ``max_concurrent_requests``, where it lifts the limit.
    An unknown name (or one ``owner`` does not hold) is a ``TypeError``, as an unknown keyword argument is.
    """
    result: dict[str, Any] = {}
    for name, value in changes.items():
        setting = SETTINGS.get(name)
        if setting is None or (owner is not None and setting.owner != owner):
            raise TypeError(f"configure() got an unexpected keyword argument {name!r}")
        if value is None and setting.kind != "limit":
            continue
        result[name] = check(setting, value)
    return result


def defaults(owner: Owner) -> dict[str, Any]:
    """The default value of each readable setting ``owner`` holds."""
    return {name: s.default for name, s in SETTINGS.items() if s.owner == owner and s.kind != "seed"}


def current(state: Any) -> dict[str, Any]:
    """Every setting's value in ``state`` (an ``EmulatorState``), as ``GET /_emulator/configure`` shows them.

    The seed is not shown: the generator keeps no copy of it.
    """
    holders = {"faults": state.faults.settings, "state": state}
    return {name: getattr(holders[s.owner], name) for name, s in SETTINGS.items() if s.kind != "seed"}
