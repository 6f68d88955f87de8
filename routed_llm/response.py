"""What the Router returns: the answer plus the routing decision and the step's cost."""

from __future__ import annotations

from dataclasses import dataclass

from routed_llm.events import RoutingDecision, StepCost
from routed_llm.messages import FinishReason, Message, ToolCallDelta, Usage


@dataclass(frozen=True, slots=True)
class Response:
    """A routed step. Tool-call ids in ``message`` are the router's own (stable across providers)."""

    message: Message
    usage: Usage
    finish_reason: FinishReason
    model: str
    provider: str
    decision: RoutingDecision
    cost: StepCost

    @property
    def text(self) -> str:
        return self.message.text


@dataclass(frozen=True, slots=True)
class StreamChunk:
    """A streamed delta. Tool call deltas carry router ids. The last chunk carries ``response``
    (the whole message, usage, decision and cost), so consumers without callbacks still get them.
    ``model``/``provider`` name the endpoint producing the stream (set on every chunk)."""

    text: str = ""
    reasoning: str = ""
    tool_call: ToolCallDelta | None = None
    response: Response | None = None
    model: str | None = None
    provider: str | None = None
