"""Score eligible candidates: normalised terms, weighted by the policy and moved by the dial.

Each term is normalised over the catalog's models for this step to 0..1, 1 being best:
quality (min-max of the per-label quality), cost (min-max of log dollars for this request's
estimated tokens, so a 10x price gap counts the same anywhere on the scale), latency (time to
first token plus expected output at the model's speed) and carbon (grams CO2e). The dial ``d`` moves
weight between quality and the resource terms::

    total = (1 - d) * w.quality * quality + d * (w.cost * cost + w.latency * latency + w.carbon * carbon)

At the default dial 0.5 the configured weights apply as written (halved). Totals are ranked as
real numbers (exact fractions on near-ties), so moving the dial toward quality can never lower the
quality of the choice.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from decimal import Decimal
from fractions import Fraction
from functools import cmp_to_key

from routed_llm.catalog import ModelSpec
from routed_llm.costs import estimate_cost
from routed_llm.policy.config import Weights

QualityFn = Callable[[ModelSpec], float]
CarbonFn = Callable[[ModelSpec], float]


@dataclass(frozen=True, slots=True)
class Scored:
    model: ModelSpec
    quality: float
    cost: Decimal
    latency_ms: float
    carbon_g: float
    terms: dict[str, float]
    weighted: dict[str, float]
    total: float
    meets_floor: bool

    def to_dict(self) -> dict[str, object]:
        return {
            "model": self.model.key,
            "quality": round(self.quality, 4),
            "cost_usd": str(self.cost),
            "latency_ms": round(self.latency_ms, 1),
            "carbon_g": round(self.carbon_g, 4),
            "meets_floor": self.meets_floor,
            "terms": {k: round(v, 4) for k, v in self.terms.items()},
            "score": {**{k: round(v, 4) for k, v in self.weighted.items()}, "total": round(self.total, 4)},
        }


def _norm(values: Sequence[float], scale: Sequence[float], *, higher_is_better: bool) -> list[float]:
    lo, hi = min(scale, default=0.0), max(scale, default=0.0)
    if hi - lo <= 1e-12:
        return [1.0 for _ in values]
    if higher_is_better:
        return [min(max((v - lo) / (hi - lo), 0.0), 1.0) for v in values]
    return [min(max((hi - v) / (hi - lo), 0.0), 1.0) for v in values]


def latency_ms(model: ModelSpec, output_tokens: int) -> float:
    return model.ttft_ms + 1000.0 * output_tokens / model.tokens_per_s


def score(
    models: Sequence[ModelSpec],
    *,
    input_tokens: int,
    output_tokens: int,
    weights: Weights,
    dial: float,
    floor: float,
    quality: QualityFn,
    carbon_per_1k: CarbonFn,
    reference: Sequence[ModelSpec] = (),
) -> list[Scored]:
    """Scored candidates, best first (floor-meeting ones first, then the rest).

    Terms are normalised over ``reference`` (the whole catalog, so that which providers have a key
    or which models were filtered does not stretch small differences); default: ``models``.
    """
    if not models:
        return []
    ref = list(reference) or list(models)
    known = {m.key for m in ref}
    ref += [m for m in models if m.key not in known]
    qs = {m.key: quality(m) for m in ref}
    costs = {m.key: estimate_cost(input_tokens, output_tokens, m) for m in ref}
    logc = {k: math.log(max(float(c), 1e-12)) for k, c in costs.items()}
    lats = {m.key: latency_ms(m, output_tokens) for m in ref}
    carbs = {m.key: carbon_per_1k(m) * (input_tokens + output_tokens) / 1000.0 for m in ref}
    keys = [m.key for m in models]
    q_t = _norm([qs[k] for k in keys], list(qs.values()), higher_is_better=True)
    c_t = _norm([logc[k] for k in keys], list(logc.values()), higher_is_better=False)
    l_t = _norm([lats[k] for k in keys], list(lats.values()), higher_is_better=False)
    k_t = _norm([carbs[k] for k in keys], list(carbs.values()), higher_is_better=False)
    d = dial
    out: list[Scored] = []
    for i, m in enumerate(models):
        terms = {"quality": q_t[i], "cost": c_t[i], "latency": l_t[i], "carbon": k_t[i]}
        parts = {
            "quality": (1 - d) * weights.quality * q_t[i],
            "cost": d * weights.cost * c_t[i],
            "latency": d * weights.latency * l_t[i],
            "carbon": d * weights.carbon * k_t[i],
        }
        out.append(Scored(
            model=m,
            quality=qs[m.key],
            cost=costs[m.key],
            latency_ms=lats[m.key],
            carbon_g=carbs[m.key],
            terms=terms,
            weighted=parts,
            total=sum(parts.values()),
            meets_floor=qs[m.key] >= floor - 1e-12,
        ))
    out.sort(key=cmp_to_key(_comparator(weights, dial)))
    return out


_NEAR = 1e-9


def _exact(s: Scored, w: Weights, dial: float) -> Fraction:
    d, t = Fraction(dial), s.terms
    return ((1 - d) * Fraction(w.quality) * Fraction(t["quality"])
            + d * (Fraction(w.cost) * Fraction(t["cost"]) + Fraction(w.latency) * Fraction(t["latency"])
                   + Fraction(w.carbon) * Fraction(t["carbon"])))


def _comparator(w: Weights, dial: float) -> Callable[[Scored, Scored], int]:
    """Floor-meeting first, then by total (exactly, where floats are too close to call), then by
    higher quality, lower cost and name. Exact on near-ties, so the ranking is the real-number one."""

    def cmp(a: Scored, b: Scored) -> int:
        if a.meets_floor != b.meets_floor:
            return -1 if a.meets_floor else 1
        if abs(a.total - b.total) > _NEAR:
            return -1 if a.total > b.total else 1
        ea, eb = _exact(a, w, dial), _exact(b, w, dial)
        if ea != eb:
            return -1 if ea > eb else 1
        ka, kb = (-a.quality, a.cost, a.model.key), (-b.quality, b.cost, b.model.key)
        return -1 if ka < kb else (1 if ka > kb else 0)

    return cmp
