from __future__ import annotations

from decimal import Decimal

from routed_llm.catalog import load_catalog
from routed_llm.costs import from_nanos, price, to_nanos
from routed_llm.messages import Usage


def test_price_is_catalog_price_times_tokens() -> None:
    model = load_catalog().model("gpt-5-mini")
    usage = Usage(input_tokens=1_000_000, output_tokens=500_000)
    assert price(usage, model) == model.price.input + model.price.output / 2


def test_cache_reads_and_writes_use_their_own_rates() -> None:
    model = load_catalog().model("claude-sonnet-4-5")
    usage = Usage(input_tokens=3000, output_tokens=100, cache_read_tokens=1000, cache_write_tokens=1000)
    expected = (1000 * model.price.input + 1000 * model.price.cache_read
                + 1000 * model.price.cache_write + 100 * model.price.output) / Decimal(1_000_000)
    assert price(usage, model) == expected


def test_nanos_round_trip() -> None:
    assert from_nanos(to_nanos(Decimal("0.123456"))) == Decimal("0.123456")
