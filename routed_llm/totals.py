"""Totals over routed steps: money, savings, label and model mix, fallbacks.

The framework handlers (LangChain's ``RoutingCallbackHandler``, LlamaIndex's
``RoutingEventHandler``) and the demo report each hold their own record of a step; they describe
each as a ``StepMoney`` and get the same totals, with the same ``summary()`` keys, from here.
Money is ``Decimal``; a total is ``None`` when any step's amount is unknown (never a guess).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any


@dataclass(frozen=True, slots=True)
class StepMoney:
    """What the totals need of one step."""

    label: str
    provider: str
    model: str
    cost: Decimal | None
    baseline_cost: Decimal | None
    fallback: bool = False
    session_id: str | None = None


def sum_money(values: Iterable[Decimal | None]) -> Decimal | None:
    """The sum, or None when any value is unknown."""
    total = Decimal(0)
    for value in values:
        if value is None:
            return None
        total += value
    return total


def money(value: Decimal | None) -> str | None:
    """Money as a decimal string (JSON-friendly, exact)."""
    return None if value is None else str(value)


@dataclass(frozen=True)
class Totals:
    steps: int = 0
    cost: Decimal | None = Decimal(0)
    baseline_cost: Decimal | None = Decimal(0)
    label_mix: dict[str, int] = field(default_factory=dict)
    model_mix: dict[str, int] = field(default_factory=dict)  # "provider/model" -> steps
    fallbacks: int = 0  # steps that did not run on the first model of their chain at the first try
    by_session: dict[str | None, Decimal | None] = field(default_factory=dict)

    @classmethod
    def of(cls, steps: Iterable[StepMoney]) -> Totals:
        items = list(steps)
        sessions: dict[str | None, list[Decimal | None]] = {}
        for s in items:
            sessions.setdefault(s.session_id, []).append(s.cost)
        return cls(
            steps=len(items),
            cost=sum_money(s.cost for s in items),
            baseline_cost=sum_money(s.baseline_cost for s in items),
            label_mix=dict(Counter(s.label for s in items)),
            model_mix=dict(Counter(f"{s.provider}/{s.model}" for s in items)),
            fallbacks=sum(1 for s in items if s.fallback),
            by_session={k: sum_money(v) for k, v in sessions.items()},
        )

    @property
    def savings(self) -> Decimal | None:
        if self.cost is None or self.baseline_cost is None:
            return None
        return self.baseline_cost - self.cost

    def summary(self) -> dict[str, Any]:
        """JSON-friendly totals (money as decimal strings)."""
        return {
            "steps": self.steps,
            "cost": money(self.cost),
            "baseline_cost": money(self.baseline_cost),
            "savings": money(self.savings),
            "label_mix": self.label_mix,
            "model_mix": self.model_mix,
            "fallbacks": self.fallbacks,
        }


class TotalsView:
    """The totals as properties, for a handler whose ``totals`` property builds them (the LangChain
    and LlamaIndex handlers share these names and meanings)."""

    @property
    def totals(self) -> Totals:
        raise NotImplementedError

    @property
    def total_cost(self) -> Decimal | None:
        """Dollars spent over all steps (failed billed attempts included); None if any is unknown."""
        return self.totals.cost

    @property
    def total_baseline_cost(self) -> Decimal | None:
        """What the same tokens would have cost on each step's flagship."""
        return self.totals.baseline_cost

    @property
    def savings(self) -> Decimal | None:
        return self.totals.savings

    @property
    def label_mix(self) -> dict[str, int]:
        return self.totals.label_mix

    @property
    def model_mix(self) -> dict[str, int]:
        """``provider/model`` -> steps."""
        return self.totals.model_mix

    @property
    def fallbacks(self) -> int:
        """Steps that did not run on the first model of their chain at the first try."""
        return self.totals.fallbacks

    def summary(self) -> dict[str, Any]:
        """JSON-friendly totals (money as decimal strings)."""
        return self.totals.summary()


__all__ = ["StepMoney", "Totals", "TotalsView", "money", "sum_money"]
