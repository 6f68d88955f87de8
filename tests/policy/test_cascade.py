"""Rule 5 (cascades) and the verifiers."""

from __future__ import annotations

from routed_llm.catalog import Catalog
from routed_llm.messages import Message, Request, ResponseFormat
from routed_llm.policy import (
    JudgeVerifier,
    MinLength,
    NonEmpty,
    NoRefusal,
    Policy,
    ValidJson,
    Verifier,
    load_policy,
    rule_verifier,
)

ALL = frozenset({"openai", "anthropic", "deepseek", "mistral", "gemini"})
REQ = Request((Message.user("What is 17 * 23? Explain."),))


def test_cascade_tiers_cheap_first_ending_with_choice(catalog: Catalog) -> None:
    cfg = load_policy({"labels": {"reasoning": {"floor": 0.92, "cascade": {"enabled": True, "floor": 0.7}}}})
    route = Policy(catalog, cfg).route("reasoning", REQ, pinned_provider="openai", available_providers=ALL)
    assert route.cascade is not None
    tiers = route.cascade.tiers
    assert tiers[-1].key == route.choice.key == "openai/gpt-5"
    assert tiers[0].name == "gpt-5-nano"
    assert route.explanation["cascade"]["tiers"][0]["estimated_cost_usd"] is not None
    assert isinstance(route.cascade.verifier, Verifier)


def test_explicit_cascade_tiers_and_judge(catalog: Catalog) -> None:
    cfg = load_policy({"labels": {"code": {"floor": 0.92, "cascade": {
        "enabled": True, "tiers": ["gpt-5-nano", "gpt-5-mini"], "max_tiers": 3, "verifier": "judge",
        "judge_model": "gpt-5-nano"}}}})
    route = Policy(catalog, cfg).route("code", REQ, pinned_provider="openai", available_providers=ALL)
    assert route.cascade is not None
    assert [m.name for m in route.cascade.tiers] == ["gpt-5-nano", "gpt-5-mini", "gpt-5"]
    assert route.cascade.judge_model is not None and route.cascade.judge_model.name == "gpt-5-nano"
    assert route.cascade.needs_judge
    bound = route.cascade.with_judge(lambda prompt: "FAIL: the product is wrong")
    assert not bound.needs_judge
    result = bound.verifier.verify(REQ, "It is 400.", "code")
    assert not result.ok and "wrong" in result.reason


def test_cascade_without_cheaper_tier_is_none(catalog: Catalog) -> None:
    cfg = load_policy({"labels": {"chat": {"cascade": {"enabled": True}}}})
    route = Policy(catalog, cfg).route("chat", REQ, pinned_provider="openai", available_providers=ALL, dial=1.0)
    assert route.cascade is None
    assert any("cascade" in n for n in route.explanation["notes"])


def test_cascade_off_by_default(policy: Policy) -> None:
    assert policy.route("reasoning", REQ, available_providers=ALL).cascade is None


def test_rule_verifiers() -> None:
    assert not NonEmpty().verify(REQ, "  ", "chat").ok
    assert NonEmpty().verify(REQ, "ok", "chat").ok
    assert not NoRefusal().verify(REQ, "Sorry, I can't help with that.", "chat").ok
    assert not NoRefusal().verify(REQ, "I'm not sure, maybe 391", "chat").ok
    assert NoRefusal().verify(REQ, "391", "chat").ok
    assert not MinLength(10).verify(REQ, "391", "chat").ok
    json_req = Request((Message.user("x"),), response_format=ResponseFormat({"type": "object", "required": ["a"]}))
    assert ValidJson().verify(REQ, "not json", "chat").ok  # no JSON requested
    assert not ValidJson().verify(json_req, "not json", "extraction").ok
    assert not ValidJson().verify(json_req, '{"b": 1}', "extraction").ok
    assert ValidJson().verify(json_req, '```json\n{"a": 1}\n```', "extraction").ok
    combined = rule_verifier(["non_empty", "min_length"], min_length=5)
    assert not combined.verify(REQ, "abc", "chat").ok
    assert combined.verify(REQ, "abcdef", "chat").ok


def test_judge_verifier() -> None:
    seen: list[str] = []

    def judge(prompt: str) -> str:
        seen.append(prompt)
        return "PASS. Correct product."

    v = JudgeVerifier(judge)
    assert v.verify(REQ, "391", "reasoning").ok
    assert "17 * 23" in seen[0] and "391" in seen[0]
    assert not JudgeVerifier(lambda p: "hmm").verify(REQ, "391", "reasoning").ok
    assert not JudgeVerifier(judge).verify(REQ, "", "reasoning").ok  # rules run first
    unbound = JudgeVerifier().verify(REQ, "391", "reasoning")
    assert unbound.ok and "no judge" in unbound.reason
