"""Rule 2 (complexity lift): signals lift the floor to a stronger tier."""

from __future__ import annotations

from routed_llm.catalog import Catalog
from routed_llm.messages import Message, Request
from routed_llm.policy import ComplexityConfig, Policy, load_policy
from routed_llm.policy.complexity import assess

ALL = frozenset({"openai", "anthropic", "deepseek", "mistral", "gemini"})
CX = ComplexityConfig(signals_per_tier=1)


def _req(text: str) -> Request:
    return Request((Message.user(text),))


def test_signals() -> None:
    assert assess(_req("hi"), "chat", 10, CX).signals == ()
    assert "long context" in assess(_req("hi"), "chat", 30_000, CX).signals[0]
    assert "many questions" in assess(_req("Why? How? When?"), "chat", 10, CX).signals[0]
    assert "multi-step" in assess(_req("Explain step by step"), "chat", 10, CX).signals[0]
    assert "multi-step" in assess(_req("1. a\n2. b\n3. c"), "chat", 10, CX).signals[0]
    assert "code context" in assess(_req("what does this do?\n```\nx = 1\n```"), "chat", 10, CX).signals[0]
    assert assess(_req("```x```"), "code", 10, CX).signals == ()  # code is the task itself for `code`


def test_lift_is_capped_and_per_tier() -> None:
    text = "Why? How? When? Walk me through it step by step\n```py\nx=1\n```"
    c = assess(_req(text), "chat", 30_000, CX)
    assert len(c.signals) == 4 and c.lift == CX.max_lift
    two = ComplexityConfig(signals_per_tier=2)
    assert assess(_req("Why? How? When?"), "chat", 10, two).lift == 0
    assert assess(_req("Why? How? When? step by step"), "chat", 10, two).lift == 1
    assert assess(_req(text), "chat", 30_000, CX, enabled=False).lift == 0


def test_lift_moves_the_choice_to_a_stronger_model(catalog: Catalog) -> None:
    policy = Policy(catalog, load_policy({"complexity": {"signals_per_tier": 1}, "labels": {"chat": {"floor": 0.78}}}))
    plain = policy.route("chat", _req("hi"), pinned_provider="openai", available_providers=ALL)
    hard = policy.route("chat", _req("Why? How? When? Explain step by step."), pinned_provider="openai",
                        available_providers=ALL)
    assert hard.complexity.lift == 2
    assert hard.expected_quality > plain.expected_quality
    assert hard.explanation["complexity"]["effective_floor"] > plain.explanation["complexity"]["effective_floor"]


def test_lift_off_per_label(catalog: Catalog) -> None:
    policy = Policy(catalog, load_policy({"complexity": {"signals_per_tier": 1}, "labels": {"chat": {"lift": False}}}))
    route = policy.route("chat", _req("Why? How? When?"), available_providers=ALL)
    assert route.complexity.lift == 0


def test_floor_above_everything_uses_the_best(catalog: Catalog) -> None:
    policy = Policy(catalog, load_policy({"labels": {"code": {"floor": 1.0}}}))
    route = policy.route("code", _req("x"), pinned_provider="openai", available_providers=ALL)
    assert route.choice.name == "gpt-5"
    assert any("capped" in n for n in route.explanation["notes"])
