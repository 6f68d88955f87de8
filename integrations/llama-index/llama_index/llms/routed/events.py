"""Instrumentation events carrying routed-llm's per-step records.

``RoutingDecisionEvent`` and ``StepCostEvent`` are emitted through LlamaIndex's dispatcher once per
routed step (inside the LLM call's span, so ``span_id`` ties them to the ``LLMChat*`` events).
Their fields are those of ``routed_llm.events.RoutingDecision`` and ``StepCost``, the same records
the LangChain adapter reports; money is ``Decimal`` (``None`` = unknown) and ``to_dict()`` gives the
core's JSON-friendly form. Neither ever holds an API key.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any, ClassVar, Literal, Self

from llama_index.core.bridge.pydantic import Field, PrivateAttr
from llama_index.core.instrumentation.events import BaseEvent
from routed_llm.events import RoutingDecision, StepCost
from routed_llm.redact import redact


class _RecordEvent(BaseEvent):
    """An event made from a core record (``from_record``): it keeps the record and its redacted
    ``to_dict()``; money fields hold the record's ``Decimal`` values."""

    _money_fields: ClassVar[tuple[str, ...]] = ()
    _record_fields: ClassVar[tuple[str, ...]] = ()

    _record: Any = PrivateAttr(default=None)
    _dict: dict[str, Any] | None = PrivateAttr(default=None)

    @classmethod
    def from_record(cls, record: Any, *, secrets: tuple[str, ...] = (), **kwargs: Any) -> Self:
        """The event of ``record``; any of ``secrets`` found in it (e.g. in an attempt's error
        text) is masked."""
        as_dict = redact(record.to_dict(), secrets)
        data = dict(as_dict)
        for name in cls._money_fields:
            data[name] = getattr(record, name)
        event = cls(**data, **kwargs)
        event._record = record
        event._dict = as_dict
        return event

    @property
    def savings(self) -> Decimal | None:
        cost, baseline = getattr(self, "cost", None), getattr(self, "baseline_cost", None)
        return None if cost is None or baseline is None else baseline - cost

    def to_dict(self) -> dict[str, Any]:
        """The core record's ``to_dict()`` form (money as decimal strings)."""
        if self._dict is not None:
            return dict(self._dict)
        return dict(_jsonable(self.model_dump(include=set(self._record_fields))))


class RoutingDecisionEvent(_RecordEvent):
    """Why one step went where it went (the fields of ``RoutingDecision``)."""

    step_id: str
    session_id: str | None = None
    label: str
    confidence: float
    path: Literal["pinned", "keyword", "learned", "rules"]
    model: str
    provider: str
    chain: list[str] = Field(default_factory=list)
    attempts: list[dict[str, Any]] = Field(default_factory=list)
    cost: Decimal | None = None
    baseline_cost: Decimal | None = None
    baseline_model: str
    latency_ms: float
    usage: dict[str, int] = Field(default_factory=dict)
    dial: float
    required_capabilities: list[str] = Field(default_factory=list)
    pinned_provider: str | None = None
    provider_moved_from: str | None = None
    fallback: bool = False
    stream: bool = False
    explanation: dict[str, Any] = Field(default_factory=dict)

    _money_fields: ClassVar[tuple[str, ...]] = ("cost", "baseline_cost")
    _record_fields: ClassVar[tuple[str, ...]] = tuple(RoutingDecision.__dataclass_fields__)

    @classmethod
    def class_name(cls) -> str:
        return "RoutingDecisionEvent"

    @property
    def record(self) -> RoutingDecision | None:
        """The core record this event was made from (None when built by hand)."""
        return self._record


class StepCostEvent(_RecordEvent):
    """The money of one step (the fields of ``StepCost``)."""

    step_id: str
    session_id: str | None = None
    label: str
    provider: str
    model: str
    usage: dict[str, int] = Field(default_factory=dict)
    cost: Decimal | None = None
    failed_attempts_cost: Decimal = Decimal(0)
    baseline_cost: Decimal | None = None
    baseline_model: str
    session_total: Decimal | None = None
    session_baseline_total: Decimal | None = None

    _money_fields: ClassVar[tuple[str, ...]] = (
        "cost", "failed_attempts_cost", "baseline_cost", "session_total", "session_baseline_total")
    _record_fields: ClassVar[tuple[str, ...]] = tuple(StepCost.__dataclass_fields__)

    @classmethod
    def class_name(cls) -> str:
        return "StepCostEvent"

    @property
    def record(self) -> StepCost | None:
        return self._record



def _jsonable(value: Any) -> Any:
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, dict):
        return {k: _jsonable(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_jsonable(v) for v in value]
    return value


__all__ = ["RoutingDecisionEvent", "StepCostEvent"]
