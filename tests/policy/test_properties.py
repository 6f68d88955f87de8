"""Property tests: capability and context safety, dial monotonicity, no repeated endpoint."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from routed_llm.catalog import CAPABILITIES, Catalog, ModelSpec, Price, ProviderSpec
from routed_llm.errors import NoRouteError
from routed_llm.labels import LABELS
from routed_llm.messages import Message, Request
from routed_llm.policy import Policy, Route, Weights, load_policy
from routed_llm.policy.config import CascadeConfig, LabelPolicy, PolicyConfig, ShadowConfig

PROVIDERS = ("p1", "p2", "p3")
SETTINGS = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@st.composite
def model_specs(draw: st.DrawFn, name: str) -> ModelSpec:
    inp = draw(st.decimals(min_value=Decimal("0.01"), max_value=Decimal("20"), places=2))
    out = draw(st.decimals(min_value=Decimal("0.01"), max_value=Decimal("80"), places=2))
    window = draw(st.sampled_from([8_000, 32_000, 128_000, 200_000, 1_000_000]))
    return ModelSpec(
        name=name,
        provider=draw(st.sampled_from(PROVIDERS)),
        price=Price(inp, out, inp, inp),
        context_window=window,
        max_output_tokens=min(window, draw(st.sampled_from([4_096, 8_192, 64_000]))),
        capabilities=frozenset(draw(st.sets(st.sampled_from(CAPABILITIES)))),
        ttft_ms=draw(st.floats(100, 2000)),
        tokens_per_s=draw(st.floats(10, 200)),
        quality={lab: draw(st.floats(0.3, 1.0)) for lab in LABELS},
    )


@st.composite
def catalogs(draw: st.DrawFn) -> Catalog:
    n = draw(st.integers(1, 7))
    models = {f"m{i}": draw(model_specs(f"m{i}")) for i in range(n)}
    providers = {p: ProviderSpec(p, "openai", f"http://{p}.test", f"{p.upper()}_KEY") for p in PROVIDERS}
    return Catalog(providers, models)


@st.composite
def configs(draw: st.DrawFn) -> PolicyConfig:
    w = Weights(*(draw(st.floats(0, 3)) for _ in range(4)))
    assume(w.quality + w.cost + w.latency + w.carbon > 0)
    labels = {lab: LabelPolicy(floor=draw(st.floats(0, 1)), output_tokens=draw(st.integers(1, 5000)),
                               cascade=CascadeConfig(enabled=draw(st.booleans())))
              for lab in LABELS}
    return PolicyConfig(weights=w, labels=labels, flagship="m0", shadow=ShadowConfig(share=draw(st.floats(0, 1))),
                        pin_mode=draw(st.sampled_from(["prefer", "strict"])))


steps = st.fixed_dictionaries({
    "label": st.sampled_from(LABELS),
    "required": st.sets(st.sampled_from(CAPABILITIES), max_size=2),
    "pinned": st.none() | st.sampled_from(PROVIDERS),
    "available": st.sets(st.sampled_from(PROVIDERS), min_size=1),
    "tokens": st.integers(0, 1_100_000),
    "max_tokens": st.none() | st.integers(1, 70_000),
    "text": st.text(max_size=200),
})


def _route(policy: Policy, step: dict[str, Any], dial: float, cooling: frozenset[str] = frozenset()) -> Route | None:
    req = Request((Message.user(step["text"] or "hi"),), max_tokens=step["max_tokens"])
    try:
        return policy.route(step["label"], req, required=frozenset(step["required"]),
                            pinned_provider=step["pinned"], available_providers=frozenset(step["available"]),
                            cooling=cooling, dial=dial, estimated_input_tokens=step["tokens"])
    except NoRouteError:
        return None


@SETTINGS
@given(catalogs(), configs(), steps, st.floats(0, 1), st.data())
def test_never_returns_an_unfit_model(catalog: Catalog, config: PolicyConfig, step: dict[str, Any], dial: float,
                                      data: st.DataObject) -> None:
    cooling = frozenset(data.draw(st.sets(st.sampled_from([m.key for m in catalog.models.values()]))))
    route = _route(Policy(catalog, config), step, dial, cooling)
    assume(route is not None)
    assert route is not None
    needed = step["tokens"] + (step["max_tokens"] or config.label(step["label"]).output_tokens)
    used = list(route.chain) + (list(route.cascade.tiers) if route.cascade else [])
    used += [route.shadow] if route.shadow else []
    for m in used:
        assert frozenset(step["required"]) <= m.capabilities
        assert m.context_window >= needed
        assert m.provider in step["available"]
        assert m.key not in cooling
        if config.pin_mode == "strict" and step["pinned"] is not None:
            assert m.provider == step["pinned"]


@SETTINGS
@given(catalogs(), configs(), steps, st.floats(0, 1), st.floats(0, 1))
def test_dial_toward_quality_never_lowers_quality(catalog: Catalog, config: PolicyConfig, step: dict[str, Any],
                                                  a: float, b: float) -> None:
    lo, hi = min(a, b), max(a, b)
    policy = Policy(catalog, config)
    toward_quality, toward_cost = _route(policy, step, lo), _route(policy, step, hi)
    assume(toward_quality is not None and toward_cost is not None)
    assert toward_quality is not None and toward_cost is not None
    assert toward_quality.expected_quality >= toward_cost.expected_quality


@SETTINGS
@given(catalogs(), configs(), steps, st.floats(0, 1))
def test_chain_never_repeats_an_endpoint(catalog: Catalog, config: PolicyConfig, step: dict[str, Any], dial: float) -> None:
    route = _route(Policy(catalog, config), step, dial)
    assume(route is not None)
    assert route is not None
    assert len(route.keys) == len(set(route.keys))
    if route.cascade:
        keys = [m.key for m in route.cascade.tiers]
        assert len(keys) == len(set(keys)) and keys[-1] == route.choice.key


@settings(max_examples=200, deadline=None)
@given(steps, st.floats(0, 1), st.floats(0, 1))
def test_default_policy_dial_monotone(step: dict[str, Any], a: float, b: float) -> None:
    step = {**step, "available": {"openai", "anthropic", "gemini", "mistral", "deepseek"},
            "pinned": None if step["pinned"] is None else "openai"}
    policy = _DEFAULT
    lo, hi = min(a, b), max(a, b)
    q, c = _route(policy, step, lo), _route(policy, step, hi)
    assume(q is not None and c is not None)
    assert q is not None and c is not None
    assert q.expected_quality >= c.expected_quality
    assert len(q.keys) == len(set(q.keys))


_DEFAULT = Policy(Catalog.load_default(), load_policy(None))
