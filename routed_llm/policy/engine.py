"""Policy: turn a label (and the step's constraints) into a Route.

Order of work for one step: hard filters (API keys, cooldowns, capabilities, context window, max
output) -> the session's provider pin -> the complexity lift of the label's floor -> scoring of the
eligible models -> the chain (an explicit per-label chain, or the scored ranking) -> a larger-window
fallback when the chain has none -> the cascade tiers -> the shadow sample -> the explanation.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

from routed_llm.catalog import Catalog, ModelSpec
from routed_llm.errors import ConfigError
from routed_llm.labels import Label, check_label
from routed_llm.messages import Request
from routed_llm.policy import shadow as shadow_mod
from routed_llm.policy.complexity import Complexity, assess
from routed_llm.policy.config import PolicyConfig, check_dial, check_models, load_policy, validate_config
from routed_llm.policy.filters import Constraints, check_required, hard_reasons, pin_reason, split
from routed_llm.policy.noroute import no_route
from routed_llm.policy.route import Cascade, LazyExplanation, Mode, Route
from routed_llm.policy.scoring import ModelFacts, Scored, facts, score
from routed_llm.policy.verifiers import Judge, build_verifier
from routed_llm.tokens import estimate_request_tokens


class Policy:
    """The routing policy over a catalog. ``config=None`` uses the shipped default policy."""

    def __init__(self, catalog: Catalog | None = None, config: PolicyConfig | None = None, *,
                 judge: Judge | None = None) -> None:
        self.catalog = catalog if catalog is not None else Catalog.load_default()
        self.config = config if config is not None else load_policy(None)
        validate_config(self.config)
        check_models(self.config, self.catalog)
        self.judge = judge
        self._facts: dict[Label, dict[str, ModelFacts]] = {}
        self._facts_of: tuple[Catalog, PolicyConfig] = (self.catalog, self.config)

    # ------------------------------------------------------------------ helpers
    @property
    def flagship(self) -> ModelSpec:
        return self.catalog.model(self.config.flagship)

    def quality(self, model: ModelSpec, label: Label) -> float:
        """Per-label quality: the policy's calibrated override, else the catalog's score."""
        over = self.config.quality.get(model.name) or self.config.quality.get(model.key) or {}
        return over.get(label, model.quality_for(label))

    def _known(self, label: Label) -> dict[str, ModelFacts]:
        """Per-label scoring facts of the catalog's models, computed once (again if the catalog or
        the config object is replaced)."""
        if self._facts_of[0] is not self.catalog or self._facts_of[1] is not self.config:
            self._facts, self._facts_of = {}, (self.catalog, self.config)
        table = self._facts.get(label)
        if table is None:
            table = facts(tuple(self.catalog.models.values()), lambda m: self.quality(m, label), self._carbon)
            self._facts[label] = table
        return table

    def _carbon(self, model: ModelSpec) -> float:
        c = self.config.carbon
        return c.models.get(model.name, c.models.get(model.key, c.default_g_per_1k_tokens))

    def _constraints(self, label: Label | None, request: Request, required: Iterable[str],
                     pinned_provider: str | None, available: Iterable[str] | None,
                     cooling: Iterable[str], input_tokens: int | None) -> Constraints:
        if pinned_provider is not None and pinned_provider not in self.catalog.providers:
            raise ConfigError(
                f"unknown provider {pinned_provider!r}; known providers: {', '.join(sorted(self.catalog.providers))}",
                key="pinned_provider",
            )
        expected = self.config.label(label).output_tokens if label is not None else 500
        max_tokens = request.max_tokens
        tokens = estimate_request_tokens(request) if input_tokens is None else input_tokens
        if tokens < 0:
            raise ConfigError(f"must be >= 0, got {tokens}", key="estimated_input_tokens")
        return Constraints(
            required=check_required(required),
            available_providers=None if available is None else frozenset(available),
            cooling=frozenset(cooling),
            input_tokens=tokens,
            output_tokens=max_tokens if max_tokens is not None else expected,
            max_tokens=max_tokens,
            pinned_provider=pinned_provider,
        )

    def _ok(self, model: ModelSpec, c: Constraints) -> bool:
        return not hard_reasons(model, self.catalog, c)

    # ------------------------------------------------------------------ route
    def route(
        self,
        label: Label | str,
        request: Request,
        required: Iterable[str] = frozenset(),
        pinned_provider: str | None = None,
        available_providers: Iterable[str] | None = None,
        cooling: Iterable[str] = frozenset(),
        dial: float | None = None,
        estimated_input_tokens: int | None = None,
    ) -> Route:
        lab = check_label(label, key="label")
        d = check_dial(self.config.default_dial if dial is None else dial)
        c = self._constraints(lab, request, required, pinned_provider, available_providers, cooling,
                              estimated_input_tokens)
        lp = self.config.label(lab)
        eligible, filtered = split(self.catalog.models.values(), self.catalog, c)
        primary, others, pin_filtered = self._pin_split(eligible, c)
        notes: list[str] = []
        complexity = assess(request, lab, c.input_tokens, self.config.complexity, enabled=lp.lift)
        floor = lp.floor + complexity.lift * self.config.complexity.floor_step
        pool = primary or others
        known = self._known(lab)
        best = max((known[m.key].quality if m.key in known else self.quality(m, lab) for m in pool), default=0.0)
        if pool and floor > best:
            notes.append(f"no eligible model meets floor {floor:.3f}; the floor is capped at the best "
                         f"available quality {best:.3f}")
            floor = best
        expected_out = min(lp.output_tokens, c.max_tokens) if c.max_tokens else lp.output_tokens
        weights = self.config.weights_for(lab)
        ranked = score(eligible, input_tokens=c.input_tokens, output_tokens=expected_out, weights=weights,
                       dial=d, floor=floor, quality=lambda m: self.quality(m, lab), carbon_per_1k=self._carbon,
                       reference=tuple(self.catalog.models.values()), known=known)
        all_filtered = filtered + pin_filtered
        # The session pins to the choice's provider, so an unpinned step's fallbacks are built like a
        # pinned one's: that provider's next models, then other providers' (so an outage or an empty
        # account there still leaves somewhere to go).
        anchor = c.pinned_provider
        chain_primary, chain_others = primary, others
        if anchor is None and primary:
            anchor = ranked[0].model.provider  # unpinned: every eligible model is primary
            chain_primary = [m for m in primary if m.provider == anchor]
            chain_others = [m for m in primary if m.provider != anchor] + others
        mode: Mode
        if lp.chain:
            mode = "chain"
            chain = self._explicit_chain(lab, lp.chain, primary, others, all_filtered,
                                         allow_empty=lp.extend_chain and bool(pool))
            if lp.extend_chain:
                chain += self._auto_chain(ranked, primary, others)
        else:
            mode = "auto"
            if not pool:
                raise no_route(f"this {lab} step", all_filtered)
            if not primary and c.pinned_provider is not None:
                notes.append(f"no eligible model on pinned provider {c.pinned_provider}; the session moves")
            chain = self._auto_chain(ranked, chain_primary, chain_others)
        chain = _dedupe(chain)
        roles = self._roles(chain, c.pinned_provider or (chain[0].provider if chain else None))  # its pin-to-be
        chain, extra = self._context_fallback(chain, ranked, chain_primary, chain_others)
        if extra is not None:
            roles.append("larger-window fallback")
        choice = chain[0]
        cascade = self._cascade(lab, choice, ranked, primary or others, c, notes) if lp.cascade.enabled else None
        shadow = self._shadow(lab, request, choice, c, notes)
        primary_keys = {m.key for m in (primary or others)}

        def explain() -> dict[str, Any]:
            return {
                "label": lab,
                "mode": mode,
                "dial": d,
                "weights": _weights_dict(weights),
                "required": sorted(c.required),
                "pinned_provider": c.pinned_provider,
                "pin_mode": self.config.pin_mode,
                "input_tokens": c.input_tokens,
                "output_tokens": expected_out,
                "needed_context": c.needed_context,
                "complexity": {**complexity.to_dict(), "floor": lp.floor, "effective_floor": round(floor, 4)},
                "candidates": [
                    {**s.to_dict(), "fallback_only": s.model.key not in primary_keys} for s in ranked
                ],
                "filtered": [{"model": m.key, "reason": r} for m, r in all_filtered],
                "chain": [{"model": m.key, "role": role} for m, role in zip(chain, roles, strict=True)],
                "cascade": _cascade_dict(cascade, ranked),
                "shadow": shadow.key if shadow else None,
                "notes": notes,
            }
        return Route(lab, tuple(chain), mode, d, cascade, shadow, complexity, self.quality(choice, lab),
                     LazyExplanation(explain))

    def _pin_split(self, eligible: Sequence[ModelSpec], c: Constraints
                   ) -> tuple[list[ModelSpec], list[ModelSpec], list[tuple[ModelSpec, str]]]:
        if c.pinned_provider is None:
            return list(eligible), [], []
        primary = [m for m in eligible if m.provider == c.pinned_provider]
        rest = [m for m in eligible if m.provider != c.pinned_provider]
        reasons = [(m, pin_reason(m, c) or "") for m in rest]
        if self.config.pin_mode == "strict":
            return primary, [], reasons
        return primary, rest, [(m, r + "; other providers are fallbacks only") for m, r in reasons]

    def _explicit_chain(self, lab: Label, names: Sequence[str], primary: list[ModelSpec],
                        others: list[ModelSpec], filtered: list[tuple[ModelSpec, str]], *,
                        allow_empty: bool = False) -> list[ModelSpec]:
        models = [self.catalog.model(n) for n in names]
        keys_p = {m.key for m in primary}
        keys_o = {m.key for m in others}
        chain = [m for m in models if m.key in keys_p] + [m for m in models if m.key in keys_o]
        if not chain and not allow_empty:
            why = {m.key: r for m, r in filtered}
            listed = [(m, why.get(m.key, "filtered")) for m in models]
            raise no_route(
                f"the {lab} step: every model of its chain is filtered out", listed,
                key=f"labels.{lab}.chain",
                fix=f"add a model that fits this step to labels.{lab}.chain, set labels.{lab}.extend_chain = "
                    "true to fall back on scored candidates, or relax the constraints named above",
            )
        return chain

    def _ordered(self, ranked: Sequence[Scored], primary: list[ModelSpec], others: list[ModelSpec]
                 ) -> list[ModelSpec]:
        keys_p = {m.key for m in primary}
        keys_o = {m.key for m in others}
        return [s.model for s in ranked if s.model.key in keys_p] + [s.model for s in ranked if s.model.key in keys_o]

    def _auto_chain(self, ranked: Sequence[Scored], primary: list[ModelSpec], others: list[ModelSpec]
                    ) -> list[ModelSpec]:
        keys_p = {m.key for m in primary}
        keys_o = {m.key for m in others}
        first = [s.model for s in ranked if s.model.key in keys_p]
        rest = [s.model for s in ranked if s.model.key in keys_o]
        if not first:
            return rest[: self.config.chain_length]
        return first[: self.config.chain_length] + rest[: self.config.cross_provider_fallbacks]

    def _roles(self, chain: Sequence[ModelSpec], anchor: str | None) -> list[str]:
        """``anchor``: the session's provider (its pin, or the one the choice will pin)."""
        roles = []
        for i, m in enumerate(chain):
            if i == 0:
                roles.append("choice")
            elif anchor is not None and m.provider != anchor:
                roles.append("cross-provider fallback")
            else:
                roles.append("fallback")
        return roles

    def _context_fallback(self, chain: list[ModelSpec], ranked: Sequence[Scored], primary: list[ModelSpec],
                          others: list[ModelSpec]) -> tuple[list[ModelSpec], ModelSpec | None]:
        window = chain[0].context_window
        if any(m.context_window > window for m in chain[1:]):
            return chain, None
        in_chain = {m.key for m in chain}
        for m in self._ordered(ranked, primary, others):
            if m.key not in in_chain and m.context_window > window:
                return [*chain, m], m
        return chain, None

    def _cascade(self, lab: Label, choice: ModelSpec, ranked: Sequence[Scored], pool: list[ModelSpec],
                 c: Constraints, notes: list[str]) -> Cascade | None:
        cc = self.config.label(lab).cascade
        keys = {m.key for m in pool}
        cost = {s.model.key: s.cost for s in ranked}
        if cc.tiers:
            lower = [m for m in (self.catalog.model(n) for n in cc.tiers) if m.key in keys and m.key != choice.key]
            dearer = [m for m in lower if m.key in cost and cost[m.key] >= cost[choice.key]]
            if dearer:
                notes.append("cascade tiers not cheaper than the choice are skipped: "
                             + ", ".join(m.key for m in dearer))
                lower = [m for m in lower if m not in dearer]
        else:
            cheap = [s for s in ranked if s.model.key in keys and s.model.key != choice.key
                     and s.cost < cost[choice.key] and self.quality(s.model, lab) >= cc.floor]
            cheap.sort(key=lambda s: (s.cost, -s.quality, s.model.key))
            lower = [s.model for s in cheap[:1]]
        lower = _dedupe(lower)[: cc.max_tiers - 1]
        if not lower:
            notes.append("cascade enabled but no eligible cheaper tier below the choice; answering directly")
            return None
        judge_model: ModelSpec | None = None
        if cc.verifier == "judge":
            if cc.judge_model is not None:
                judge_model = self.catalog.model(cc.judge_model)
            else:
                avail = [s for s in ranked if s.model.key in keys]
                judge_model = min(avail, key=lambda s: (s.cost, s.model.key)).model if avail else None
        return Cascade((*lower, choice), build_verifier(cc, self.judge), judge_model)

    def _shadow(self, lab: Label, request: Request, choice: ModelSpec, c: Constraints,
                notes: list[str]) -> ModelSpec | None:
        sc = self.config.shadow_for(lab)
        if not shadow_mod.sampled(request, lab, sc.seed, sc.share):
            return None
        model = self.catalog.model(sc.model or self.config.flagship)
        if model.key == choice.key:
            notes.append("shadow sample skipped: the reference model is the choice")
            return None
        reasons = hard_reasons(model, self.catalog, c)
        if self.config.pin_mode == "strict" and (why := pin_reason(model, c)):
            reasons.append(why)
        if reasons:
            notes.append(f"shadow sample skipped: {model.key}: {'; '.join(reasons)}")
            return None
        return model

    # ------------------------------------------------------------------ pin
    def pin(
        self,
        model_name: str,
        request: Request,
        available_providers: Iterable[str] | None = None,
        *,
        label: Label | str | None = None,
        required: Iterable[str] = frozenset(),
        pinned_provider: str | None = None,
        cooling: Iterable[str] = frozenset(),
        dial: float | None = None,
        estimated_input_tokens: int | None = None,
    ) -> Route:
        """An explicit model pin: no classification, the chain is the model plus its configured
        ``pin_fallbacks``. The model pin overrides the session's provider pin."""
        model = self.catalog.model(model_name)
        lab = check_label(label, key="label") if label is not None else None
        d = check_dial(self.config.default_dial if dial is None else dial)
        c = self._constraints(lab, request, required, None, available_providers, (), estimated_input_tokens)
        reasons = hard_reasons(model, self.catalog, c)
        if reasons:
            raise no_route(f"the pinned model {model.key}", [(model, "; ".join(reasons))],
                           fix=f"pin another model, or remove the pin so the policy chooses ({'; '.join(reasons)})")
        notes: list[str] = []
        if model.key in set(cooling) or model.name in set(cooling):
            notes.append("the pinned model is cooling down; it is kept because it was pinned explicitly")
        if pinned_provider is not None and model.provider != pinned_provider:
            notes.append(f"the model pin moves the session from {pinned_provider} to {model.provider}")
        cool = Constraints(c.required, c.available_providers, frozenset(cooling), c.input_tokens,
                           c.output_tokens, c.max_tokens, None)
        names = self.config.pin_fallbacks.get(model.name) or self.config.pin_fallbacks.get(model.key) or ()
        chain = [model]
        filtered: list[tuple[ModelSpec, str]] = []
        for name in names:
            fb = self.catalog.model(name)
            why = hard_reasons(fb, self.catalog, cool)
            if why:
                filtered.append((fb, "; ".join(why)))
            else:
                chain.append(fb)
        chain = _dedupe(chain)
        roles = ["choice"] + ["pin fallback"] * (len(chain) - 1)
        expl: dict[str, Any] = {
            "label": lab,
            "mode": "pinned",
            "path": "pinned",
            "dial": d,
            "required": sorted(c.required),
            "pinned_provider": pinned_provider,
            "input_tokens": c.input_tokens,
            "needed_context": c.needed_context,
            "candidates": [],
            "filtered": [{"model": m.key, "reason": r} for m, r in filtered],
            "chain": [{"model": m.key, "role": r} for m, r in zip(chain, roles, strict=True)],
            "cascade": None,
            "shadow": None,
            "notes": notes,
        }
        quality = self.quality(model, lab) if lab is not None else 0.0
        return Route(lab, tuple(chain), "pinned", d, None, None, Complexity(), quality, expl)


def _dedupe(models: Iterable[ModelSpec]) -> list[ModelSpec]:
    seen: set[str] = set()
    out: list[ModelSpec] = []
    for m in models:
        if m.key not in seen:
            seen.add(m.key)
            out.append(m)
    return out


def _weights_dict(w: Any) -> dict[str, float]:
    return {"quality": w.quality, "cost": w.cost, "latency": w.latency, "carbon": w.carbon}


def _cascade_dict(cascade: Cascade | None, ranked: Sequence[Scored]) -> dict[str, Any] | None:
    if cascade is None:
        return None
    cost = {s.model.key: str(s.cost) for s in ranked}
    return {
        "tiers": [{"model": m.key, "estimated_cost_usd": cost.get(m.key)} for m in cascade.tiers],
        "verifier": type(cascade.verifier).__name__,
        "judge_model": cascade.judge_model.key if cascade.judge_model else None,
    }
