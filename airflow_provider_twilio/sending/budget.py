"""The budget guard: what a batch will cost, stated before the first request, and refused over a limit.

The estimate counts every recipient the batch names, before line-type lookups drop any: the guard runs
before anything that costs money (a lookup is billed too), so a refused batch costs nothing, and the
figure it compares is an upper bound on what the send can cost.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from airflow_provider_twilio.addresses import split_channel
from airflow_provider_twilio.checks import shown
from airflow_provider_twilio.exceptions import TwilioInputError

ANY_COUNTRY = "*"
"""The ``price_per_segment`` map key that prices every country the map does not name."""


class BudgetExceededError(TwilioInputError):
    """The batch would go over ``max_total_segments`` or ``max_cost``; raised before any request."""


def checked_price_per_segment(value: Any) -> float | dict[str, float] | None:
    """A price (number >= 0), or a map from ISO country ("US"), calling code ("1", "+44") or "*" to a price."""
    if value is None:
        return None
    if isinstance(value, Mapping):
        if not value:
            raise TwilioInputError("price_per_segment: {} prices no country; give a number or a non-empty map")
        return {_country_key(key): _price(price, f"price_per_segment[{key!r}]") for key, price in value.items()}
    return _price(value, "price_per_segment")


def checked_max_total_segments(value: Any) -> int | None:
    if value is None:
        return None
    if not isinstance(value, int) or isinstance(value, bool) or value < 1:
        raise TwilioInputError(
            f"max_total_segments: {shown(value)} ({type(value).__name__}) is not valid; expected a whole number >= 1"
        )
    return value


def checked_max_cost(value: Any, price_per_segment: Any) -> float | None:
    if value is None:
        return None
    cost = _price(value, "max_cost")
    if price_per_segment is None:
        raise TwilioInputError(
            f"max_cost: {shown(value)} needs price_per_segment to estimate the cost against (a number, or a map "
            'by country such as {"US": 0.0083, "GB": 0.0463})'
        )
    return cost


def checked_max_price(value: Any) -> float | None:
    """Twilio's ``MaxPrice``: the most, in the account's currency, one message may cost; > 0."""
    if value is None:
        return None
    price = _price(value, "max_price")
    if price == 0:
        raise TwilioInputError("max_price: 0 is not valid; expected a positive price per message, e.g. 0.05")
    return price


def _price(value: Any, param: str) -> float:
    if not isinstance(value, (int, float)) or isinstance(value, bool) or not math.isfinite(value) or value < 0:
        raise TwilioInputError(
            f"{param}: {shown(value)} ({type(value).__name__}) is not valid; expected a number >= 0, e.g. 0.0083"
        )
    return float(value)


def _country_key(key: Any) -> str:
    """ISO country codes upper-cased, calling codes without "+", "*" as is."""
    text = str(key).strip() if isinstance(key, (str, int)) and not isinstance(key, bool) else ""
    if text == ANY_COUNTRY:
        return text
    if text.isalpha() and len(text) == 2:
        return text.upper()
    digits = text[1:] if text.startswith("+") else text
    if digits.isdigit() and 1 <= len(digits) <= 3:
        return digits
    raise TwilioInputError(
        f"price_per_segment: key {shown(key)} is not an ISO country code ('US'), a calling code ('1', '+44') or '*'"
    )


@dataclass(frozen=True)
class Budget:
    """What the operator was told the batch may cost; each part optional."""

    price_per_segment: float | dict[str, float] | None = None
    max_total_segments: int | None = None
    max_cost: float | None = None
    max_price: float | None = None

    def check(self, recipients: Sequence[str], segments_per_message: int | None, *, has_template: bool) -> str:
        """The statement to log; raises ``BudgetExceededError`` (or an input error) over a limit."""
        count = len(recipients)
        limited = self.max_total_segments is not None or self.max_cost is not None
        if segments_per_message is None:
            if has_template and limited:
                raise TwilioInputError(
                    "max_total_segments/max_cost: a Content template's text is stored by Twilio, so its segments "
                    "cannot be counted before sending; send a body, or drop the limits"
                )
            # MMS without text is billed per message: one unit each.
            segments_per_message = None if has_template else 1
        if segments_per_message is None:
            return f"Budget: {count} message(s) from a Content template (segments not known before sending)"
        total = count * segments_per_message
        statement = f"Budget: {count} recipient(s) x {segments_per_message} segment(s) = {total} segment(s)"
        cost = self.estimated_cost(recipients, segments_per_message)
        if cost is not None:
            statement += f", estimated cost {cost:.4f}"
        if self.max_price is not None:
            statement += f"; MaxPrice {self.max_price:g} sent with each message (obsolete at Twilio, no effect there)"
        if self.max_total_segments is not None and total > self.max_total_segments:
            raise BudgetExceededError(
                f"max_total_segments: the batch needs {total} segment(s) ({count} recipient(s) x "
                f"{segments_per_message}), over the limit of {self.max_total_segments}; nothing was sent"
            )
        if self.max_cost is not None and cost is not None and cost > self.max_cost:
            raise BudgetExceededError(
                f"max_cost: the batch's estimated cost is {cost:.4f} ({total} segment(s) at price_per_segment), "
                f"over the limit of {self.max_cost:g}; nothing was sent"
            )
        return statement

    def estimated_cost(self, recipients: Sequence[str], segments_per_message: int) -> float | None:
        prices = self.price_per_segment
        if prices is None:
            return None
        if not isinstance(prices, dict):
            return prices * segments_per_message * len(recipients)
        return sum(_price_for(to, prices) for to in recipients) * segments_per_message


def _price_for(to: str, prices: dict[str, float]) -> float:
    """The recipient's price: its ISO country, else its calling code, else "*"; refused if none applies."""
    import phonenumbers

    number = phonenumbers.parse(split_channel(to)[1], None)
    code = number.country_code or 0
    region = phonenumbers.region_code_for_number(number) or phonenumbers.region_code_for_country_code(code)
    region = "" if region == phonenumbers.UNKNOWN_REGION else region
    calling = str(code)
    for key in (region, calling, ANY_COUNTRY):
        if key in prices:
            return prices[key]
    raise TwilioInputError(
        f"price_per_segment: no price for {to!r} (country {region or '?'}, calling code +{calling}); add "
        f"{region or calling!r} or '*' to the map"
    )


def budget_statement(budget: Budget, batch: Any) -> str:
    """``Budget.check`` for a validated batch (``ValidatedBatch``)."""
    segments = batch.segments.segments if batch.segments is not None else None
    return budget.check(batch.recipients, segments, has_template=bool(batch.request.content_sid))
