"""RoutingCallbackHandler / get_routing_callback: per-step records, totals, trace lines, no secrets."""

from __future__ import annotations

import json
from collections.abc import Callable
from decimal import Decimal
from pathlib import Path
from typing import Any

from langchain_core.callbacks import BaseCallbackHandler
from langchain_core.messages import HumanMessage, ToolMessage
from lc_support import EMULATOR_KEY, FakeRouter
from routed_llm.trace import read_trace

from langchain_routed_llm import RoutedChatModel, RoutingCallbackHandler, get_routing_callback


class Everything(BaseCallbackHandler):
    """Keeps a repr of every callback payload it receives."""

    run_inline = True

    def __init__(self) -> None:
        self.payloads: list[str] = []

    def __getattribute__(self, name: str) -> Any:
        if name.startswith("on_") and not name.startswith("on_llm_new_token"):
            def record(*args: Any, **kwargs: Any) -> None:
                object.__getattribute__(self, "payloads").append(repr((name, args, kwargs)))
            return record
        return object.__getattribute__(self, name)


def _run_steps(llm: RoutedChatModel, config: dict[str, Any]) -> None:
    bound = llm.bind_tools([lookup])
    first = bound.invoke([HumanMessage("Use lookup for the term 'router'.")], config=config)
    call = first.tool_calls[0]
    history = [HumanMessage("Use lookup for the term 'router'."), first,
               ToolMessage("a router sends each step to a model", tool_call_id=call["id"])]
    bound.invoke(history, config=config)
    list(llm.stream("Write a short poem about the sea.", config=config))


def lookup(term: str) -> str:
    """Look a term up in the glossary."""
    return term


def test_steps_sum_to_totals_and_trace(emulated_model: Callable[..., RoutedChatModel], tmp_path: Path) -> None:
    trace = tmp_path / "trace.jsonl"
    handler = RoutingCallbackHandler(trace_path=trace)
    _run_steps(emulated_model(), {"callbacks": [handler]})
    steps = handler.steps
    assert len(steps) == 3 and all(s.complete for s in steps)
    assert handler.total_cost == sum((s.step_cost for s in steps), Decimal(0))
    assert handler.total_baseline_cost == sum((s.baseline_cost for s in steps), Decimal(0))
    assert handler.savings == handler.total_baseline_cost - handler.total_cost
    assert sum(handler.label_mix.values()) == 3
    assert sum(handler.model_mix.values()) == 3
    assert handler.fallbacks == 0
    summary = handler.summary()
    assert summary["steps"] == 3 and Decimal(summary["cost"]) == handler.total_cost
    lines = [json.loads(line) for line in trace.read_text().splitlines()]
    assert len(lines) == 3
    for line, step in zip(lines, steps, strict=True):
        assert set(line) == {"v", "framework", "decision", "cost"}
        assert line["framework"] == "langchain"
        assert line["decision"] == step.decision and line["cost"] == step.cost
        assert "explanation" in line["decision"]
    assert len(list(read_trace(trace))) == 3  # the core's reader accepts it


def test_context_manager_and_session_totals(emulated_model: Callable[..., RoutedChatModel]) -> None:
    llm = emulated_model(session_id="cb-session")
    with get_routing_callback() as cb:
        _run_steps(llm, {})
    assert len(cb.steps) == 3
    last = cb.steps[-1]
    # the core's running session total equals the sum of the step costs of that session
    assert Decimal(last.cost["session_total"]) == cb.total_cost
    assert Decimal(last.cost["session_baseline_total"]) == cb.total_baseline_cost
    with get_routing_callback() as outside:
        pass
    llm.invoke("hello")
    assert outside.steps == []


def test_no_payload_contains_the_api_key(emulated_model: Callable[..., RoutedChatModel], tmp_path: Path) -> None:
    everything = Everything()
    trace = tmp_path / "t.jsonl"
    handler = RoutingCallbackHandler(trace_path=trace)
    llm = emulated_model()
    _run_steps(llm, {"callbacks": [everything, handler]})
    assert len(everything.payloads) > 10
    for payload in everything.payloads:
        assert EMULATOR_KEY not in payload
    assert EMULATOR_KEY not in trace.read_text()
    assert EMULATOR_KEY not in repr(llm) and EMULATOR_KEY not in repr(llm.get_router())
    for step in handler.steps:
        assert EMULATOR_KEY not in json.dumps(step.decision) + json.dumps(step.cost)


def test_in_band_fallback_counts_each_step_once(fake_router: FakeRouter) -> None:
    # a handler that only sees on_llm_end (e.g. attached where custom events are not delivered)
    class EndOnly(RoutingCallbackHandler):
        def on_custom_event(self, *args: Any, **kwargs: Any) -> None:
            return None

    handler = EndOnly()
    llm = RoutedChatModel(router=fake_router)
    llm.invoke("a", config={"callbacks": [handler]})
    list(llm.stream("b", config={"callbacks": [handler]}))
    assert len(handler.steps) == 2 and not any(s.complete for s in handler.steps)
    assert handler.total_cost == Decimal("0.000300")
    full = RoutingCallbackHandler()
    llm.invoke("c", config={"callbacks": [full]})
    assert len(full.steps) == 1 and full.steps[0].complete


class Ignoring(BaseCallbackHandler):
    """A handler that opts out of custom events (as LangChain lets any handler do)."""

    ignore_custom_event = True


def test_routing_events_are_built_only_for_a_listener(emulated_model: Callable[..., RoutedChatModel]) -> None:
    """With no handler that takes custom events, the decision's explanation is never built (it is the
    costliest part of a step's record); with a listener it arrives whole."""
    llm = emulated_model()
    decisions: list[Any] = []
    llm.get_router().add_listener(type("L", (), {"on_decision": lambda self, d: decisions.append(d)})())
    llm.invoke("Summarize: the meeting moved to Friday.", config={"callbacks": [Ignoring()]})
    assert decisions and decisions[-1].explanation._data is None
    handler = RoutingCallbackHandler()
    llm.invoke("Summarize: the meeting moved to Friday.", config={"callbacks": [handler]})
    assert handler.steps[-1].decision["explanation"]["candidates"]
