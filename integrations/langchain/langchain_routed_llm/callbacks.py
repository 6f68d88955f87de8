"""Collect every routed step's record and the run's totals through LangChain callbacks.

    from langchain_routed_llm import get_routing_callback

    with get_routing_callback() as cb:
        agent.invoke({"messages": [...]})
    print(cb.total_cost, cb.total_baseline_cost, cb.savings, cb.label_mix)

The handler listens to the custom events ``routed_llm.decision`` / ``routed_llm.step_cost`` that
``RoutedChatModel`` dispatches on its run, and falls back to ``response_metadata["routing"]`` of
the model's output (``on_llm_end``) when no event reached it, so each step is counted once.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from typing import Any
from uuid import UUID

from langchain_core.callbacks import BaseCallbackHandler
from langchain_core.messages import AIMessage
from langchain_core.outputs import ChatGeneration, LLMResult
from langchain_core.tracers.context import register_configure_hook
from routed_llm.totals import StepMoney, Totals, TotalsView

from langchain_routed_llm.chat_models import DECISION_EVENT, STEP_COST_EVENT

FRAMEWORK = "langchain"
TRACE_VERSION = 1


def _decimal(value: Any) -> Decimal | None:
    if value is None:
        return None
    return Decimal(str(value))


@dataclass(frozen=True)
class StepRecord:
    """One routed step: ``decision`` is ``RoutingDecision.to_dict()`` and ``cost`` is
    ``StepCost.to_dict()`` (from the in-band ``routing`` entry when no event arrived, then
    ``complete`` is False and ``decision`` lacks the policy's explanation)."""

    decision: Mapping[str, Any]
    cost: Mapping[str, Any]
    complete: bool = True

    @property
    def step_id(self) -> str:
        return str(self.decision.get("step_id"))

    @property
    def label(self) -> str:
        return str(self.decision.get("label"))

    @property
    def model(self) -> str:
        return str(self.decision.get("model"))

    @property
    def provider(self) -> str:
        return str(self.decision.get("provider"))

    @property
    def session_id(self) -> str | None:
        value = self.decision.get("session_id")
        return None if value is None else str(value)

    @property
    def step_cost(self) -> Decimal | None:
        return _decimal(self.cost.get("cost"))

    @property
    def baseline_cost(self) -> Decimal | None:
        return _decimal(self.cost.get("baseline_cost"))

    @property
    def savings(self) -> Decimal | None:
        cost, baseline = self.step_cost, self.baseline_cost
        return None if cost is None or baseline is None else baseline - cost

    @property
    def fallback(self) -> bool:
        return bool(self.decision.get("fallback"))

    def trace_line(self) -> dict[str, Any]:
        """The routing trace record (the same shape ``routed_llm.trace`` writes)."""
        return {"v": TRACE_VERSION, "framework": FRAMEWORK, "decision": dict(self.decision), "cost": dict(self.cost)}


@dataclass
class _Pending:
    decision: Mapping[str, Any] | None = None
    cost: Mapping[str, Any] | None = None
    runs: set[UUID] = field(default_factory=set)


class RoutingCallbackHandler(TotalsView, BaseCallbackHandler):
    """Collects each routed step (``steps``) and the totals; optionally appends each step to a
    JSON-lines trace (``trace_path``), one ``{"v", "framework", "decision", "cost"}`` object per line.
    Thread-safe; one handler may watch many models, threads and sessions."""

    run_inline = True
    raise_error = False

    def __init__(self, trace_path: str | Path | None = None) -> None:
        super().__init__()
        self.trace_path = Path(trace_path) if trace_path is not None else None
        self._lock = threading.Lock()
        self._steps: list[StepRecord] = []
        self._seen: set[str] = set()
        self._pending: dict[str, _Pending] = {}

    def __repr__(self) -> str:
        return (f"RoutingCallbackHandler(steps={len(self._steps)}, cost={self.total_cost}, "
                f"baseline={self.total_baseline_cost}, savings={self.savings})")

    # ------------------------------------------------------------------ callbacks
    def on_custom_event(
        self,
        name: str,
        data: Any,
        *,
        run_id: UUID,
        tags: list[str] | None = None,
        metadata: dict[str, Any] | None = None,
        **kwargs: Any,
    ) -> None:
        if name not in (DECISION_EVENT, STEP_COST_EVENT) or not isinstance(data, Mapping):
            return
        step_id = str(data.get("step_id"))
        with self._lock:
            if step_id in self._seen:
                return
            pending = self._pending.setdefault(step_id, _Pending())
            if name == DECISION_EVENT:
                pending.decision = dict(data)
            else:
                pending.cost = dict(data)
            if pending.decision is not None and pending.cost is not None:
                del self._pending[step_id]
                record = StepRecord(pending.decision, pending.cost)
                self._add(record)

    def on_llm_end(self, response: LLMResult, *, run_id: UUID, **kwargs: Any) -> None:
        for generations in response.generations:
            for generation in generations:
                if not isinstance(generation, ChatGeneration) or not isinstance(generation.message, AIMessage):
                    continue
                record = _from_message(generation.message)
                if record is None:
                    continue
                with self._lock:
                    if record.step_id not in self._seen:
                        self._pending.pop(record.step_id, None)
                        self._add(record)

    def _add(self, record: StepRecord) -> None:
        # called with the lock held
        self._seen.add(record.step_id)
        self._steps.append(record)
        if self.trace_path is not None:
            self.trace_path.parent.mkdir(parents=True, exist_ok=True)
            with self.trace_path.open("a", encoding="utf-8") as fh:
                fh.write(json.dumps(record.trace_line(), separators=(",", ":")) + "\n")

    # ------------------------------------------------------------------ totals
    @property
    def steps(self) -> list[StepRecord]:
        with self._lock:
            return list(self._steps)

    @property
    def totals(self) -> Totals:
        """All totals at once (``routed_llm.totals.Totals``)."""
        return Totals.of(
            StepMoney(s.label, s.provider, s.model, s.step_cost, s.baseline_cost, s.fallback, s.session_id)
            for s in self.steps
        )

    def reset(self) -> None:
        with self._lock:
            self._steps.clear()
            self._seen.clear()
            self._pending.clear()


def _from_message(message: AIMessage) -> StepRecord | None:
    routing = message.response_metadata.get("routing")
    if not isinstance(routing, Mapping) or not routing.get("step_id"):
        return None
    usage: Mapping[str, Any] = message.usage_metadata or {}
    details_in = usage.get("input_token_details") or {}
    details_out = usage.get("output_token_details") or {}
    usage_dict = {
        "input_tokens": usage.get("input_tokens", 0),
        "output_tokens": usage.get("output_tokens", 0),
        "cache_read_tokens": details_in.get("cache_read", 0),
        "cache_write_tokens": details_in.get("cache_creation", 0),
        "reasoning_tokens": details_out.get("reasoning", 0),
    }
    decision = {k: v for k, v in routing.items()
                if k not in ("savings", "failed_attempts_cost", "session_total", "session_baseline_total")}
    decision["usage"] = usage_dict
    cost = {
        "step_id": routing.get("step_id"),
        "session_id": routing.get("session_id"),
        "label": routing.get("label"),
        "provider": routing.get("provider"),
        "model": routing.get("model"),
        "usage": usage_dict,
        "cost": routing.get("cost"),
        "failed_attempts_cost": routing.get("failed_attempts_cost"),
        "baseline_cost": routing.get("baseline_cost"),
        "baseline_model": routing.get("baseline_model"),
        "session_total": routing.get("session_total"),
        "session_baseline_total": routing.get("session_baseline_total"),
    }
    return StepRecord(decision, cost, complete=False)


_routing_callback_var: ContextVar[RoutingCallbackHandler | None] = ContextVar(
    "routed_llm_routing_callback", default=None
)
register_configure_hook(_routing_callback_var, inheritable=True)


@contextmanager
def get_routing_callback(trace_path: str | Path | None = None) -> Iterator[RoutingCallbackHandler]:
    """A ``RoutingCallbackHandler`` attached to every LangChain run started inside the block."""
    handler = RoutingCallbackHandler(trace_path=trace_path)
    token = _routing_callback_var.set(handler)
    try:
        yield handler
    finally:
        _routing_callback_var.reset(token)
