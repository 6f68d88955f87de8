"""RoutedChatModel against a fake Router: request building, options, events, metadata, secrets."""

from __future__ import annotations

from typing import Any
from uuid import UUID

import pytest
from langchain_core.callbacks import BaseCallbackHandler, get_usage_metadata_callback
from langchain_core.messages import AIMessage, AIMessageChunk, HumanMessage, ToolMessage
from langchain_core.runnables import RunnableLambda
from lc_support import FakeRouter
from pydantic import BaseModel, SecretStr
from routed_llm.messages import NamedTool, Thinking

from langchain_routed_llm import DECISION_EVENT, STEP_COST_EVENT, RoutedChatModel

SECRET = "sk-live-THIS-MUST-NEVER-LEAK-1234567890"


class Events(BaseCallbackHandler):
    run_inline = True

    def __init__(self) -> None:
        self.custom: list[tuple[str, dict[str, Any], UUID]] = []
        self.llm_runs: list[UUID] = []

    def on_chat_model_start(self, serialized: Any, messages: Any, *, run_id: UUID, **kw: Any) -> None:
        self.llm_runs.append(run_id)

    def on_custom_event(self, name: str, data: Any, *, run_id: UUID, **kw: Any) -> None:
        self.custom.append((name, data, run_id))


def model(router: FakeRouter, **kw: Any) -> RoutedChatModel:
    return RoutedChatModel(router=router, **kw)


def test_router_is_built_lazily_once() -> None:
    llm = RoutedChatModel(api_key=SECRET)
    assert llm._router is None
    assert SECRET not in repr(llm) and SECRET not in str(llm.model_dump())


def test_router_conflicts_are_refused(fake_router: FakeRouter) -> None:
    with pytest.raises(ValueError, match="router= was given together with"):
        RoutedChatModel(router=fake_router, api_key="x")


def test_invoke_metadata_usage_and_events(fake_router: FakeRouter) -> None:
    events = Events()
    ai = model(fake_router).invoke("hello", config={"callbacks": [events]})
    assert isinstance(ai, AIMessage) and ai.text.startswith("[gpt-5-")
    assert ai.response_metadata["model_provider"] == "openai"
    assert ai.response_metadata["model_name"] == ai.response_metadata["routing"]["model"]
    assert ai.usage_metadata is not None and ai.usage_metadata["input_token_details"]["cache_read"] == 50
    assert ai.usage_metadata["output_token_details"]["reasoning"] == 2
    assert [name for name, _, _ in events.custom] == [DECISION_EVENT, STEP_COST_EVENT]
    assert {run for _, _, run in events.custom} == set(events.llm_runs)


def test_usage_callback_keeps_per_model_totals(fake_router: FakeRouter) -> None:
    llm = model(fake_router)
    with get_usage_metadata_callback() as cb:
        for _ in range(4):
            llm.invoke("hi")
    assert set(cb.usage_metadata) == {"gpt-5-mini", "gpt-5-nano"}
    assert sum(u["input_tokens"] for u in cb.usage_metadata.values()) == 101 + 102 + 103 + 104
    assert cb.usage_metadata["gpt-5-mini"]["input_token_details"]["cache_read"] == 100


def test_stream_merges_and_carries_routing_in_band(fake_router: FakeRouter) -> None:
    llm = model(fake_router).bind_tools([lookup])
    events = Events()
    chunks = list(llm.stream("please lookup x", config={"callbacks": [events]}))
    full = chunks[0]
    for c in chunks[1:]:
        full = full + c
    assert isinstance(full, AIMessageChunk)
    assert full.tool_calls[0]["name"] == "lookup" and full.tool_calls[0]["args"] == {"x": 1}
    assert full.response_metadata["routing"]["stream"] is True
    assert full.usage_metadata is not None and full.usage_metadata["input_tokens"] > 0
    # the events reach the run's handlers although _stream gets no run manager
    assert [n for n, _, _ in events.custom] == [DECISION_EVENT, STEP_COST_EVENT]
    assert events.custom[0][2] == events.llm_runs[0]


async def test_astream_and_astream_events(fake_router: FakeRouter) -> None:
    llm = model(fake_router)
    text = ""
    async for chunk in llm.astream("hello"):
        text += chunk.text
    assert text.startswith("[gpt-5-")
    names = [e["name"] async for e in llm.astream_events("hello", version="v2") if e["event"] == "on_custom_event"]
    assert names == [DECISION_EVENT, STEP_COST_EVENT]
    chain = RunnableLambda(lambda x: x) | llm
    names = [e["name"] async for e in chain.astream_events("hello", version="v2") if e["event"] == "on_custom_event"]
    assert names == [DECISION_EVENT, STEP_COST_EVENT]


def test_streaming_true_streams_on_invoke(fake_router: FakeRouter) -> None:
    tokens: list[str] = []

    class Tokens(BaseCallbackHandler):
        def on_llm_new_token(self, token: str, **kw: Any) -> None:
            tokens.append(token)

    ai = model(fake_router, streaming=True).invoke("hello", config={"callbacks": [Tokens()]})
    assert len(tokens) > 2 and ai.response_metadata["routing"]["stream"] is True


def test_routing_options_precedence(fake_router: FakeRouter) -> None:
    llm = model(fake_router, preference="cost", session_id="ctor")
    llm.invoke("a")
    r = fake_router.requests[-1]
    assert r.options.preference == "cost" and r.session_id == "ctor"
    llm.bind(model="gpt-5-nano", dial=0.2).invoke("a")
    r = fake_router.requests[-1]
    assert r.options.model == "gpt-5-nano" and r.options.dial == 0.2
    llm.with_config(configurable={"routed_llm_dial": 0.9, "routed_llm_label": "code"}).invoke("a")
    r = fake_router.requests[-1]
    assert r.options.dial == 0.9 and r.options.label == "code"
    llm.with_config(configurable={"routed_llm_model": "gpt-5-mini"}).invoke("a")
    assert fake_router.requests[-1].options.model == "gpt-5-mini"
    # LangGraph's thread_id wins over the explicit session id
    llm.invoke("a", config={"configurable": {"thread_id": "t-1"}})
    assert fake_router.requests[-1].session_id == "t-1"
    llm.invoke("a", config={"metadata": {"thread_id": "t-2"}})  # where LangGraph puts it
    assert fake_router.requests[-1].session_id == "t-2"
    list(llm.stream("a", config={"configurable": {"thread_id": "t-3"}}))
    assert fake_router.requests[-1].session_id == "t-3"
    model(fake_router).invoke("a")
    assert fake_router.requests[-1].session_id is None


def test_standard_params_reach_the_request(fake_router: FakeRouter) -> None:
    llm = model(fake_router, temperature=0.3, max_tokens=50, stop=["END"], timeout=9)
    llm.invoke("a")
    r = fake_router.requests[-1]
    assert (r.temperature, r.max_tokens, r.stop, r.timeout) == (0.3, 50, ("END",), 9)
    llm.invoke("a", stop=["X"], temperature=0.0, max_tokens=5, thinking={"type": "enabled", "budget_tokens": 64})
    r = fake_router.requests[-1]
    assert (r.temperature, r.max_tokens, r.stop) == (0.0, 5, ("X",))
    assert r.thinking == Thinking(budget_tokens=64)
    assert r.metadata["framework"] == "langchain"


class Weather(BaseModel):
    """Weather of a city."""

    city: str


def lookup(x: int) -> str:
    """Look x up."""
    return str(x)


def test_bind_tools_forms_and_choices(fake_router: FakeRouter) -> None:
    llm = model(fake_router)
    llm.bind_tools([Weather, lookup], tool_choice="any", parallel_tool_calls=False).invoke("a")
    r = fake_router.requests[-1]
    assert [t.name for t in r.tools] == ["Weather", "lookup"]
    assert r.tool_choice == "required" and r.parallel_tool_calls is False
    llm.bind_tools([Weather, lookup], tool_choice="lookup").invoke("a")
    assert fake_router.requests[-1].tool_choice == NamedTool("lookup")
    with pytest.raises(ValueError, match="not among"):
        llm.bind_tools([Weather], tool_choice="nope")


def test_tool_loop_passes_router_ids_back(fake_router: FakeRouter) -> None:
    llm = model(fake_router).bind_tools([lookup])
    first = llm.invoke([HumanMessage("lookup please")])
    call = first.tool_calls[0]
    llm.invoke([HumanMessage("lookup please"), first, ToolMessage("42", tool_call_id=call["id"])])
    r = fake_router.requests[-1]
    assert r.messages[1].tool_calls[0].id == call["id"] == r.messages[2].tool_call_id


@pytest.mark.parametrize("include_raw", [False, True])
def test_structured_output_function_calling(fake_router: FakeRouter, include_raw: bool) -> None:
    out = model(fake_router).with_structured_output(Weather, include_raw=include_raw).invoke("Weather?")
    r = fake_router.requests[-1]
    assert r.tool_choice == NamedTool("Weather") and r.parallel_tool_calls is False
    if include_raw:
        assert isinstance(out, dict) and isinstance(out["raw"], AIMessage)
        assert out["parsing_error"] is None and out["parsed"] == Weather(city="x")
    else:
        assert out == Weather(city="x")


def test_structured_output_json_schema_builds_a_response_format(fake_router: FakeRouter) -> None:
    chain = model(fake_router).with_structured_output(Weather, method="json_schema", include_raw=True)
    chain.invoke("weather")
    fmt = fake_router.requests[-1].response_format
    assert fmt is not None and fmt.name == "Weather" and fmt.schema is not None
    model(fake_router).with_structured_output(None, method="json_mode", include_raw=True).invoke("json")
    fmt = fake_router.requests[-1].response_format
    assert fmt is not None and fmt.schema is None


def test_secrets_never_reach_payloads(fake_router: FakeRouter) -> None:
    llm = RoutedChatModel(api_keys={"openai": SecretStr(SECRET)})
    assert SECRET not in repr(llm)
    # a payload that somehow held the key is scrubbed before dispatch
    from routed_llm.redact import redact

    assert SECRET not in str(redact({"a": [f"Bearer {SECRET}"]}, llm._secrets()))


def test_create_agent_loop_with_fake_router(fake_router: FakeRouter) -> None:
    from langchain.agents import create_agent

    agent = create_agent(model=model(fake_router), tools=[lookup])
    result = agent.invoke({"messages": [HumanMessage("please lookup 3")]},
                          config={"configurable": {"thread_id": "fake-thread"}})
    kinds = [type(m).__name__ for m in result["messages"]]
    assert kinds == ["HumanMessage", "AIMessage", "ToolMessage", "AIMessage"]
    assert {r.session_id for r in fake_router.requests} == {"fake-thread"}
    models = [m.response_metadata["model_name"] for m in result["messages"] if isinstance(m, AIMessage)]
    assert len(set(models)) == 2
