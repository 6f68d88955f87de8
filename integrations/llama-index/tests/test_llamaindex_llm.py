"""RoutedLLM against a scripted router: the LlamaIndex surface, events, sessions, tokens, secrets."""

from __future__ import annotations

import json
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from llama_index.core.base.llms.types import ChatMessage, ToolCallBlock
from llama_index.core.bridge.pydantic import BaseModel
from llama_index.core.callbacks import CallbackManager, TokenCountingHandler
from llama_index.core.instrumentation import get_dispatcher
from llama_index.core.instrumentation.dispatcher import instrument_tags
from llama_index.core.tools import FunctionTool
from llamaindex_fakes import Capture, FakeRouter, tool_script
from routed_llm.messages import Message, NamedTool, Request, ToolCall

from llama_index.llms.routed import (
    RoutedLLM,
    RoutingDecisionEvent,
    RoutingEventHandler,
    StepCostEvent,
    get_routing_handler,
)

SECRET = "sk-THIS-IS-SECRET-9f8e7d"


def make(script: Any = None, **kwargs: Any) -> tuple[RoutedLLM, FakeRouter]:
    router = FakeRouter(script) if script else FakeRouter()
    return RoutedLLM(router=router, api_keys={"openai": SECRET}, **kwargs), router  # type: ignore[arg-type]


def add(a: int, b: int) -> int:
    """Add two integers."""
    return a + b


def search(query: str) -> str:
    """Search the web for a query."""
    return f"results for {query}"


# --------------------------------------------------------------------------- basic calls
def test_chat_returns_blocks_usage_and_routing(capture: Capture) -> None:
    llm, router = make()
    response = llm.chat([ChatMessage(role="user", content="hello there")])
    assert response.message.content == "echo: hello there"
    assert response.raw["usage"]["input_tokens"] == router.requests[0].messages[0].text.count(" ") + 1 + 3
    assert response.additional_kwargs["routing"]["model"] == "gpt-5-mini"
    assert response.additional_kwargs["prompt_tokens"] == response.raw["usage"]["prompt_tokens"]
    kinds = [type(e).__name__ for e in capture.events]
    assert "RoutingDecisionEvent" in kinds
    assert "StepCostEvent" in kinds
    assert kinds.index("LLMChatStartEvent") < kinds.index("RoutingDecisionEvent") < kinds.index("LLMChatEndEvent")
    request = router.requests[0]
    assert request.metadata["framework"] == "llama_index"


async def test_achat_and_acomplete() -> None:
    llm, _ = make()
    response = await llm.achat([ChatMessage(role="user", content="hi")])
    assert response.message.content == "echo: hi"
    completion = await llm.acomplete("ping")
    assert completion.text == "echo: ping"
    assert completion.additional_kwargs["routing"]["provider"] == "openai"


def test_complete_and_stream_complete() -> None:
    llm, _ = make()
    assert llm.complete("ping").text == "echo: ping"
    chunks = list(llm.stream_complete("one two three"))
    assert "".join(c.delta or "" for c in chunks) == "echo: one two three"
    assert chunks[-1].text == "echo: one two three"
    assert chunks[-1].additional_kwargs["routing"]["stream"] is True


async def test_astream_complete() -> None:
    llm, _ = make()
    chunks = [c async for c in await llm.astream_complete("a b")]
    assert chunks[-1].text == "echo: a b"


def test_stream_chat_accumulates_and_ends_with_the_routed_response() -> None:
    llm, _ = make()
    chunks = list(llm.stream_chat([ChatMessage(role="user", content="x y z")]))
    texts = [c.message.content for c in chunks[:-1]]
    assert texts[-1] == "echo: x y z"
    assert all(c.raw is None for c in chunks[:-1])
    last = chunks[-1]
    assert last.delta == ""
    assert last.message.content == "echo: x y z"
    assert last.additional_kwargs["routing"]["stream"] is True


async def test_astream_chat_is_truly_async() -> None:
    llm, router = make()
    gen = await llm.astream_chat([ChatMessage(role="user", content="async please")])
    chunks = [c async for c in gen]
    assert chunks[-1].message.content == "echo: async please"
    assert len(router.requests) == 1


def test_metadata() -> None:
    llm, router = make()
    meta = llm.metadata
    assert meta.is_function_calling_model is True
    assert meta.is_chat_model is True
    openai_models = [m for m in router.catalog.models.values() if m.provider == "openai"]
    assert meta.context_window == min(m.context_window for m in openai_models)
    assert meta.num_output == min(m.max_output_tokens for m in openai_models)
    assert meta.model_name == "routed-llm"
    pinned = RoutedLLM(model="gpt-5-nano")
    assert pinned.metadata.model_name == "gpt-5-nano"
    assert pinned.metadata.context_window == router.catalog.models["gpt-5-nano"].context_window
    assert RoutedLLM(context_window=1000, num_output=10).metadata.context_window == 1000


def test_router_is_built_lazily_once() -> None:
    llm = RoutedLLM(classifier="rules")
    assert llm._router is None
    _ = llm.metadata
    assert llm._router is None


def test_routing_options_and_request_fields() -> None:
    llm, router = make(preference="cost", temperature=0.2, max_tokens=50, stop=["END"], thinking_budget=2048)
    llm.chat([ChatMessage(role="user", content="x")], label="code", model="gpt-5")
    request = router.requests[0]
    assert request.options.preference == "cost"
    assert request.options.label == "code"
    assert request.options.model == "gpt-5"
    assert request.temperature == 0.2
    assert request.max_tokens == 50
    assert request.stop == ("END",)
    assert request.thinking is not None
    assert request.thinking.budget_tokens == 2048


# --------------------------------------------------------------------------- tools
def test_chat_with_tools_and_tool_choice() -> None:
    llm, router = make(tool_script)
    tools = [FunctionTool.from_defaults(add), FunctionTool.from_defaults(search)]
    response = llm.chat_with_tools(tools, user_msg="add then search")
    request = router.requests[-1]
    assert [t.name for t in request.tools] == ["add", "search"]
    assert request.tool_choice == "auto"
    assert request.parallel_tool_calls is False
    [call] = llm.get_tool_calls_from_response(response)
    assert call.tool_name == "add"
    assert call.tool_kwargs == {"x": 1}
    assert isinstance(response.message.blocks[-1], ToolCallBlock)

    llm.chat_with_tools(tools, user_msg="x", tool_required=True)
    assert router.requests[-1].tool_choice == "required"
    llm.chat_with_tools(tools, user_msg="x", tool_choice="search")
    assert router.requests[-1].tool_choice == NamedTool("search")
    llm.chat_with_tools(tools, user_msg="x", allow_parallel_tool_calls=True)
    assert router.requests[-1].parallel_tool_calls is True


def test_no_tool_call_raises_only_when_asked() -> None:
    llm, _ = make()
    response = llm.chat([ChatMessage(role="user", content="x")])
    assert llm.get_tool_calls_from_response(response, error_on_no_tool_call=False) == []
    with pytest.raises(ValueError, match="tool call"):
        llm.get_tool_calls_from_response(response)


def test_parallel_calls_are_cut_to_one_unless_allowed() -> None:
    def two(request: Request) -> Message:
        return Message.assistant("", [ToolCall("aaaaaaaaa", "add", {"a": 1, "b": 2}),
                                      ToolCall("bbbbbbbbb", "search", {"query": "q"})])

    llm, _ = make(two)
    tools = [FunctionTool.from_defaults(add), FunctionTool.from_defaults(search)]
    single = llm.chat_with_tools(tools, user_msg="x", allow_parallel_tool_calls=False)
    assert [c.tool_id for c in llm.get_tool_calls_from_response(single)] == ["aaaaaaaaa"]
    both = llm.chat_with_tools(tools, user_msg="x", allow_parallel_tool_calls=True)
    assert [c.tool_id for c in llm.get_tool_calls_from_response(both)] == ["aaaaaaaaa", "bbbbbbbbb"]


def test_streamed_tool_calls_parse_on_every_chunk() -> None:
    llm, _ = make(tool_script)
    tools = [FunctionTool.from_defaults(add)]
    seen = []
    for chunk in llm.stream_chat_with_tools(tools, user_msg="add"):
        seen.append(llm.get_tool_calls_from_response(chunk, error_on_no_tool_call=False))
    assert seen[-1][0].tool_kwargs == {"x": 1}
    # the half-streamed '{"x": ' chunk parsed leniently to {}
    assert any(s and s[0].tool_kwargs == {} for s in seen)


def test_predict_and_call_runs_the_tool() -> None:
    def call_add(request: Request) -> Message:
        return Message.assistant("", [ToolCall("ccccccccc", "add", {"a": 2, "b": 3})])

    llm, _ = make(call_add)
    result = llm.predict_and_call([FunctionTool.from_defaults(add)], user_msg="2+3?")
    assert result.response == "5"


class Person(BaseModel):
    name: str
    age: int


def _structured(request: Request) -> Message:
    assert isinstance(request.tool_choice, (NamedTool, str))
    return Message.assistant("", [ToolCall("ddddddddd", request.tools[0].name, {"name": "Ada", "age": 36})])


def test_structured_predict_and_as_structured_llm() -> None:
    from llama_index.core.prompts import PromptTemplate

    llm, router = make(_structured)
    person = llm.structured_predict(Person, PromptTemplate("Who is {who}?"), who="Ada")
    assert person == Person(name="Ada", age=36)
    assert router.requests[-1].tool_choice in ("required", NamedTool("Person"))
    sllm = llm.as_structured_llm(Person)
    out = sllm.chat([ChatMessage(role="user", content="Ada?")])
    assert out.raw == Person(name="Ada", age=36)


async def test_astructured_predict() -> None:
    from llama_index.core.prompts import PromptTemplate

    llm, _ = make(_structured)
    person = await llm.astructured_predict(Person, PromptTemplate("Who is {who}?"), who="Ada")
    assert person.age == 36


def test_stream_structured_predict() -> None:
    from llama_index.core.prompts import PromptTemplate

    llm, _ = make(_structured)
    parts = list(llm.stream_structured_predict(Person, PromptTemplate("Who is {who}?"), who="Ada"))
    assert parts[-1].name == "Ada"
    assert parts[-1].age == 36


# --------------------------------------------------------------------------- sessions
def test_session_precedence() -> None:
    llm, router = make(session_id="field")
    msg = [ChatMessage(role="user", content="x")]
    llm.chat(msg)
    assert router.requests[-1].session_id == "field"
    with instrument_tags({"session_id": "tagged"}):
        llm.chat(msg)
        assert router.requests[-1].session_id == "tagged"
        with llm.session("scoped"):
            llm.chat(msg)
            assert router.requests[-1].session_id == "scoped"
            llm.chat(msg, session_id="explicit")
            assert router.requests[-1].session_id == "explicit"
    llm.chat(msg)
    assert router.requests[-1].session_id == "field"


def test_session_scope_is_per_instance_and_tags_events(capture: Capture) -> None:
    a, router_a = make()
    b, router_b = make()
    msg = [ChatMessage(role="user", content="x")]
    with a.session("only-a") as sid:
        assert sid == "only-a"
        a.chat(msg)
        b.chat(msg)
    assert router_a.requests[-1].session_id == "only-a"
    # b sees the instrument tag the scope sets (a shared workflow), not a's private scope
    assert router_b.requests[-1].session_id == "only-a"
    decisions = [e for e in capture.events if isinstance(e, RoutingDecisionEvent)]
    assert all(e.tags.get("session_id") == "only-a" for e in decisions)
    with a.session() as fresh:
        assert len(fresh) == 32


async def test_session_scope_in_async_code() -> None:
    llm, router = make()
    with llm.session("async-s"):
        await llm.achat([ChatMessage(role="user", content="x")])
    assert router.requests[-1].session_id == "async-s"


# --------------------------------------------------------------------------- events and handler
def test_event_fields_match_the_core_records(capture: Capture) -> None:
    llm, _ = make()
    response = llm.chat([ChatMessage(role="user", content="x")])
    decision = next(e for e in capture.events if isinstance(e, RoutingDecisionEvent))
    cost = next(e for e in capture.events if isinstance(e, StepCostEvent))
    assert decision.record is not None and cost.record is not None
    assert decision.to_dict() == response.additional_kwargs["routing"]
    assert cost.to_dict() == response.additional_kwargs["step_cost"]
    assert set(type(decision.record).__dataclass_fields__) <= set(RoutingDecisionEvent.model_fields)
    assert set(type(cost.record).__dataclass_fields__) <= set(StepCostEvent.model_fields)
    assert isinstance(cost.cost, Decimal)
    assert cost.cost == cost.record.cost
    assert decision.savings == decision.record.savings


def test_handler_totals_and_trace(tmp_path: Path) -> None:
    llm, router = make(tool_script)
    trace = tmp_path / "trace.jsonl"
    tools = [FunctionTool.from_defaults(add), FunctionTool.from_defaults(search)]
    with get_routing_handler(trace_path=str(trace)) as handler:
        for _ in range(3):
            llm.chat_with_tools(tools, user_msg="go")
    assert len(handler.step_costs) == 3
    total = sum((s.cost for s in handler.step_costs if s.cost is not None), Decimal(0))
    assert handler.total_cost == total == router.total
    assert handler.total_baseline_cost == total * 5
    assert handler.savings == total * 4
    assert handler.models_used() == ["openai/gpt-5-mini"] * 3
    lines = [json.loads(line) for line in trace.read_text().splitlines()]
    assert len(lines) == 3
    for line, step in zip(lines, handler.steps, strict=True):
        assert line["framework"] == "llama_index"
        assert {"decision", "cost", "framework"} <= set(line)
        assert line["decision"]["step_id"] == line["cost"]["step_id"] == step.step_id
    # detached after the block
    llm.chat([ChatMessage(role="user", content="x")])
    assert len(handler.step_costs) == 3
    summary = handler.summary()
    assert summary["steps"] == 3
    assert summary["cost"] == str(total)
    assert summary["model_mix"] == {"openai/gpt-5-mini": 3}


def test_handler_as_a_plain_event_handler() -> None:
    handler = RoutingEventHandler()
    root = get_dispatcher()
    root.add_event_handler(handler)
    try:
        llm, _ = make()
        llm.chat([ChatMessage(role="user", content="x")])
    finally:
        root.event_handlers = [h for h in root.event_handlers if h is not handler]
    assert len(handler.steps) == 1
    assert handler.steps[0].decision is not None
    handler.reset()
    assert handler.steps == []


# --------------------------------------------------------------------------- token counting
def test_token_counting_handler_counts_routed_usage() -> None:
    counter = TokenCountingHandler()
    router = FakeRouter()
    llm = RoutedLLM(router=router, callback_manager=CallbackManager([counter]))  # type: ignore[arg-type]
    llm.chat([ChatMessage(role="user", content="count these words")])
    list(llm.stream_chat([ChatMessage(role="user", content="and these too please")]))
    usage = [r.usage for r in _responses(router)]
    assert counter.prompt_llm_token_count == sum(u.input_tokens for u in usage)
    assert counter.completion_llm_token_count == sum(u.output_tokens for u in usage)
    assert len(counter.llm_token_counts) == 2


async def test_token_counting_async_stream() -> None:
    counter = TokenCountingHandler()
    router = FakeRouter()
    llm = RoutedLLM(router=router, callback_manager=CallbackManager([counter]))  # type: ignore[arg-type]
    gen = await llm.astream_chat([ChatMessage(role="user", content="a b c d")])
    async for _ in gen:
        pass
    [response] = _responses(router)
    assert counter.prompt_llm_token_count == response.usage.input_tokens
    assert counter.completion_llm_token_count == response.usage.output_tokens


def _responses(router: FakeRouter) -> list[Any]:
    # FakeRouter is deterministic: re-run its pricing on the recorded requests.
    replay = FakeRouter(router.script)
    return [replay.invoke(r) for r in router.requests]


# --------------------------------------------------------------------------- secrets
def test_api_key_never_leaks(capture: Capture) -> None:
    llm, _ = make(tool_script)
    assert SECRET not in repr(llm)
    assert SECRET not in str(llm)
    assert SECRET not in llm.to_json()
    assert SECRET not in json.dumps(llm.to_dict(), default=str)
    assert SECRET not in json.dumps(llm.model_dump(), default=str)
    assert SECRET not in json.dumps(llm.to_payload(), default=str)
    assert llm.api_keys["openai"].get_secret_value() == SECRET
    tools = [FunctionTool.from_defaults(add)]
    responses = [llm.chat_with_tools(tools, user_msg="x"), *llm.stream_chat_with_tools(tools, user_msg="x")]
    for r in responses:
        assert SECRET not in r.model_dump_json()
    for event in capture.events:
        assert SECRET not in json.dumps(event.model_dump(), default=str), type(event).__name__


def test_a_key_echoed_into_an_attempt_error_is_masked(capture: Capture) -> None:
    import dataclasses

    from routed_llm.events import Attempt

    class Leaky(FakeRouter):
        def _respond(self, request: Request, *, stream: bool) -> Any:
            response = super()._respond(request, stream=stream)
            failed = Attempt("openai", "gpt-5-nano", False, 3.0, error_type="AuthenticationError",
                             error=f"bad key {SECRET}", status=401)
            decision = dataclasses.replace(response.decision, attempts=(failed, *response.decision.attempts))
            return dataclasses.replace(response, decision=decision)

    llm = RoutedLLM(router=Leaky(), api_keys={"openai": SECRET})  # type: ignore[arg-type]
    response = llm.chat([ChatMessage(role="user", content="x")])
    assert response.additional_kwargs["routing"]["attempts"][0]["error"] == "bad key **********"
    assert SECRET not in response.model_dump_json()
    decision = next(e for e in capture.events if isinstance(e, RoutingDecisionEvent))
    assert SECRET not in json.dumps(decision.model_dump(), default=str)
    assert SECRET not in json.dumps(decision.to_dict())


def test_prepare_chat_with_tools_orders_history_then_user_message() -> None:
    llm, _ = make()
    kwargs = llm._prepare_chat_with_tools(
        [FunctionTool.from_defaults(add)],
        user_msg="now add",
        chat_history=[ChatMessage(role="system", content="sys"), ChatMessage(role="user", content="hi")],
        tool_required=True,
        temperature=0.1,
    )
    assert [m.content for m in kwargs["messages"]] == ["sys", "hi", "now add"]
    assert kwargs["tool_choice"] == "required"
    assert kwargs["temperature"] == 0.1
    assert [t.name for t in kwargs["tools"]] == ["add"]
    assert llm._prepare_chat_with_tools([], user_msg="x") == {"messages": [ChatMessage(role="user", content="x")]}


def test_tool_results_round_trip_through_a_request() -> None:
    llm, router = make()
    history = [
        ChatMessage(role="user", content="add 2 and 3"),
        ChatMessage(role="assistant", blocks=[ToolCallBlock(tool_call_id="abcdefghi", tool_name="add",
                                                            tool_kwargs={"a": 2, "b": 3})]),
        ChatMessage(role="tool", content="error: overflow",
                    additional_kwargs={"tool_call_id": "abcdefghi", "is_error": True}),
    ]
    llm.chat(history, tools=[FunctionTool.from_defaults(add)])
    request = router.requests[-1]
    assert request.messages[1].tool_calls == (ToolCall("abcdefghi", "add", {"a": 2, "b": 3}),)
    tool = request.messages[2]
    assert (tool.role, tool.tool_call_id, tool.is_error, tool.text) == ("tool", "abcdefghi", True, "error: overflow")
