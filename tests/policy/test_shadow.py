"""Rule 6: shadow sampling is off by default, deterministic, a share of steps, never the answer."""

from __future__ import annotations

from routed_llm.catalog import Catalog
from routed_llm.messages import Message, Request
from routed_llm.policy import Policy, load_policy

ALL = frozenset({"openai", "anthropic", "deepseek", "mistral", "gemini"})


def _reqs(n: int) -> list[Request]:
    return [Request((Message.user(f"say hello #{i}"),), session_id=f"s{i}") for i in range(n)]


def test_off_by_default(policy: Policy) -> None:
    assert all(policy.route("chat", r, available_providers=ALL).shadow is None for r in _reqs(50))


def test_share_is_respected_and_deterministic(catalog: Catalog) -> None:
    policy = Policy(catalog, load_policy({"labels": {"chat": {"shadow": {"share": 0.3, "model": "gpt-5"}}}}))
    plain = Policy(catalog, None)
    reqs = _reqs(400)
    routes = [policy.route("chat", r, pinned_provider="openai", available_providers=ALL) for r in reqs]
    hits = [r for r in routes if r.shadow is not None]
    assert 0.2 < len(hits) / len(routes) < 0.4
    assert all(r.shadow is not None and r.shadow.name == "gpt-5" for r in hits)
    again = [policy.route("chat", r, pinned_provider="openai", available_providers=ALL).shadow for r in reqs]
    assert [r.shadow for r in routes] == again
    # never changes the answer
    for req, route in zip(reqs, routes, strict=True):
        assert route.keys == plain.route("chat", req, pinned_provider="openai", available_providers=ALL).keys
    # other labels keep the global share (0)
    assert policy.route("code", reqs[0], available_providers=ALL).shadow is None


def test_seed_changes_sample(catalog: Catalog) -> None:
    a = Policy(catalog, load_policy({"shadow": {"share": 0.5, "seed": "a"}}))
    b = Policy(catalog, load_policy({"shadow": {"share": 0.5, "seed": "b"}}))
    reqs = _reqs(100)
    sa = [a.route("chat", r, available_providers=ALL).shadow is not None for r in reqs]
    sb = [b.route("chat", r, available_providers=ALL).shadow is not None for r in reqs]
    assert sa != sb


def test_shadow_skipped_when_reference_unavailable_or_is_choice(catalog: Catalog) -> None:
    policy = Policy(catalog, load_policy({"shadow": {"share": 1.0, "model": "claude-opus-4-1"}}))
    route = policy.route("chat", _reqs(1)[0], available_providers=frozenset({"openai"}))
    assert route.shadow is None
    assert any("ANTHROPIC_API_KEY" in n for n in route.explanation["notes"])
    route = policy.route("chat", _reqs(1)[0], available_providers=ALL, dial=0.0)
    assert route.choice.name == "claude-opus-4-1" and route.shadow is None
