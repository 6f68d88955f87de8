"""Records of what the router decided and what it cost, and the hooks that receive them.

Every step produces one ``RoutingDecision`` (which holds its ``Attempt`` list) and one ``StepCost``.
They are frozen, JSON-friendly (``to_dict``) and never hold an API key. Listeners are called
synchronously after each step; a listener that raises is logged and does not break the call.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from dataclasses import dataclass, field, fields, is_dataclass
from decimal import Decimal
from typing import Any, Literal, Protocol, runtime_checkable

from routed_llm.messages import Usage

log = logging.getLogger("routed_llm.events")

Path = Literal["pinned", "keyword", "learned", "rules"]


@dataclass(frozen=True, slots=True)
class Attempt:
    """One try at one endpoint. ``error_type`` is None when it succeeded."""

    provider: str
    model: str
    ok: bool
    latency_ms: float
    error_type: str | None = None
    error: str | None = None
    status: int | None = None
    retry_after: float | None = None
    usage: Usage | None = None
    cost: Decimal | None = None

    def to_dict(self) -> dict[str, Any]:
        return _record_dict(self)


@dataclass(frozen=True, slots=True)
class RoutingDecision:
    """Why this step went where it went. ``explanation`` is the policy's account (candidates,
    score terms, filtered models with reasons, the chain): a read-only Mapping built on first
    access; ``to_dict()`` (or ``dict(decision.explanation)``) gives plain JSON types."""

    step_id: str
    session_id: str | None
    label: str
    confidence: float
    path: Path
    model: str
    provider: str
    chain: tuple[str, ...]
    attempts: tuple[Attempt, ...]
    cost: Decimal | None
    baseline_cost: Decimal | None
    baseline_model: str
    latency_ms: float
    usage: Usage
    dial: float
    required_capabilities: tuple[str, ...] = ()
    pinned_provider: str | None = None
    provider_moved_from: str | None = None
    fallback: bool = False
    stream: bool = False
    explanation: Mapping[str, Any] = field(default_factory=dict)

    @property
    def savings(self) -> Decimal | None:
        if self.cost is None or self.baseline_cost is None:
            return None
        return self.baseline_cost - self.cost

    def to_dict(self, *, explanation: bool = True) -> dict[str, Any]:
        """Plain JSON types. ``explanation=False`` leaves the policy's explanation out (it is built
        on first read and costs more than the rest of the record)."""
        return _record_dict(self, skip=() if explanation else ("explanation",))


@dataclass(frozen=True, slots=True)
class StepCost:
    """The money of one step. ``cost`` includes failed attempts that were billed."""

    step_id: str
    session_id: str | None
    label: str
    provider: str
    model: str
    usage: Usage
    cost: Decimal | None
    failed_attempts_cost: Decimal
    baseline_cost: Decimal | None
    baseline_model: str
    session_total: Decimal | None
    session_baseline_total: Decimal | None

    @property
    def savings(self) -> Decimal | None:
        if self.cost is None or self.baseline_cost is None:
            return None
        return self.baseline_cost - self.cost

    def to_dict(self) -> dict[str, Any]:
        return _record_dict(self)


@dataclass(frozen=True, slots=True)
class ShadowResult:
    """A shadow sample: the same step sent to a reference model for comparison. It never changes
    the answer the caller got."""

    step_id: str
    session_id: str | None
    label: str
    reference_model: str
    answer_text: str
    reference_text: str | None
    reference_cost: Decimal | None
    error_type: str | None
    latency_ms: float

    def to_dict(self) -> dict[str, Any]:
        return _record_dict(self)


def _record_dict(record: Any, skip: tuple[str, ...] = ()) -> dict[str, Any]:
    """A record as plain JSON types. Shallow and fast (it runs on every step, several times in the
    adapters): ``explanation`` is already JSON-friendly, so it is shared rather than copied."""
    out: dict[str, Any] = {}
    for name in _field_names(type(record)):
        if name in skip:
            continue
        value = getattr(record, name)
        if name == "explanation":
            out[name] = value if isinstance(value, dict) else dict(value)  # lazy mappings build here
        elif value is None or type(value) in _PLAIN:
            out[name] = value
        else:
            out[name] = _jsonable(value)
    return out


_PLAIN = frozenset({str, int, float, bool})
_FIELD_NAMES: dict[type, tuple[str, ...]] = {}


def _field_names(cls: type) -> tuple[str, ...]:
    names = _FIELD_NAMES.get(cls)
    if names is None:
        names = _FIELD_NAMES[cls] = tuple(f.name for f in fields(cls))
    return names


def _jsonable(value: Any) -> Any:
    if value is None or isinstance(value, (str, int, float, bool)):
        return value
    if isinstance(value, Decimal):
        return str(value)
    if is_dataclass(value) and not isinstance(value, type):
        return _record_dict(value)
    if isinstance(value, Mapping):
        return {k: _jsonable(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_jsonable(v) for v in value]
    return value


@runtime_checkable
class Listener(Protocol):
    """Receives every step's records. Implement any of the methods (``on_shadow`` only matters
    when shadow sampling is on)."""

    def on_decision(self, decision: RoutingDecision) -> None: ...

    def on_step_cost(self, cost: StepCost) -> None: ...


class Listeners:
    """A list of listeners called in order; one failing listener never breaks the step."""

    def __init__(self) -> None:
        self._items: list[object] = []

    def add(self, listener: object) -> None:
        self._items.append(listener)

    def remove(self, listener: object) -> None:
        self._items.remove(listener)

    def __len__(self) -> int:
        return len(self._items)

    def emit(self, decision: RoutingDecision, cost: StepCost) -> None:
        for item in tuple(self._items):
            self._call(item, "on_decision", decision)
            self._call(item, "on_step_cost", cost)

    def emit_shadow(self, result: ShadowResult) -> None:
        for item in tuple(self._items):
            self._call(item, "on_shadow", result)

    @staticmethod
    def _call(item: object, method: str, record: object) -> None:
        fn = getattr(item, method, None)
        if fn is None:
            return
        try:
            fn(record)
        except Exception:
            log.exception("routed-llm listener %r failed in %s", type(item).__name__, method)
