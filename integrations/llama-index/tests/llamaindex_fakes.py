"""A stand-in for the core Router: scripted answers, real Response / StreamChunk records.

Unit tests of the adapter use it so they do not depend on the classifier, the policy or the
providers; the agent tests in test_llamaindex_agents.py use the real Router and the emulator.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import AsyncIterator, Callable, Iterator
from decimal import Decimal
from typing import Any

from llama_index.core.bridge.pydantic import Field
from llama_index.core.instrumentation.event_handlers import BaseEventHandler
from llama_index.core.instrumentation.events import BaseEvent
from routed_llm.catalog import Catalog, load_catalog
from routed_llm.events import Attempt, RoutingDecision, StepCost
from routed_llm.messages import Message, Request, ToolCall, ToolCallDelta, Usage
from routed_llm.response import Response, StreamChunk

Script = Callable[[Request], Message]


def echo(request: Request) -> Message:
    return Message.assistant(f"echo: {request.messages[-1].text}")


def tool_script(request: Request) -> Message:
    """Call each bound tool once, in order, then answer with the tool results."""
    called = {c.name for m in request.messages for c in m.tool_calls}
    for tool in request.tools:
        if tool.name not in called:
            return Message.assistant("", [ToolCall(uuid.uuid4().hex[:9], tool.name, {"x": 1})])
    results = [m.text for m in request.messages if m.role == "tool"]
    return Message.assistant("done: " + ", ".join(results))


class FakeRouter:
    def __init__(self, script: Script = echo, *, model: str = "gpt-5-mini", provider: str = "openai") -> None:
        self.script = script
        self.model = model
        self.provider = provider
        self.catalog: Catalog = load_catalog()
        self.requests: list[Request] = []
        self.total = Decimal(0)

    def available_providers(self) -> frozenset[str]:
        return frozenset({self.provider})

    def _respond(self, request: Request, *, stream: bool) -> Response:
        self.requests.append(request)
        message = self.script(request)
        prompt = sum(len(m.text.split()) + 3 for m in request.messages)
        usage = Usage(input_tokens=prompt, output_tokens=len(message.text.split()) + 5 * len(message.tool_calls) + 1)
        cost = Decimal(usage.input_tokens) * Decimal("0.000001") + Decimal(usage.output_tokens) * Decimal("0.000002")
        baseline = cost * 5
        self.total += cost
        step = uuid.uuid4().hex[:16]
        decision = RoutingDecision(
            step_id=step, session_id=request.session_id or "fingerprint", label="chat", confidence=0.8,
            path="rules", model=self.model, provider=self.provider,
            chain=(f"{self.provider}/{self.model}",),
            attempts=(Attempt(self.provider, self.model, True, 1.0, usage=usage, cost=cost),),
            cost=cost, baseline_cost=baseline, baseline_model="gpt-5", latency_ms=1.0, usage=usage, dial=0.5,
            stream=stream,
        )
        step_cost = StepCost(
            step_id=step, session_id=decision.session_id, label="chat", provider=self.provider, model=self.model,
            usage=usage, cost=cost, failed_attempts_cost=Decimal(0), baseline_cost=baseline,
            baseline_model="gpt-5", session_total=self.total, session_baseline_total=self.total * 5,
        )
        finish = "tool_calls" if message.tool_calls else "stop"
        return Response(message, usage, finish, self.model, self.provider, decision, step_cost)

    def invoke(self, request: Request) -> Response:
        return self._respond(request, stream=False)

    async def ainvoke(self, request: Request) -> Response:
        return self._respond(request, stream=False)

    def stream(self, request: Request) -> Iterator[StreamChunk]:
        response = self._respond(request, stream=True)
        yield from _chunks(response)

    async def astream(self, request: Request) -> AsyncIterator[StreamChunk]:
        response = self._respond(request, stream=True)
        for chunk in _chunks(response):
            yield chunk


def _chunks(response: Response) -> Iterator[StreamChunk]:
    for part in response.message.reasoning:
        yield StreamChunk(reasoning=part.text)
    words = response.message.text.split(" ")
    for i, word in enumerate(words):
        if word or i:
            yield StreamChunk(text=word if i == 0 else " " + word)
    for index, call in enumerate(response.message.tool_calls):
        args = json.dumps(dict(call.arguments))
        half = len(args) // 2
        yield StreamChunk(tool_call=ToolCallDelta(index, id=call.id, name=call.name, arguments=args[:half]))
        yield StreamChunk(tool_call=ToolCallDelta(index, arguments=args[half:]))
    yield StreamChunk(response=response)


class Capture(BaseEventHandler):
    """Keeps every instrumentation event the root dispatcher sends."""

    events: list[BaseEvent] = Field(default_factory=list)

    @classmethod
    def class_name(cls) -> str:
        return "Capture"

    def handle(self, event: BaseEvent, **kwargs: Any) -> None:
        self.events.append(event)
