"""The session layer against the strict emulator (via a test-only wire stub, before the router):
a 12-step tool loop with thinking survives its provider going down at step 6, and steps that
hop between models of one provider are never refused."""

from __future__ import annotations

from collections.abc import Iterator

import httpx
import pytest
from wire_stub import WireError, call

from routed_llm.catalog import Catalog, ModelSpec
from routed_llm.messages import Message, Request, Thinking, ToolSpec
from routed_llm.sessions import MemoryStore, SessionManager, is_caller_id
from routed_llm.testing import Emulator

TOOLS = tuple(ToolSpec(f"tool_{c}", f"tool {c}") for c in "abcdefghijk")  # 11 tools: 11 tool steps + answer
TASK = "Research the topic using " + ", ".join(t.name for t in TOOLS) + " one after another."


@pytest.fixture(scope="module")
def emulator() -> Iterator[Emulator]:
    with Emulator(strict=True) as emu:
        yield emu


@pytest.fixture
def catalog(emulator: Emulator) -> Catalog:
    emulator.up()
    return emulator.catalog()


def run_loop(emulator: Emulator, catalog: Catalog, plan: list[list[ModelSpec]], thinking: bool,
             down_at: int | None = None, down: str | None = None,
             passthrough: bool = False) -> tuple[SessionManager, list[Message]]:
    """Like the router: pin, prepare per attempt, fail over along the chain, move, commit.
    ``passthrough`` disables the rewriting (the negative control)."""
    mgr = SessionManager(MemoryStore(), catalog=catalog)
    if passthrough:
        mgr.prepare = lambda session_id, request, model: request  # type: ignore[method-assign]
        mgr.commit = lambda session_id, response, model: response  # type: ignore[method-assign]
    history: list[Message] = [Message.system("You are a careful research agent."), Message.user(TASK)]
    seen_ids: set[str] = set()
    with httpx.Client(timeout=10) as client:
        for step, chain in enumerate(plan, 1):
            if down_at == step and down:
                emulator.down(down)
            request = Request(tuple(history), tools=TOOLS, thinking=Thinking(2048) if thinking else None,
                              session_id="loop")
            sid = mgr.resolve_id(request)
            pinned = mgr.pinned_provider(sid, request)
            if pinned is None:
                pinned = mgr.pin(sid, chain[0].provider)
            response = None
            for model in chain:
                try:
                    response = call(client, catalog, mgr.prepare(sid, request, model), model)
                except WireError as exc:
                    assert exc.status >= 500, f"step {step} {model.key}: refused with {exc}"
                    continue
                if model.provider != pinned:
                    mgr.move(sid, pinned, model.provider)
                response = mgr.commit(sid, response, model)
                break
            assert response is not None, f"step {step}: every endpoint failed"
            for c in response.message.tool_calls:
                assert (passthrough or is_caller_id(c.id)) and c.id not in seen_ids
                seen_ids.add(c.id)
            history.append(response.message)
            if not response.message.tool_calls:
                break
            history.extend(Message.tool(c.id, f"{c.name} says 42") for c in response.message.tool_calls)
    # every id the caller saw is still in its history, unchanged
    assert seen_ids == {c.id for m in history for c in m.tool_calls}
    return mgr, history


@pytest.mark.parametrize(("first", "second"), [("anthropic", "openai"), ("openai", "anthropic")])
def test_twelve_step_loop_with_thinking_survives_failover_at_step_6(
    emulator: Emulator, catalog: Catalog, first: str, second: str
) -> None:
    main = catalog.model("claude-sonnet-4-5" if first == "anthropic" else "gpt-5")
    backup = catalog.model("gpt-5" if second == "openai" else "claude-sonnet-4-5")
    mgr, history = run_loop(emulator, catalog, [[main, backup]] * 12, thinking=True, down_at=6, down=first)
    assert sum(1 for m in history if m.role == "assistant") == 12
    assert [(m.from_provider, m.to_provider) for m in mgr.moves("loop")] == [(first, second)]
    assert mgr.store.get_pin("loop") == second
    assert history[-1].text  # the final answer came from the backup


@pytest.mark.parametrize(("first", "second"), [("anthropic", "openai"), ("openai", "anthropic")])
def test_without_the_session_layer_the_strict_emulator_refuses(
    emulator: Emulator, catalog: Catalog, first: str, second: str
) -> None:
    """Negative control: the same loop with ids and reasoning blocks passed through gets a 400."""
    main = catalog.model("claude-sonnet-4-5" if first == "anthropic" else "gpt-5")
    backup = catalog.model("gpt-5" if second == "openai" else "claude-sonnet-4-5")
    with pytest.raises(AssertionError, match="refused with 400"):
        run_loop(emulator, catalog, [[main, backup]] * 12, thinking=True, down_at=6, down=first,
                 passthrough=True)


def test_steps_route_to_different_models_of_one_provider(emulator: Emulator, catalog: Catalog) -> None:
    anthropic = [catalog.model(n) for n in ("claude-sonnet-4-5", "claude-haiku-4-5", "claude-opus-4-1")]
    _, history = run_loop(emulator, catalog, [[anthropic[i % 3]] for i in range(12)], thinking=True)
    assert sum(1 for m in history if m.role == "assistant") == 12
    openai = [catalog.model(n) for n in ("gpt-5", "gpt-5-mini", "gpt-4.1")]
    _, history = run_loop(emulator, catalog, [[openai[i % 3]] for i in range(12)], thinking=False)
    assert sum(1 for m in history if m.role == "assistant") == 12


def test_same_model_keeps_thinking_across_the_loop(emulator: Emulator, catalog: Catalog) -> None:
    sonnet = catalog.model("claude-sonnet-4-5")
    _, history = run_loop(emulator, catalog, [[sonnet]] * 12, thinking=True)
    assert all(m.reasoning for m in history if m.role == "assistant")
