"""Pricing: a Usage on a ModelSpec is an exact Decimal in US dollars.

``Usage.input_tokens`` includes cached tokens; cache reads and writes are billed at their own rates
and the rest of the input at the input rate. Totals per session are kept in nano-dollars (exact
integers, the precision of a step's price) by the session store, so several processes can add to
them atomically.
"""

from __future__ import annotations

from decimal import ROUND_HALF_EVEN, Decimal

from routed_llm.catalog import MILLION, ModelSpec
from routed_llm.messages import Usage

NANOS = Decimal(1_000_000_000)
_QUANTUM = Decimal("0.000000001")  # prices are exact to a nano-dollar


def price(usage: Usage, model: ModelSpec) -> Decimal:
    """Dollars for ``usage`` at ``model``'s catalog prices."""
    p = model.price
    uncached = max(usage.input_tokens - usage.cache_read_tokens - usage.cache_write_tokens, 0)
    dollars = (
        uncached * p.input
        + usage.cache_read_tokens * p.cache_read
        + usage.cache_write_tokens * p.cache_write
        + usage.output_tokens * p.output
    ) / MILLION
    return dollars.quantize(_QUANTUM, rounding=ROUND_HALF_EVEN)


def estimate_cost(input_tokens: int, output_tokens: int, model: ModelSpec) -> Decimal:
    """Dollars for an estimated call with no cache hits."""
    return price(Usage(input_tokens=input_tokens, output_tokens=output_tokens), model)


def to_nanos(dollars: Decimal) -> int:
    return int((dollars * NANOS).to_integral_value(rounding=ROUND_HALF_EVEN))


def from_nanos(nanos: int) -> Decimal:
    return (Decimal(nanos) / NANOS).quantize(_QUANTUM)
