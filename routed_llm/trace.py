"""The routing trace: one JSON object per step, written by the core and both adapters.

Each line is ``{"framework": ..., "decision": RoutingDecision.to_dict(), "cost": StepCost.to_dict()}``.
Money fields are decimal strings (exact); ``null`` means unknown. ``routed-llm report TRACE.jsonl``
reads any file of such lines. The format is documented in README.md ("Trace format").
"""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

from routed_llm.errors import ConfigError
from routed_llm.events import RoutingDecision, StepCost

TRACE_VERSION = 1


def trace_record(decision: RoutingDecision, cost: StepCost, framework: str = "core") -> dict[str, Any]:
    return {"v": TRACE_VERSION, "framework": framework, "decision": decision.to_dict(), "cost": cost.to_dict()}


class TraceWriter:
    """A listener that appends one line per step to ``path`` (thread-safe, flushed per line)."""

    def __init__(self, path: str | Path, framework: str = "core") -> None:
        self.path = Path(path)
        self.framework = framework
        self._lock = threading.Lock()
        self._pending: dict[str, RoutingDecision] = {}

    def __repr__(self) -> str:
        return f"TraceWriter({str(self.path)!r})"

    def on_decision(self, decision: RoutingDecision) -> None:
        with self._lock:
            self._pending[decision.step_id] = decision

    def on_step_cost(self, cost: StepCost) -> None:
        with self._lock:
            decision = self._pending.pop(cost.step_id, None)
            if decision is None:
                return
            self.write(decision, cost)

    def write(self, decision: RoutingDecision, cost: StepCost) -> None:
        line = json.dumps(trace_record(decision, cost, self.framework), separators=(",", ":"))
        self.path.parent.mkdir(parents=True, exist_ok=True)
        with self.path.open("a", encoding="utf-8") as fh:
            fh.write(line + "\n")


def read_trace(path: str | Path) -> Iterator[Mapping[str, Any]]:
    """Yield each record of a trace file; a malformed line raises ConfigError naming its number."""
    p = Path(path)
    try:
        fh = p.open(encoding="utf-8")
    except OSError as exc:
        raise ConfigError(f"cannot read trace {p}: {exc.strerror}", key=str(p)) from exc
    with fh:
        for number, line in enumerate(fh, 1):
            if not line.strip():
                continue
            try:
                record = json.loads(line)
            except json.JSONDecodeError as exc:
                raise ConfigError(f"{p}:{number} is not JSON: {exc.msg}", key=f"{p}:{number}") from exc
            if not isinstance(record, dict) or "decision" not in record or "cost" not in record:
                raise ConfigError(
                    f"{p}:{number} is not a routing trace record (needs 'decision' and 'cost')",
                    key=f"{p}:{number}",
                )
            yield record
