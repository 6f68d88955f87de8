"""Real LlamaIndex agents (FunctionAgent / AgentWorkflow, ReActAgent) driving RoutedLLM.

The emulator tests use the real core Router against routed_llm.testing.Emulator: each step is
classified, routed within the session's pinned provider, executed over HTTP and priced.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from decimal import Decimal
from typing import Any

import pytest
from llama_index.core.agent.workflow import (
    AgentStream,
    AgentWorkflow,
    FunctionAgent,
    ReActAgent,
    ToolCallResult,
)
from llama_index.core.base.llms.types import ChatMessage
from llama_index.core.bridge.pydantic import BaseModel
from llama_index.core.callbacks import CallbackManager, TokenCountingHandler
from llama_index.core.tools import FunctionTool
from llamaindex_fakes import Capture, FakeRouter, tool_script
from routed_llm.testing import Emulator

from llama_index.llms.routed import RoutedLLM, RoutingDecisionEvent, StepCostEvent, get_routing_handler

SECRET = "sk-emulated-SECRET-5c4b3a"


def search_web(query: str) -> str:
    """Search the web and return the top results for the query."""
    return f"Top result for {query}: https://docs.example.com/{query.replace(' ', '-')}"


def fetch_page(url: str) -> str:
    """Fetch a web page and return its text."""
    return (
        "def fibonacci(n: int) -> int:\n    a, b = 0, 1\n    for _ in range(n):\n        a, b = b, a + b\n"
        "    return a\n# fetched from " + url
    )


def word_count(text: str) -> int:
    """Count the words of a text."""
    return len(text.split())


TOOLS = [FunctionTool.from_defaults(f) for f in (search_web, fetch_page, word_count)]


async def _run(agent: Any, message: str) -> tuple[Any, list[Any]]:
    handler = agent.run(user_msg=message)
    events = [ev async for ev in handler.stream_events()]
    return await handler, events


# --------------------------------------------------------------------------- scripted router
async def test_function_agent_multi_step_streaming_with_a_scripted_router() -> None:
    router = FakeRouter(tool_script)
    counter = TokenCountingHandler()
    llm = RoutedLLM(router=router, callback_manager=CallbackManager([counter]))  # type: ignore[arg-type]
    agent = FunctionAgent(tools=TOOLS, llm=llm, streaming=True, system_prompt="You are a researcher.")
    with get_routing_handler() as routing:
        result, events = await _run(agent, "research please")
    assert "done:" in str(result)
    assert [e.tool_name for e in events if isinstance(e, ToolCallResult)] == ["search_web", "fetch_page", "word_count"]
    assert any(isinstance(e, AgentStream) and e.delta for e in events)
    assert len(routing.steps) == 4
    assert routing.total_cost == sum((s.cost for s in routing.step_costs if s.cost is not None), Decimal(0))
    assert counter.prompt_llm_token_count == sum(s.usage["input_tokens"] for s in routing.step_costs)
    assert counter.completion_llm_token_count == sum(s.usage["output_tokens"] for s in routing.step_costs)
    assert {r.session_id for r in router.requests} == {None}  # the router derives one from the opening
    # the tool results went back as role="tool" messages answering the router's ids
    last = router.requests[-1]
    call_ids = [c.id for m in last.messages for c in m.tool_calls]
    assert [m.tool_call_id for m in last.messages if m.role == "tool"] == call_ids


async def test_instrument_tags_session_reaches_every_step_of_a_workflow() -> None:
    from llama_index_instrumentation.dispatcher import instrument_tags

    router = FakeRouter(tool_script)
    llm = RoutedLLM(router=router)  # type: ignore[arg-type]
    agent = FunctionAgent(tools=TOOLS[:2], llm=llm, streaming=False)
    with instrument_tags({"session_id": "wf-tag"}):
        await _run(agent, "go")
    assert len(router.requests) == 3
    assert {r.session_id for r in router.requests} == {"wf-tag"}


# --------------------------------------------------------------------------- the emulator
@pytest.fixture(scope="module")
def emu() -> Iterator[Emulator]:
    with Emulator() as emulator:
        yield emulator


def _emulated_llm(emu: Any, counter: TokenCountingHandler, **kwargs: Any) -> RoutedLLM:
    emu.reset()
    keys = {name: SECRET for name in emu.providers}
    return RoutedLLM.for_emulator(
        emu, classifier="rules", api_keys=keys, callback_manager=CallbackManager([counter]), **kwargs
    )


def _assert_no_secret(*objs: Any) -> None:
    for obj in objs:
        dumped = obj.model_dump() if hasattr(obj, "model_dump") else obj
        assert SECRET not in json.dumps(dumped, default=str), type(obj).__name__


TASK = (
    "Use search_web to find the fibonacci docs, then fetch_page for the top result, "
    "then word_count the page, and explain the code you found."
)


async def test_function_agent_against_the_emulator(emu: Any, capture: Capture) -> None:
    counter = TokenCountingHandler()
    llm = _emulated_llm(emu, counter)
    agent = AgentWorkflow(
        agents=[FunctionAgent(name="researcher", description="researches", tools=TOOLS, llm=llm,
                              system_prompt="You are a careful researcher.", streaming=True)],
        root_agent="researcher",
    )
    try:
        with get_routing_handler() as routing, llm.session("fa-session"):
            result, events = await _run(agent, TASK)
    finally:
        await llm.router.aclose()

    tool_results = [e for e in events if isinstance(e, ToolCallResult)]
    assert [e.tool_name for e in tool_results] == ["search_web", "fetch_page", "word_count"]
    assert not any(e.tool_output.is_error for e in tool_results)
    assert str(result).strip()
    assert any(isinstance(e, AgentStream) and e.delta for e in events)

    steps = routing.step_costs
    decisions = routing.decisions
    assert len(steps) == 4
    assert {d.session_id for d in decisions} == {"fa-session"}
    assert len({d.provider for d in decisions}) == 1, [d.model for d in decisions]
    assert all(d.stream for d in decisions)
    models = [d.model for d in decisions]
    assert len(set(models)) >= 2, f"every step went to {models[0]}; labels {[d.label for d in decisions]}"
    assert all(d.pinned_provider == decisions[0].provider for d in decisions[1:])

    # per-step costs sum to the handler's totals and to the core's session total
    assert routing.total_cost == sum((s.cost for s in steps if s.cost is not None), Decimal(0))
    assert routing.total_cost == steps[-1].session_total
    assert routing.total_baseline_cost == steps[-1].session_baseline_total

    # TokenCountingHandler counts exactly the emulator's usage
    assert counter.prompt_llm_token_count == sum(s.usage["input_tokens"] for s in steps)
    assert counter.completion_llm_token_count == sum(s.usage["output_tokens"] for s in steps)
    assert len(counter.llm_token_counts) == 4

    _assert_no_secret(*capture.events, *events)
    assert any(isinstance(e, RoutingDecisionEvent) for e in capture.events)
    assert any(isinstance(e, StepCostEvent) for e in capture.events)


async def test_parallel_tool_calls_against_the_emulator(emu: Any) -> None:
    counter = TokenCountingHandler()
    llm = _emulated_llm(emu, counter)
    agent = FunctionAgent(tools=TOOLS, llm=llm, streaming=True)
    try:
        with get_routing_handler() as routing:
            _, events = await _run(agent, "In parallel: search_web for llamas and word_count the phrase 'a b c'.")
    finally:
        await llm.router.aclose()
    assert sorted(e.tool_name for e in events if isinstance(e, ToolCallResult)) == ["search_web", "word_count"]
    assert len(routing.steps) == 2


async def _react_run(emu: Any, capture: Capture, session: str) -> tuple[Any, list[Any], Any, TokenCountingHandler]:
    counter = TokenCountingHandler()
    llm = _emulated_llm(emu, counter)
    agent = ReActAgent(tools=TOOLS, llm=llm, streaming=True)
    try:
        with get_routing_handler() as routing, llm.session(session):
            result, events = await _run(agent, TASK)
    finally:
        await llm.router.aclose()
    return result, events, routing, counter


async def test_react_agent_against_the_emulator(emu: Any, capture: Capture) -> None:
    result, events, routing, counter = await _react_run(emu, capture, "react-session")
    assert str(result).strip()
    steps = routing.step_costs
    assert steps
    assert {s.session_id for s in steps} == {"react-session"}
    assert len({s.provider for s in steps}) == 1
    assert any(isinstance(e, AgentStream) and e.delta for e in events)
    assert counter.prompt_llm_token_count == sum(s.usage["input_tokens"] for s in steps)
    assert counter.completion_llm_token_count == sum(s.usage["output_tokens"] for s in steps)
    assert routing.total_cost == sum((s.cost for s in steps if s.cost is not None), Decimal(0))
    _assert_no_secret(*capture.events, *events)


async def test_react_agent_uses_tools_against_the_emulator(emu: Any, capture: Capture) -> None:
    _, events, routing, _ = await _react_run(emu, capture, "react-tools")
    assert [e.tool_name for e in events if isinstance(e, ToolCallResult)] == ["search_web", "fetch_page", "word_count"]
    decisions = routing.decisions
    assert len(decisions) == 4
    assert len({d.provider for d in decisions}) == 1
    assert len({d.model for d in decisions}) >= 2


async def test_thinking_blocks_replay_through_a_tool_loop_on_anthropic(emu: Any) -> None:
    """Signed thinking comes back as ThinkingBlock and is replayed (the emulator checks signatures)."""
    counter = TokenCountingHandler()
    llm = _emulated_llm(emu, counter, model="claude-sonnet-4-5", thinking_budget=1024)
    agent = FunctionAgent(tools=TOOLS, llm=llm, streaming=True)
    try:
        with get_routing_handler() as routing:
            _, events = await _run(agent, "Use search_web for fibonacci, then word_count the result.")
    finally:
        await llm.router.aclose()
    assert [e.tool_name for e in events if isinstance(e, ToolCallResult)] == ["search_web", "word_count"]
    outputs = [e for e in events if type(e).__name__ == "AgentOutput"]
    thinking = [b for o in outputs for b in o.response.blocks if type(b).__name__ == "ThinkingBlock"]
    assert thinking, "no ThinkingBlock in the agent's outputs"
    assert all(b.additional_information.get("provider") == "anthropic" for b in thinking)
    assert all(b.additional_information.get("signature") for b in thinking)
    assert any(isinstance(e, AgentStream) and e.thinking_delta for e in events)
    assert [d.path for d in routing.decisions] == ["pinned"] * 3
    # the replayed history carried the signed blocks back to the same model
    replayed = [r for r in emu.requests if r.provider == "anthropic" and r.body]
    assert any(
        block.get("type") == "thinking"
        for r in replayed[1:]
        for m in r.body.get("messages", [])
        if m.get("role") == "assistant" and isinstance(m.get("content"), list)
        for block in m["content"]
    )


class Release(BaseModel):
    name: str
    version: str


async def test_structured_predict_against_the_emulator(emu: Any) -> None:
    from llama_index.core.prompts import PromptTemplate

    counter = TokenCountingHandler()
    llm = _emulated_llm(emu, counter)
    try:
        release = await llm.astructured_predict(Release, PromptTemplate("Extract the release from: {text}"),
                                                text="llama-index 0.14.25 is out")
        assert isinstance(release, Release)
        sllm = llm.as_structured_llm(Release)
        out = await sllm.achat([ChatMessage(role="user", content="Extract: routed-llm 0.1.0 released")])
        assert isinstance(out.raw, Release)
        assert json.loads(out.message.content or "{}").keys() == {"name", "version"}
    finally:
        await llm.router.aclose()


def test_images_route_to_a_vision_model(emu: Any) -> None:
    import base64

    from llama_index.core.base.llms.types import ImageBlock, TextBlock

    png = base64.b64decode(
        "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNk+M9QDwADhgGAWjR9awAAAABJRU5ErkJggg=="
    )
    counter = TokenCountingHandler()
    llm = _emulated_llm(emu, counter)
    response = llm.chat([ChatMessage(role="user", blocks=[TextBlock(text="What is in this image?"),
                                                           ImageBlock(image=png)])])
    routing = response.additional_kwargs["routing"]
    assert "vision" in routing["required_capabilities"]
    model = llm.router.catalog.model(routing["model"])
    assert "vision" in model.capabilities
    assert counter.prompt_llm_token_count == response.raw["usage"]["input_tokens"]
    llm.router.close()


def test_sync_streaming_tool_call_against_the_emulator(emu: Any) -> None:
    counter = TokenCountingHandler()
    llm = _emulated_llm(emu, counter)
    chunks = list(llm.stream_chat_with_tools(TOOLS, user_msg="Please search_web for llama facts"))
    partial = [llm.get_tool_calls_from_response(c, error_on_no_tool_call=False) for c in chunks]
    [call] = partial[-1]
    assert call.tool_name == "search_web"
    assert isinstance(call.tool_kwargs.get("query"), str)
    assert len(call.tool_id) == 9
    last = chunks[-1]
    assert last.additional_kwargs["routing"]["stream"] is True
    assert counter.prompt_llm_token_count == last.raw["usage"]["input_tokens"]
    assert counter.completion_llm_token_count == last.raw["usage"]["output_tokens"]
    completion = llm.complete("Say hello in French")
    assert completion.text.startswith("[")
    llm.router.close()
