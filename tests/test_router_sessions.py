"""Sessions through the whole Router against the strict emulator: the provider pin, tool-call ids
the caller can trust, reasoning blocks only where they are valid, and failover across providers."""

from __future__ import annotations

from routed_llm import Message, Request, RoutingOptions, Thinking, ToolSpec
from routed_llm.router import Router
from routed_llm.testing import Emulator

SEARCH = ToolSpec("search", "Search the library", {"type": "object", "properties": {"query": {"type": "string"}},
                                                   "required": ["query"]})
# alternate a cheap and a strong label so steps move between models of the pinned provider
LABELS = ("extraction", "reasoning")


def _loop(router: Router, emu: Emulator, steps: int, *, down_at: int | None = None,
          session: str = "loop") -> tuple[list[Message], list[object]]:
    history: list[Message] = [Message.user("Use search to find the first source")]
    decisions: list[object] = []
    turn = 0
    for step in range(1, steps + 1):
        if step == down_at:
            emu.down("anthropic")
        opts = RoutingOptions(label=LABELS[step % 2]) if step > 1 else RoutingOptions(model="claude-sonnet-4-5")
        response = router.invoke(Request(tuple(history), tools=(SEARCH,), thinking=Thinking(budget_tokens=1024),
                                         session_id=session, options=opts))
        decisions.append(response.decision)
        history.append(response.message)
        if response.message.tool_calls:
            for call in response.message.tool_calls:
                history.append(Message.tool(call.id, f"result {turn} for {dict(call.arguments)}"))
        else:
            turn += 1
            history.append(Message.user(f"Use search to find source number {turn + 1}"))
    return history, decisions


def test_twelve_step_thinking_loop_survives_its_provider_going_down_at_step_6() -> None:
    with Emulator(strict=True) as emu:
        router = Router.for_emulator(emu, classifier="rules",
                                     api_keys={"openai": "emulator-key", "anthropic": "emulator-key"})
        router_keys = router.available_providers()
        assert {"openai", "anthropic"} <= router_keys
        history, decisions = _loop(router, emu, 12, down_at=6)
        providers = [d.provider for d in decisions]  # type: ignore[attr-defined]
        assert providers[:5] == ["anthropic"] * 5 and providers[5:] == ["openai"] * 7
        assert decisions[5].provider_moved_from == "anthropic"  # type: ignore[attr-defined]
        assert router.sessions.moves("loop")[0][:2] == ("anthropic", "openai")
        # the emulator rejected nothing: every failure was the outage (503/529), never a 400
        assert all(r.status != 400 for r in emu.requests), [r.error for r in emu.requests if r.status == 400]
        # every id the caller saw is the router's own, unchanged in the history it kept sending
        caller_ids = [c.id for m in history for c in m.tool_calls]
        assert len(caller_ids) >= 5 and len(set(caller_ids)) == len(caller_ids)
        assert all(len(i) == 9 and i.isalnum() for i in caller_ids)
        # thinking really ran on the anthropic steps, and its signed blocks were replayed there
        assert any(m.reasoning for m in history)
        anthropic_bodies = [r.body for r in emu.requests if r.provider == "anthropic" and r.status == 200]
        assert any("thinking" in (b or {}) for b in anthropic_bodies)
        assert any(
            any(isinstance(block, dict) and block.get("type") == "thinking"
                for msg in (b or {}).get("messages", []) if isinstance(msg.get("content"), list)
                for block in msg["content"])
            for b in anthropic_bodies
        )


def test_steps_of_one_session_use_several_models_of_the_pinned_provider() -> None:
    with Emulator(strict=True) as emu:
        router = Router.for_emulator(emu, classifier="rules",
                                     api_keys={"openai": "emulator-key", "anthropic": "emulator-key"})
        _, decisions = _loop(router, emu, 8, session="models")
        assert {d.provider for d in decisions} == {"anthropic"}  # type: ignore[attr-defined]
        assert len({d.model for d in decisions}) >= 2  # type: ignore[attr-defined]
        assert all(r.status == 200 for r in emu.requests), [r.error for r in emu.requests if r.status != 200]
