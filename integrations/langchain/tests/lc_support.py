"""Test support: ``emulated_model_params`` (a RoutedChatModel wired to the emulator) and
``FakeRouter``, a stand-in Router for adapter tests that need no HTTP: it records each Request and
answers with a canned routed Response (a call of the tool named in the newest user message)."""

from __future__ import annotations

import itertools
import json
from collections.abc import AsyncIterator, Iterator, Mapping
from decimal import Decimal
from typing import Any

from pydantic import SecretStr
from routed_llm.events import Attempt, RoutingDecision, StepCost
from routed_llm.messages import Message, NamedTool, Request, ToolCall, ToolCallDelta, Usage
from routed_llm.response import Response, StreamChunk

# A distinctive key: tests assert it never shows up in any payload, repr or trace line.
EMULATOR_KEY = "sk-emu-0123456789-SECRET-abcdefghijkl"


def _args(schema: Mapping[str, Any]) -> dict[str, Any]:
    props = schema.get("properties") or {}
    return {k: 1 if v.get("type") in ("integer", "number") else "x" for k, v in props.items()}


class FakeRouter:
    def __init__(self, provider: str = "openai", models: tuple[str, ...] = ("gpt-5-mini", "gpt-5-nano")) -> None:
        self.provider = provider
        self.models = models
        self.requests: list[Request] = []
        self._steps = itertools.count(1)
        self._totals: dict[str, tuple[Decimal, Decimal]] = {}

    def _answer(self, request: Request, *, stream: bool) -> Response:
        self.requests.append(request)
        n = next(self._steps)
        model = request.options.model or self.models[n % len(self.models)]
        user = next((m.text for m in reversed(request.messages) if m.role == "user"), "")
        answered = {m.tool_call_id for m in request.messages if m.role == "tool"}
        called = {c.name for m in request.messages for c in m.tool_calls if c.id in answered}
        forced = request.tool_choice.name if isinstance(request.tool_choice, NamedTool) else None
        calls = tuple(
            ToolCall(f"call{n:04d}{i}", t.name, _args(t.parameters))
            for i, t in enumerate(request.tools)
            if t.name == forced or (forced is None and t.name in user and t.name not in called)
        )[:1]
        message = Message.assistant("" if calls else f"[{model}] answer {n}", calls)
        usage = Usage(input_tokens=100 + n, output_tokens=10, cache_read_tokens=50, reasoning_tokens=2)
        cost = Decimal("0.000100") * n
        baseline = Decimal("0.001000") * n
        session = request.session_id or "fingerprint"
        spent, base = self._totals.get(session, (Decimal(0), Decimal(0)))
        self._totals[session] = (spent + cost, base + baseline)
        step = f"step{n:04d}"
        decision = RoutingDecision(
            step_id=step, session_id=session, label=request.options.label or ("code" if calls else "chat"),
            confidence=0.8, path="pinned" if request.options.model else "rules", model=model,
            provider=self.provider, chain=(f"{self.provider}/{model}",),
            attempts=(Attempt(self.provider, model, True, 5.0, usage=usage, cost=cost),), cost=cost,
            baseline_cost=baseline, baseline_model="gpt-5", latency_ms=6.0, usage=usage,
            dial=request.options.effective_dial(0.5), stream=stream,
        )
        step_cost = StepCost(step, session, decision.label, self.provider, model, usage, cost, Decimal(0),
                             baseline, "gpt-5", *self._totals[session])
        return Response(message, usage, "tool_calls" if calls else "stop", model, self.provider, decision, step_cost)

    def invoke(self, request: Request) -> Response:
        return self._answer(request, stream=False)

    async def ainvoke(self, request: Request) -> Response:
        return self._answer(request, stream=False)

    def _chunks(self, response: Response) -> Iterator[StreamChunk]:
        text = response.message.text
        for i in range(0, len(text), 5):
            yield StreamChunk(text=text[i:i + 5])
        for i, call in enumerate(response.message.tool_calls):
            args = json.dumps(dict(call.arguments))
            yield StreamChunk(tool_call=ToolCallDelta(i, call.id, call.name, args[:3]))
            yield StreamChunk(tool_call=ToolCallDelta(i, None, None, args[3:]))
        yield StreamChunk(response=response)

    def stream(self, request: Request) -> Iterator[StreamChunk]:
        yield from self._chunks(self._answer(request, stream=True))

    async def astream(self, request: Request) -> AsyncIterator[StreamChunk]:
        for chunk in self._chunks(self._answer(request, stream=True)):
            yield chunk


def emulated_model_params(emu: Any, **kw: Any) -> dict[str, Any]:
    """Constructor arguments of a RoutedChatModel whose every provider is the emulator."""
    urls = emu.base_urls()
    return {
        "api_keys": {p: SecretStr(EMULATOR_KEY) for p in urls},
        "base_urls": urls,
        "classifier": "rules",
        **kw,
    }
