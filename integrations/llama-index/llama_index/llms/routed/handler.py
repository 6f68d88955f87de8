"""An event handler that collects routed-llm's per-step costs: the LlamaIndex counterpart of the
LangChain adapter's ``get_routing_callback()``.

    from llama_index.llms.routed import get_routing_handler

    with get_routing_handler(trace_path="trace.jsonl") as handler:
        await agent.run("...")
    handler.total_cost, handler.total_baseline_cost, handler.savings, handler.steps

or attach one for good: ``get_dispatcher().add_event_handler(RoutingEventHandler())``.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from typing import Any

from llama_index.core.bridge.pydantic import Field, PrivateAttr
from llama_index.core.instrumentation.event_handlers import BaseEventHandler
from llama_index.core.instrumentation.events import BaseEvent
from llama_index_instrumentation import get_dispatcher
from routed_llm.totals import StepMoney, Totals, TotalsView

from llama_index.llms.routed.events import RoutingDecisionEvent, StepCostEvent

FRAMEWORK = "llama_index"
TRACE_VERSION = 1  # routed_llm.trace.TRACE_VERSION


@dataclass(frozen=True, slots=True)
class RoutedStep:
    """One step as the handler saw it: the decision and its cost."""

    decision: RoutingDecisionEvent | None
    cost: StepCostEvent

    @property
    def step_id(self) -> str:
        return self.cost.step_id


def _trace_line(decision: RoutingDecisionEvent, cost: StepCostEvent) -> dict[str, Any]:
    """One trace record: the shape the core's ``TraceWriter`` and the LangChain adapter write."""
    return {"v": TRACE_VERSION, "framework": FRAMEWORK, "decision": decision.to_dict(), "cost": cost.to_dict()}


class RoutingEventHandler(TotalsView, BaseEventHandler):
    """Collects ``RoutingDecisionEvent`` / ``StepCostEvent``; totals per run and per session.

    ``trace_path``: append one JSON line per step,
    ``{"decision": ..., "cost": ..., "framework": "llama_index"}``.
    """

    trace_path: str | None = Field(default=None, description="Append one JSON line per step here.")

    _lock: threading.Lock = PrivateAttr(default_factory=threading.Lock)
    _decisions: dict[str, RoutingDecisionEvent] = PrivateAttr(default_factory=dict)
    _steps: list[RoutedStep] = PrivateAttr(default_factory=list)

    @classmethod
    def class_name(cls) -> str:
        return "RoutingEventHandler"

    def handle(self, event: BaseEvent, **kwargs: Any) -> None:
        if isinstance(event, RoutingDecisionEvent):
            with self._lock:
                self._decisions[event.step_id] = event
        elif isinstance(event, StepCostEvent):
            with self._lock:
                decision = self._decisions.pop(event.step_id, None)
                self._steps.append(RoutedStep(decision, event))
                if self.trace_path is not None and decision is not None:
                    self._write(decision, event)

    def _write(self, decision: RoutingDecisionEvent, cost: StepCostEvent) -> None:
        assert self.trace_path is not None
        path = Path(self.trace_path)
        path.parent.mkdir(parents=True, exist_ok=True)
        line = json.dumps(_trace_line(decision, cost), separators=(",", ":"))
        with path.open("a", encoding="utf-8") as fh:
            fh.write(line + "\n")

    # ------------------------------------------------------------------ results
    @property
    def steps(self) -> list[RoutedStep]:
        with self._lock:
            return list(self._steps)

    @property
    def step_costs(self) -> list[StepCostEvent]:
        return [s.cost for s in self.steps]

    @property
    def decisions(self) -> list[RoutingDecisionEvent]:
        return [s.decision for s in self.steps if s.decision is not None]

    @property
    def totals(self) -> Totals:
        """All totals at once (``routed_llm.totals.Totals``)."""
        return Totals.of(
            StepMoney(s.cost.label, s.cost.provider, s.cost.model, s.cost.cost, s.cost.baseline_cost,
                      bool(s.decision is not None and s.decision.fallback), s.cost.session_id)
            for s in self.steps
        )

    @property
    def total_tokens(self) -> dict[str, int]:
        out = {"input_tokens": 0, "output_tokens": 0, "total_tokens": 0}
        for step in self.step_costs:
            out["input_tokens"] += step.usage.get("input_tokens", 0)
            out["output_tokens"] += step.usage.get("output_tokens", 0)
        out["total_tokens"] = out["input_tokens"] + out["output_tokens"]
        return out

    def totals_by_session(self) -> dict[str | None, Decimal | None]:
        return self.totals.by_session

    def models_used(self) -> list[str]:
        """``provider/model`` of each step, in order."""
        return [f"{s.provider}/{s.model}" for s in self.step_costs]

    def reset(self) -> None:
        with self._lock:
            self._decisions.clear()
            self._steps.clear()

    def summary(self) -> dict[str, Any]:
        """JSON-friendly totals (money as decimal strings), the same keys as the LangChain handler's."""
        return {**self.totals.summary(), **self.total_tokens}


@contextmanager
def get_routing_handler(trace_path: str | None = None) -> Iterator[RoutingEventHandler]:
    """Attach a fresh ``RoutingEventHandler`` to the root dispatcher for the ``with`` block."""
    handler = RoutingEventHandler(trace_path=trace_path)
    root = get_dispatcher()
    root.add_event_handler(handler)
    try:
        yield handler
    finally:
        root.event_handlers = [h for h in root.event_handlers if h is not handler]


__all__ = ["RoutedStep", "RoutingEventHandler", "get_routing_handler"]
