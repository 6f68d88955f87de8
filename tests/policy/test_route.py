"""Rules 2-4: automatic selection, per-request control, hard constraints; chain shape."""

from __future__ import annotations

import pytest

from routed_llm.catalog import Catalog
from routed_llm.errors import ConfigError, NoRouteError
from routed_llm.messages import Message, Request
from routed_llm.policy import Policy, load_policy

ALL = frozenset({"openai", "anthropic", "deepseek", "mistral", "gemini"})

CHEAP = ("extraction", "summarize", "rewrite", "chat", "translation")
SMALL = {"gpt-5-nano", "gpt-5-mini", "claude-haiku-4-5", "mistral-small-latest", "gemini-2.5-flash"}


@pytest.mark.parametrize("provider", ["openai", "anthropic"])
@pytest.mark.parametrize("label", CHEAP)
def test_default_cheap_labels_go_to_small_models(policy: Policy, req: Request, label: str, provider: str) -> None:
    route = policy.route(label, req, pinned_provider=provider, available_providers=ALL)
    assert route.choice.name in SMALL
    assert route.choice.provider == provider
    assert route.mode == "auto"


@pytest.mark.parametrize(("provider", "strong"), [("openai", {"gpt-5-mini"}), ("anthropic", {"claude-sonnet-4-5"})])
@pytest.mark.parametrize("label", ["reasoning", "code"])
def test_default_reasoning_and_code_go_to_strong_models(
    policy: Policy, req: Request, label: str, provider: str, strong: set[str]
) -> None:
    """At the balanced dial an everyday reasoning/code step gets the strong mid tier ..."""
    route = policy.route(label, req, pinned_provider=provider, available_providers=ALL)
    assert route.choice.name in strong


@pytest.mark.parametrize("label", ["reasoning", "code"])
def test_complex_reasoning_and_code_are_lifted_to_the_top_tier(policy: Policy, label: str) -> None:
    """... and the complexity lift sends a multi-step, many-question step to the top tier."""
    text = ("Walk me through it step by step: 1. what fails? 2. why does it fail? 3. what are the "
            "trade-offs of each fix? Then explain why the best one wins.\n```\ndef f(x):\n    return x\n```")
    complex_req = Request((Message.user(text),))
    route = policy.route(label, complex_req, pinned_provider="openai", available_providers=ALL)
    assert route.choice.name == "gpt-5"


def test_quality_floor_picks_cheapest_meeting_it_at_cost_dial(catalog: Catalog, req: Request) -> None:
    cfg = load_policy({"weights": {"latency": 0.0}, "labels": {"chat": {"floor": 0.85}}})
    route = Policy(catalog, cfg).route("chat", req, pinned_provider="openai", available_providers=ALL, dial=1.0)
    openai = [m for m in catalog.models_of("openai") if m.quality_for("chat") >= 0.85]
    from routed_llm.costs import estimate_cost

    cheapest = min(openai, key=lambda m: estimate_cost(route.explanation["input_tokens"], 150, m))
    assert route.choice.key == cheapest.key
    assert route.expected_quality >= 0.85


def test_dial_zero_maximises_quality(policy: Policy, req: Request, catalog: Catalog) -> None:
    route = policy.route("chat", req, pinned_provider="openai", available_providers=ALL, dial=0.0)
    assert route.choice.quality_for("chat") == max(m.quality_for("chat") for m in catalog.models_of("openai"))


def test_pinned_provider_first_then_other_providers(policy: Policy, req: Request) -> None:
    route = policy.route("chat", req, pinned_provider="anthropic", available_providers=ALL)
    providers = [m.provider for m in route.chain]
    first_other = next(i for i, p in enumerate(providers) if p != "anthropic")
    assert all(p == "anthropic" for p in providers[:first_other])
    assert all(p != "anthropic" for p in providers[first_other:])
    reasons = {f["model"]: f["reason"] for f in route.explanation["filtered"]}
    assert "provider openai not pinned (session pinned to anthropic)" in reasons["openai/gpt-5"]


def test_strict_pin_mode_never_leaves_the_provider(catalog: Catalog, req: Request) -> None:
    p = Policy(catalog, load_policy({"pin_mode": "strict"}))
    route = p.route("chat", req, pinned_provider="anthropic", available_providers=ALL)
    assert {m.provider for m in route.chain} == {"anthropic"}


def test_missing_capability_is_filtered_with_reason(policy: Policy, req: Request) -> None:
    route = policy.route("extraction", req, required={"vision"}, available_providers=ALL)
    assert all("vision" in m.capabilities for m in route.chain)
    reasons = {f["model"]: f["reason"] for f in route.explanation["filtered"]}
    assert reasons["deepseek/deepseek-chat"] == "missing capability vision"


def test_context_window_filter(policy: Policy, req: Request) -> None:
    route = policy.route("summarize", req, available_providers=ALL, estimated_input_tokens=150_000 - 300)
    reasons = {f["model"]: f["reason"] for f in route.explanation["filtered"]}
    assert reasons["deepseek/deepseek-chat"] == "context window 128000 < 150000 needed"
    assert all(m.context_window >= 150_000 for m in route.chain)


def test_max_tokens_counts_toward_context(policy: Policy) -> None:
    req = Request((Message.user("x"),), max_tokens=100_000)
    route = policy.route("chat", req, available_providers=ALL, estimated_input_tokens=120_000)
    assert all(m.context_window >= 220_000 and m.max_output_tokens >= 100_000 for m in route.chain)


def test_cooling_endpoint_is_skipped(policy: Policy, req: Request) -> None:
    normal = policy.route("chat", req, pinned_provider="openai", available_providers=ALL)
    cooled = policy.route("chat", req, pinned_provider="openai", available_providers=ALL,
                          cooling=frozenset({normal.choice.key}))
    assert normal.choice.key not in cooled.keys
    reasons = {f["model"]: f["reason"] for f in cooled.explanation["filtered"]}
    assert reasons[normal.choice.key] == "cooling down"


def test_missing_api_key_is_not_a_candidate(policy: Policy, req: Request) -> None:
    route = policy.route("code", req, available_providers=frozenset({"openai"}))
    assert {m.provider for m in route.chain} == {"openai"}
    reasons = {f["model"]: f["reason"] for f in route.explanation["filtered"]}
    assert reasons["anthropic/claude-sonnet-4-5"] == "no API key: set ANTHROPIC_API_KEY"


def test_no_route_error_lists_reasons_and_key(policy: Policy, req: Request) -> None:
    with pytest.raises(NoRouteError) as info:
        policy.route("chat", req, available_providers=frozenset())
    msg = str(info.value)
    assert "openai/gpt-5: no API key: set OPENAI_API_KEY" in msg
    assert info.value.key == "available_providers"
    with pytest.raises(NoRouteError) as info:
        policy.route("chat", req, available_providers=frozenset({"deepseek"}), required={"vision"})
    assert info.value.key == "required" and "missing capability vision" in str(info.value)


def test_chain_never_repeats_and_has_larger_window(policy: Policy, req: Request) -> None:
    route = policy.route("chat", req, pinned_provider="anthropic", available_providers=ALL)
    assert len(set(route.keys)) == len(route.keys)
    assert any(m.context_window > route.choice.context_window for m in route.chain[1:])


def test_larger_window_fallback_added_for_explicit_chain(catalog: Catalog, req: Request) -> None:
    cfg = load_policy({"labels": {"chat": {"chain": ["deepseek-chat", "mistral-small-latest"]}}})
    route = Policy(catalog, cfg).route("chat", req, available_providers=ALL)
    assert route.keys[:2] == ("deepseek/deepseek-chat", "mistral/mistral-small-latest")
    assert route.chain[-1].context_window > 128_000
    assert route.explanation["chain"][-1]["role"] == "larger-window fallback"


def test_explicit_chain_is_used_in_order(catalog: Catalog, req: Request) -> None:
    cfg = load_policy({"labels": {"code": {"chain": ["claude-sonnet-4-5", "gpt-5", "gpt-5-mini"]}}})
    p = Policy(catalog, cfg)
    route = p.route("code", req, available_providers=ALL)
    assert route.mode == "chain"
    assert route.keys[:3] == ("anthropic/claude-sonnet-4-5", "openai/gpt-5", "openai/gpt-5-mini")
    pinned = p.route("code", req, pinned_provider="openai", available_providers=ALL)
    assert pinned.keys[:3] == ("openai/gpt-5", "openai/gpt-5-mini", "anthropic/claude-sonnet-4-5")


def test_explicit_chain_empty_after_filtering_is_refused(catalog: Catalog, req: Request) -> None:
    cfg = load_policy({"labels": {"code": {"chain": ["deepseek-reasoner"]}}})
    with pytest.raises(NoRouteError) as info:
        Policy(catalog, cfg).route("code", req, required={"tools"}, available_providers=ALL)
    assert info.value.key == "labels.code.chain"
    assert "deepseek/deepseek-reasoner: missing capability tools" in str(info.value)
    assert "extend_chain" in str(info.value)


def test_extend_chain_falls_back_on_scored(catalog: Catalog, req: Request) -> None:
    cfg = load_policy({"labels": {"code": {"chain": ["deepseek-reasoner"], "extend_chain": True}}})
    route = Policy(catalog, cfg).route("code", req, required={"tools"}, available_providers=ALL)
    assert "tools" in route.choice.capabilities


@pytest.mark.parametrize("dial", [-0.1, 1.5, float("nan")])
def test_dial_outside_range_is_refused_at_call(policy: Policy, req: Request, dial: float) -> None:
    with pytest.raises(ConfigError) as info:
        policy.route("chat", req, dial=dial)
    assert info.value.key == "dial" and "0 (best quality) to 1" in str(info.value)


def test_unknown_label_and_capability_at_call(policy: Policy, req: Request) -> None:
    with pytest.raises(ConfigError) as info:
        policy.route("poetry", req)
    assert info.value.key == "label" and "translation" in str(info.value)
    with pytest.raises(ConfigError) as info:
        policy.route("chat", req, required={"telepathy"})
    assert info.value.key == "required"
    with pytest.raises(ConfigError) as info:
        policy.route("chat", req, pinned_provider="acme")
    assert info.value.key == "pinned_provider"


def test_pin_model(policy: Policy, req: Request) -> None:
    route = policy.pin("claude-haiku-4-5", req, available_providers=ALL)
    assert route.mode == "pinned" and route.path == "pinned"
    assert route.keys == ("anthropic/claude-haiku-4-5",)
    assert route.explanation["path"] == "pinned"


def test_pin_with_configured_fallbacks(catalog: Catalog, req: Request) -> None:
    cfg = load_policy({"pin_fallbacks": {"gpt-5": ["gpt-5-mini", "claude-sonnet-4-5"]}})
    route = Policy(catalog, cfg).pin("openai/gpt-5", req, available_providers=frozenset({"openai"}))
    assert route.keys == ("openai/gpt-5", "openai/gpt-5-mini")
    assert route.explanation["filtered"][0]["reason"] == "no API key: set ANTHROPIC_API_KEY"


def test_pin_unknown_model_lists_known(policy: Policy, req: Request) -> None:
    with pytest.raises(ConfigError) as info:
        policy.pin("gpt-9", req)
    assert info.value.key == "model" and "gpt-5-mini" in str(info.value)


def test_pin_without_key_is_no_route(policy: Policy, req: Request) -> None:
    with pytest.raises(NoRouteError) as info:
        policy.pin("gpt-5", req, available_providers=frozenset({"anthropic"}))
    assert "no API key: set OPENAI_API_KEY" in str(info.value)


def test_quality_override_changes_choice(catalog: Catalog, req: Request) -> None:
    cfg = load_policy({"quality": {"gpt-5-nano": {"code": 0.99}}, "labels": {"code": {"floor": 0.92}}})
    route = Policy(catalog, cfg).route("code", req, pinned_provider="openai", available_providers=ALL)
    assert route.choice.name == "gpt-5-nano"
    assert route.expected_quality == 0.99


def test_per_label_weights(catalog: Catalog, req: Request) -> None:
    cfg = load_policy({"labels": {"chat": {"floor": 0.0, "weights": {"quality": 1.0, "cost": 0.0, "latency": 0.0}}}})
    route = Policy(catalog, cfg).route("chat", req, pinned_provider="openai", available_providers=ALL)
    assert route.choice.name == "gpt-5"


def test_no_pinned_provider_candidate_moves_session(policy: Policy, req: Request) -> None:
    route = policy.route("chat", req, pinned_provider="deepseek", required={"vision"}, available_providers=ALL)
    assert route.choice.provider != "deepseek"
    assert any("session moves" in n for n in route.explanation["notes"])


def test_available_none_means_all(policy: Policy, req: Request) -> None:
    assert policy.route("chat", req).chain


@pytest.mark.parametrize("label", ["chat", "summarize", "reasoning", "code"])
def test_an_unpinned_step_has_fallbacks_on_another_provider(policy: Policy, req: Request, label: str) -> None:
    """The first step of a session pins the choice's provider; its chain must still reach another
    provider, or an outage (or an empty account) there fails every new session."""
    route = policy.route(label, req, available_providers=["openai", "anthropic", "deepseek"])
    lead = route.chain[0].provider
    providers = [m.provider for m in route.chain]
    first_other = next(i for i, p in enumerate(providers) if p != lead)  # StopIteration: none at all
    assert set(providers[:first_other]) == {lead}  # the choice's provider's models come first
    roles = [c["role"] for c in dict(route.explanation)["chain"]]
    assert roles[0] == "choice" and "cross-provider fallback" in roles
