"""Summaries of a routing trace: label mix, paths, fallbacks, cost and savings per label and
model, latency per model; a per-step table; and a PNG chart (matplotlib, the `report` extra)."""

from __future__ import annotations

import statistics
from collections import Counter, defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from typing import Any

from routed_llm.errors import ClassifierUnavailableError


@dataclass(frozen=True, slots=True)
class Step:
    number: int
    label: str
    confidence: float
    path: str
    provider: str
    model: str
    input_tokens: int
    output_tokens: int
    cost: Decimal | None
    baseline_cost: Decimal | None
    latency_ms: float
    fallback: bool
    attempts: int

    @staticmethod
    def from_record(number: int, record: Mapping[str, Any]) -> Step:
        d = record["decision"]
        c = record["cost"]
        usage = c.get("usage") or d.get("usage") or {}
        return Step(
            number=number,
            label=str(d["label"]),
            confidence=float(d.get("confidence", 0.0)),
            path=str(d.get("path", "?")),
            provider=str(d["provider"]),
            model=str(d["model"]),
            input_tokens=int(usage.get("input_tokens", 0)),
            output_tokens=int(usage.get("output_tokens", 0)),
            cost=_dec(c.get("cost")),
            baseline_cost=_dec(c.get("baseline_cost")),
            latency_ms=float(d.get("latency_ms", 0.0)),
            fallback=bool(d.get("fallback", False)),
            attempts=len(d.get("attempts", ())),
        )


def _dec(value: Any) -> Decimal | None:
    return None if value is None else Decimal(str(value))


@dataclass
class Group:
    steps: int = 0
    cost: Decimal = Decimal(0)
    baseline: Decimal = Decimal(0)
    latencies: list[float] = field(default_factory=list)

    def add(self, step: Step) -> None:
        self.steps += 1
        self.cost += step.cost or Decimal(0)
        self.baseline += step.baseline_cost or Decimal(0)
        self.latencies.append(step.latency_ms)

    @property
    def savings(self) -> Decimal:
        return self.baseline - self.cost

    @property
    def ratio(self) -> float | None:
        return float(self.baseline / self.cost) if self.cost > 0 else None


@dataclass
class Summary:
    steps: list[Step]
    total: Group
    by_label: dict[str, Group]
    by_model: dict[str, Group]
    paths: Counter[str]
    fallbacks: int
    baseline_model: str

    @property
    def fallback_rate(self) -> float:
        return self.fallbacks / len(self.steps) if self.steps else 0.0


def summarize(records: Iterable[Mapping[str, Any]]) -> Summary:
    records = list(records)
    steps = [Step.from_record(i, r) for i, r in enumerate(records, 1)]
    total = Group()
    by_label: dict[str, Group] = defaultdict(Group)
    by_model: dict[str, Group] = defaultdict(Group)
    baselines = Counter(str(r["decision"].get("baseline_model", "?")) for r in records)
    baseline_model = baselines.most_common(1)[0][0] if baselines else "?"
    for step in steps:
        total.add(step)
        by_label[step.label].add(step)
        by_model[f"{step.provider}/{step.model}"].add(step)
    paths = Counter(s.path for s in steps)
    return Summary(steps, total, dict(by_label), dict(by_model), paths,
                   sum(1 for s in steps if s.fallback), baseline_model)


def _money(value: Decimal | None) -> str:
    return "-" if value is None else f"${value:.9f}"  # exact: prices are nano-dollar precise


def _ratio(group: Group) -> str:
    r = group.ratio
    return "-" if r is None else f"{r:.1f}x"


def step_table(steps: Sequence[Step]) -> str:
    header = ("step", "label", "conf", "path", "provider", "model", "tokens in/out", "cost", "flagship")
    rows = [
        (str(s.number), s.label, f"{s.confidence:.2f}", s.path, s.provider, s.model,
         f"{s.input_tokens}/{s.output_tokens}", _money(s.cost), _money(s.baseline_cost))
        for s in steps
    ]
    return _table(header, rows)


def _table(header: Sequence[str], rows: Sequence[Sequence[str]]) -> str:
    widths = [max(len(h), *(len(r[i]) for r in rows)) if rows else len(h) for i, h in enumerate(header)]
    line = "  ".join(h.ljust(w) for h, w in zip(header, widths, strict=True))
    out = [line, "  ".join("-" * w for w in widths)]
    out += ["  ".join(c.ljust(w) for c, w in zip(r, widths, strict=True)) for r in rows]
    return "\n".join(out)


def totals_text(summary: Summary) -> str:
    t = summary.total
    flagship = summary.baseline_model
    saved = (t.savings / t.baseline * 100) if t.baseline > 0 else Decimal(0)
    return (
        f"{len(summary.steps)} steps: routed {_money(t.cost)} vs {_money(t.baseline)} on {flagship} "
        f"-> saved {_money(t.savings)} ({saved:.1f}%, {_ratio(t)} cheaper); "
        f"fallback rate {summary.fallback_rate:.0%}"
    )


def report_text(summary: Summary) -> str:
    parts = [totals_text(summary), ""]
    parts.append("label mix and cost per label")
    parts.append(_table(
        ("label", "steps", "share", "cost", "flagship", "saved", "ratio"),
        [(label, str(g.steps), f"{g.steps / max(len(summary.steps), 1):.0%}", _money(g.cost),
          _money(g.baseline), _money(g.savings), _ratio(g))
         for label, g in sorted(summary.by_label.items(), key=lambda kv: -kv[1].steps)],
    ))
    parts += ["", "per model"]
    parts.append(_table(
        ("model", "steps", "cost", "flagship", "saved", "latency p50", "latency max"),
        [(name, str(g.steps), _money(g.cost), _money(g.baseline), _money(g.savings),
          f"{statistics.median(g.latencies):.0f} ms", f"{max(g.latencies):.0f} ms")
         for name, g in sorted(summary.by_model.items())],
    ))
    parts += ["", "decision paths: " + ", ".join(f"{p} {n}" for p, n in summary.paths.most_common())]
    return "\n".join(parts)


def plot(summary: Summary, path: str | Path, title: str = "routed-llm: cost per step") -> Path:
    """Write a PNG: cost per step (routed vs flagship, cumulative line) and the label mix."""
    try:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError as exc:
        raise ClassifierUnavailableError(
            "the chart needs matplotlib: pip install 'routed-llm[report]'"
        ) from exc
    steps = summary.steps
    fig, (ax, ax2) = plt.subplots(1, 2, figsize=(12, 4.5), gridspec_kw={"width_ratios": [3, 1.3]})
    xs = [s.number for s in steps]
    routed = [float(s.cost or 0) * 1000 for s in steps]
    flagship = [float(s.baseline_cost or 0) * 1000 for s in steps]
    width = 0.4
    ax.bar([x - width / 2 for x in xs], flagship, width, label="flagship", color="#c0c0c0")
    ax.bar([x + width / 2 for x in xs], routed, width, label="routed", color="#2b7bba")
    for s, y in zip(steps, flagship, strict=True):
        ax.annotate(f"{s.label}\n{s.model}", (s.number, y), ha="center", va="bottom", fontsize=6,
                    xytext=(0, 2), textcoords="offset points")
    ax.set_xlabel("step")
    ax.set_ylabel("cost (milli-dollars)")
    ax.set_xticks(xs)
    ax.set_title(title)
    ax.legend(loc="upper left")
    labels = sorted(summary.by_label.items(), key=lambda kv: -kv[1].steps)
    ax2.barh([k for k, _ in labels], [g.steps for _, g in labels], color="#2b7bba")
    ax2.invert_yaxis()
    ax2.set_title("label mix (steps)")
    fig.tight_layout()
    out = Path(path)
    out.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(out, dpi=110)
    plt.close(fig)
    return out
