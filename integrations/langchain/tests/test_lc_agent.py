"""Real agents against the emulator: ``langchain.agents.create_agent`` and a LangGraph graph with a
checkpointer, multi-step tool use, steps routed within one provider, the pin kept per thread."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from langchain.agents import create_agent
from langchain_core.messages import AIMessage, HumanMessage, ToolMessage
from langchain_core.tools import tool
from langgraph.checkpoint.memory import InMemorySaver
from langgraph.graph import START, MessagesState, StateGraph
from langgraph.prebuilt import ToolNode, tools_condition

from langchain_routed_llm import RoutedChatModel, get_routing_callback

TASK = (
    "Use search_docs to find the parser code, then run word_count on what it returned, "
    "then explain the code in detail."
)


@tool
def search_docs(query: str) -> str:
    """Search the project documentation and return the best matching snippet."""
    return (
        "```python\ndef parse(text: str) -> dict:\n    data = json.loads(text)\n"
        "    if not isinstance(data, dict):\n        raise ValueError('expected an object')\n"
        "    return data\n```"
    )


@tool
def word_count(text: str) -> int:
    """Count the words of a text."""
    return len(text.split())


TOOLS = [search_docs, word_count]


def _routing(messages: list[Any]) -> list[dict[str, Any]]:
    return [m.response_metadata["routing"] for m in messages if isinstance(m, AIMessage)]


def test_create_agent_multi_step(emulated_model: Callable[..., RoutedChatModel]) -> None:
    llm = emulated_model()
    agent = create_agent(model=llm, tools=TOOLS, system_prompt="You are a careful research assistant.")
    with get_routing_callback() as cb:
        result = agent.invoke({"messages": [HumanMessage(TASK)]})
    messages = result["messages"]
    tool_results = [m for m in messages if isinstance(m, ToolMessage)]
    assert [m.name for m in tool_results] == ["search_docs", "word_count"]
    assert all(m.status != "error" for m in tool_results)
    final = messages[-1]
    assert isinstance(final, AIMessage) and final.text and not final.tool_calls
    routing = _routing(messages)
    assert len(routing) == 3
    assert len({r["provider"] for r in routing}) == 1, routing
    assert len({r["model"] for r in routing}) >= 2, [(r["label"], r["model"]) for r in routing]
    assert len({r["session_id"] for r in routing}) == 1
    # the callback saw each step once, and the tool-call ids the agent replayed were the router's
    assert [s.step_id for s in cb.steps] == [r["step_id"] for r in routing]
    ids = {c["id"] for m in messages if isinstance(m, AIMessage) for c in m.tool_calls}
    assert ids == {m.tool_call_id for m in tool_results}


def _graph(llm: RoutedChatModel) -> Any:
    bound = llm.bind_tools(TOOLS)

    def agent(state: MessagesState) -> dict[str, Any]:
        return {"messages": [bound.invoke(state["messages"])]}

    builder = StateGraph(MessagesState)
    builder.add_node("agent", agent)
    builder.add_node("tools", ToolNode(TOOLS))
    builder.add_edge(START, "agent")
    builder.add_conditional_edges("agent", tools_condition)
    builder.add_edge("tools", "agent")
    return builder.compile(checkpointer=InMemorySaver())


def test_langgraph_thread_keeps_its_pin(emulated_model: Callable[..., RoutedChatModel]) -> None:
    graph = _graph(emulated_model())
    config = {"configurable": {"thread_id": "thread-A"}}
    first = graph.invoke({"messages": [HumanMessage(TASK)]}, config)
    n = len(first["messages"])
    second = graph.invoke({"messages": [HumanMessage("Now use word_count on the word list 'a b c'.")]}, config)
    one, two = _routing(first["messages"]), _routing(second["messages"][n:])
    assert len(one) == 3 and len(two) == 2
    assert {r["session_id"] for r in one + two} == {"thread-A"}
    provider = one[0]["provider"]
    assert {r["provider"] for r in one + two} == {provider}
    assert all(r["pinned_provider"] == provider for r in two)
    # another thread is another session
    other = graph.invoke({"messages": [HumanMessage("Say hello.")]}, {"configurable": {"thread_id": "thread-B"}})
    assert _routing(other["messages"])[0]["session_id"] == "thread-B"


async def test_langgraph_async_streaming(emulated_model: Callable[..., RoutedChatModel]) -> None:
    graph = _graph(emulated_model(streaming=True))
    config = {"configurable": {"thread_id": "thread-async"}}
    custom = []
    async for event in graph.astream_events({"messages": [HumanMessage(TASK)]}, config, version="v2"):
        if event["event"] == "on_custom_event":
            custom.append(event["name"])
    state = await graph.aget_state(config)
    routing = _routing(state.values["messages"])
    assert len(routing) == 3 and {r["session_id"] for r in routing} == {"thread-async"}
    assert custom == ["routed_llm.decision", "routed_llm.step_cost"] * 3
