"""Cascades and shadow sampling executed by the Router (the policy only decides them)."""

from __future__ import annotations

import time

from routed_llm import Message, Request
from routed_llm.events import ShadowResult
from routed_llm.router import Router
from routed_llm.testing import Emulator


def _router(emu: Emulator, policy: dict[str, object], **kw: object) -> Router:
    """Only openai has a key, so every candidate is an openai model."""
    return Router(catalog=emu.catalog(), classifier="rules", api_keys={"openai": "emulator-key"},
                  policy=policy, **kw)  # type: ignore[arg-type]


def test_cascade_escalates_when_the_verifier_rejects_and_bills_both(emulator: Emulator) -> None:
    # floor 0.9: the choice is gpt-5; the cascade tries gpt-5-nano first. No answer is 100k
    # characters long, so the cheap tier's answer is always rejected.
    policy = {"labels": {"summarize": {"floor": 0.9, "cascade": {
        "enabled": True, "tiers": ["gpt-5-nano"], "verifier": "rules", "rules": ["min_length"],
        "min_length": 100_000}}}}
    router = _router(emulator, policy)
    d = router.invoke(Request((Message.user("Summarize: the meeting moved to Tuesday."),),
                              session_id="c")).decision
    assert [a.model for a in d.attempts] == ["gpt-5-nano", "gpt-5"]
    assert d.attempts[0].error_type == "CascadeEscalated" and d.attempts[-1].ok and d.model == "gpt-5"
    assert d.cost is not None and d.attempts[0].cost is not None and d.attempts[-1].cost is not None
    assert d.cost == d.attempts[0].cost + d.attempts[-1].cost


def test_cascade_keeps_the_cheap_answer_when_it_passes(emulator: Emulator) -> None:
    policy = {"labels": {"summarize": {"floor": 0.9, "cascade": {
        "enabled": True, "tiers": ["gpt-5-nano"], "verifier": "rules", "rules": ["non_empty"]}}}}
    d = _router(emulator, policy).invoke(Request((Message.user("Summarize: the meeting moved."),),
                                                 session_id="c2")).decision
    assert d.model == "gpt-5-nano" and [a.model for a in d.attempts] == ["gpt-5-nano"]


def test_shadow_sample_is_recorded_and_never_changes_the_answer(emulator: Emulator) -> None:
    shadows: list[ShadowResult] = []

    class Listener:
        def on_shadow(self, result: ShadowResult) -> None:
            shadows.append(result)

    policy = {"shadow": {"share": 1.0, "model": "gpt-5"}}
    router = _router(emulator, policy, listeners=[Listener()])
    response = router.invoke(Request((Message.user("Summarize: the meeting moved."),), session_id="s"))
    deadline = time.time() + 10
    while not shadows and time.time() < deadline:
        time.sleep(0.02)
    assert len(shadows) == 1 and shadows[0].reference_model == "openai/gpt-5"
    assert shadows[0].answer_text == response.text and shadows[0].reference_text
    assert response.decision.model != "gpt-5"
    assert shadows[0].reference_cost is not None and router.totals("s")[0] == response.cost.cost
