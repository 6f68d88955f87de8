from __future__ import annotations

import json
from decimal import Decimal
from pathlib import Path

import pytest

from routed_llm.demo.report import report_text, step_table, summarize, totals_text
from routed_llm.errors import ConfigError
from routed_llm.events import Attempt, RoutingDecision, StepCost
from routed_llm.messages import Usage
from routed_llm.trace import TraceWriter, read_trace


def _records(n: int) -> tuple[list[RoutingDecision], list[StepCost]]:
    decisions, costs = [], []
    for i in range(n):
        usage = Usage(100 * (i + 1), 10)
        label = ["extraction", "reasoning", "summarize"][i % 3]
        model = "gpt-5" if label == "reasoning" else "gpt-5-nano"
        decisions.append(RoutingDecision(
            step_id=f"s{i}", session_id="t", label=label, confidence=0.9, path="rules", model=model,
            provider="openai", chain=(f"openai/{model}",), attempts=(Attempt("openai", model, True, 1.0),),
            cost=Decimal("0.001") * (i + 1), baseline_cost=Decimal("0.004") * (i + 1), baseline_model="gpt-5",
            latency_ms=5.0, usage=usage, dial=0.5, fallback=i == 1,
        ))
        costs.append(StepCost(
            step_id=f"s{i}", session_id="t", label=label, provider="openai", model=model, usage=usage,
            cost=Decimal("0.001") * (i + 1), failed_attempts_cost=Decimal(0),
            baseline_cost=Decimal("0.004") * (i + 1), baseline_model="gpt-5",
            session_total=None, session_baseline_total=None,
        ))
    return decisions, costs


def test_trace_writer_pairs_records_and_report_totals_equal_sum(tmp_path: Path) -> None:
    path = tmp_path / "t.jsonl"
    writer = TraceWriter(path)
    decisions, costs = _records(5)
    for d, c in zip(decisions, costs, strict=True):
        writer.on_decision(d)
        writer.on_step_cost(c)
    records = list(read_trace(path))
    assert len(records) == 5 and records[0]["framework"] == "core"
    summary = summarize(records)
    assert summary.total.cost == sum((c.cost for c in costs if c.cost), Decimal(0)) == Decimal("0.015")
    assert summary.total.baseline == Decimal("0.060")
    assert sum(g.cost for g in summary.by_label.values()) == summary.total.cost
    assert summary.fallback_rate == pytest.approx(0.2)
    assert summary.baseline_model == "gpt-5"
    assert "4.0x cheaper" in totals_text(summary)
    assert "extraction" in report_text(summary) and "gpt-5-nano" in step_table(summary.steps)
    json.dumps(records)  # stays plain JSON


def test_malformed_trace_names_the_line(tmp_path: Path) -> None:
    path = tmp_path / "bad.jsonl"
    path.write_text('{"decision": {}, "cost": {}}\nnot json\n')
    with pytest.raises(ConfigError, match=r"bad\.jsonl:2"):
        list(read_trace(path))
