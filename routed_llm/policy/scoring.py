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
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal
from fractions import Fraction
from functools import cmp_to_key
from typing import NamedTuple

from routed_llm.catalog import ModelSpec
from routed_llm.costs import estimate_cost
from routed_llm.policy.config import Weights

QualityFn = Callable[[ModelSpec], float]
CarbonFn = Callable[[ModelSpec], float]


TERMS = ("quality", "cost", "latency", "carbon")


class Scored(NamedTuple):
    """One candidate's score. ``cost`` (exact Decimal) and the ``terms``/``weighted`` mappings are
    computed on access: ranking needs only the floats, and most steps never read the rest. (A named
    tuple: the policy scores every model of the catalog on every step.)"""

    model: ModelSpec
    quality: float
    cost_usd: float  # the estimate as a float (``cost`` is the exact Decimal)
    latency_ms: float
    carbon_g: float
    term_values: tuple[float, float, float, float]  # quality, cost, latency, carbon: 0..1, 1 best
    factors: tuple[float, float, float, float]  # what each term is multiplied by (weights x dial)
    total: float
    meets_floor: bool
    input_tokens: int
    output_tokens: int

    @property
    def cost(self) -> Decimal:
        return estimate_cost(self.input_tokens, self.output_tokens, self.model)

    @property
    def terms(self) -> dict[str, float]:
        return dict(zip(TERMS, self.term_values, strict=True))

    @property
    def weighted(self) -> dict[str, float]:
        return {k: f * v for k, f, v in zip(TERMS, self.factors, self.term_values, strict=True)}

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


@dataclass(frozen=True, slots=True)
class ModelFacts:
    """What scoring needs of one model for one label, as floats: it does not change between steps,
    so the policy computes it once per label (``facts``) instead of on every step."""

    model: ModelSpec
    quality: float
    usd_in: float  # dollars per input token
    usd_out: float  # dollars per output token
    ttft_ms: float
    tokens_per_s: float
    carbon_per_1k: float


def facts(models: Sequence[ModelSpec], quality: QualityFn, carbon_per_1k: CarbonFn) -> dict[str, ModelFacts]:
    return {
        m.key: ModelFacts(m, quality(m), float(m.price.input) / 1e6, float(m.price.output) / 1e6,
                          m.ttft_ms, m.tokens_per_s, carbon_per_1k(m))
        for m in models
    }


def _clamp(x: float) -> float:
    return 0.0 if x < 0.0 else (1.0 if x > 1.0 else x)


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
    known: Mapping[str, ModelFacts] | None = None,
) -> list[Scored]:
    """Scored candidates, best first (floor-meeting ones first, then the rest).

    Terms are normalised over ``reference`` (the whole catalog, so that which providers have a key
    or which models were filtered does not stretch small differences); default: ``models``.
    ``known`` holds precomputed ``facts`` (from these ``quality``/``carbon_per_1k``); models not in
    it are computed here.
    """
    if not models:
        return []
    ref = list(reference) or list(models)
    in_ref = {m.key for m in ref}
    ref += [m for m in models if m.key not in in_ref]
    table = known or {}
    missing = [m for m in ref if m.key not in table]
    if missing:
        table = {**table, **facts(missing, quality, carbon_per_1k)}
    tokens = input_tokens + output_tokens
    per_1k = tokens / 1000.0
    # per model: quality, cost, log cost, latency, carbon
    raw: dict[str, tuple[float, float, float, float, float]] = {}
    for m in ref:
        f = table[m.key]
        cost = input_tokens * f.usd_in + output_tokens * f.usd_out
        raw[m.key] = (f.quality, cost, math.log(max(cost, 1e-12)),
                      f.ttft_ms + 1000.0 * output_tokens / f.tokens_per_s, f.carbon_per_1k * per_1k)
    q_col, _, c_col, l_col, k_col = zip(*raw.values(), strict=True)
    q_lo, q_span = min(q_col), max(q_col) - min(q_col)
    c_hi, c_span = max(c_col), max(c_col) - min(c_col)
    l_hi, l_span = max(l_col), max(l_col) - min(l_col)
    k_hi, k_span = max(k_col), max(k_col) - min(k_col)
    d = dial
    factors = ((1 - d) * weights.quality, d * weights.cost, d * weights.latency, d * weights.carbon)
    fq, fc, fl, fk = factors
    cut = floor - 1e-12
    out: list[Scored] = []
    for m in models:
        q, cost, logc, lat, carb = raw[m.key]
        tq = 1.0 if q_span <= 1e-12 else _clamp((q - q_lo) / q_span)
        tc = 1.0 if c_span <= 1e-12 else _clamp((c_hi - logc) / c_span)
        tl = 1.0 if l_span <= 1e-12 else _clamp((l_hi - lat) / l_span)
        tk = 1.0 if k_span <= 1e-12 else _clamp((k_hi - carb) / k_span)
        total = fq * tq + fc * tc + fl * tl + fk * tk
        out.append(Scored(m, q, cost, lat, carb, (tq, tc, tl, tk), factors, total, q >= cut,
                          input_tokens, output_tokens))
    return _rank(out, weights, dial)


_NEAR = 1e-9


def _exact(s: Scored, w: Weights, dial: float) -> Fraction:
    d = Fraction(dial)
    q, c, lat, carb = (Fraction(v) for v in s.term_values)
    return ((1 - d) * Fraction(w.quality) * q
            + d * (Fraction(w.cost) * c + Fraction(w.latency) * lat + Fraction(w.carbon) * carb))


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
        ka, kb = (-a.quality, a.cost_usd, a.model.key), (-b.quality, b.cost_usd, b.model.key)
        return -1 if ka < kb else (1 if ka > kb else 0)

    return cmp


def _rank(scored: list[Scored], w: Weights, dial: float) -> list[Scored]:
    """Sort by (floor, total) with a plain key, then settle each run of near-tied totals with the
    exact comparator: the same order as comparing every pair exactly, at a fraction of the cost."""
    scored.sort(key=lambda s: (not s.meets_floor, -s.total))
    out: list[Scored] = []
    i = 0
    cmp = cmp_to_key(_comparator(w, dial))
    while i < len(scored):
        j = i + 1
        while (j < len(scored) and scored[j].meets_floor == scored[j - 1].meets_floor
               and scored[j - 1].total - scored[j].total <= _NEAR):
            j += 1
        run = scored[i:j]
        if len(run) > 1:
            run.sort(key=cmp)
        out += run
        i = j
    return out
