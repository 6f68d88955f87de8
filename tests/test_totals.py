from __future__ import annotations

import json
from decimal import Decimal

from routed_llm.totals import StepMoney, Totals, sum_money


def test_totals_sum_mix_and_savings() -> None:
    t = Totals.of([
        StepMoney("summarize", "openai", "gpt-5-nano", Decimal("0.0001"), Decimal("0.0030"), session_id="a"),
        StepMoney("reasoning", "openai", "gpt-5-mini", Decimal("0.0004"), Decimal("0.0020"), True, "a"),
        StepMoney("summarize", "anthropic", "claude-haiku-4-5", Decimal("0.0002"), Decimal("0.0010"), session_id="b"),
    ])
    assert (t.steps, t.cost, t.baseline_cost, t.savings) == (3, Decimal("0.0007"), Decimal("0.0060"), Decimal("0.0053"))
    assert t.label_mix == {"summarize": 2, "reasoning": 1}
    assert t.model_mix == {"openai/gpt-5-nano": 1, "openai/gpt-5-mini": 1, "anthropic/claude-haiku-4-5": 1}
    assert t.fallbacks == 1 and t.by_session == {"a": Decimal("0.0005"), "b": Decimal("0.0002")}
    summary = t.summary()
    assert summary["savings"] == "0.0053" and json.loads(json.dumps(summary)) == summary


def test_an_unknown_amount_makes_the_total_unknown() -> None:
    t = Totals.of([StepMoney("chat", "x", "m", None, Decimal(1)), StepMoney("chat", "x", "m", Decimal(1), Decimal(1))])
    assert t.cost is None and t.savings is None and t.baseline_cost == Decimal(2)
    assert t.summary()["cost"] is None
    assert sum_money([]) == Decimal(0) and Totals.of([]).summary()["steps"] == 0
