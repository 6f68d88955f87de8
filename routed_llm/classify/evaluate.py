"""Evaluation: accuracy, macro-F1, per-label precision/recall, confusion matrix (text and PNG),
expected calibration error, latency percentiles and the share of each decision path.
Pure Python except the PNG (matplotlib)."""

from __future__ import annotations

import time
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

from routed_llm.classify.base import PATHS, Classification, Classifier
from routed_llm.labels import LABELS, Label


@dataclass(frozen=True)
class Report:
    n: int
    accuracy: float
    macro_f1: float
    precision: dict[Label, float]
    recall: dict[Label, float]
    f1: dict[Label, float]
    confusion: list[list[int]]  # rows: true label, columns: predicted, in LABELS order
    ece: float
    latency_p50_ms: float
    latency_p99_ms: float
    path_share: dict[str, float]

    def format(self) -> str:
        lines = [
            f"rows {self.n}  accuracy {self.accuracy:.3f}  macro-F1 {self.macro_f1:.3f}  ECE {self.ece:.3f}",
            f"latency p50 {self.latency_p50_ms:.2f} ms  p99 {self.latency_p99_ms:.2f} ms",
            "paths " + "  ".join(f"{p} {s:.1%}" for p, s in self.path_share.items()),
            f"{'label':<12}{'prec':>7}{'recall':>7}{'f1':>7}",
        ]
        lines += [
            f"{lab:<12}{self.precision[lab]:>7.3f}{self.recall[lab]:>7.3f}{self.f1[lab]:>7.3f}"
            for lab in LABELS
        ]
        short = [lab[:5] for lab in LABELS]
        lines.append("confusion (rows true, columns predicted)")
        lines.append(" " * 12 + "".join(f"{s:>6}" for s in short))
        lines += [
            f"{lab:<12}" + "".join(f"{v:>6}" for v in row)
            for lab, row in zip(LABELS, self.confusion, strict=True)
        ]
        return "\n".join(lines)


def percentile(values: Sequence[float], q: float) -> float:
    if not values:
        return 0.0
    ordered = sorted(values)
    k = (len(ordered) - 1) * q / 100.0
    lo, hi = int(k), min(int(k) + 1, len(ordered) - 1)
    return ordered[lo] + (ordered[hi] - ordered[lo]) * (k - lo)


def expected_calibration_error(
    confidences: Sequence[float], correct: Sequence[bool], bins: int = 10
) -> float:
    n = len(confidences)
    if n == 0:
        return 0.0
    total = 0.0
    for b in range(bins):
        lo, hi = b / bins, (b + 1) / bins
        idx = [i for i, c in enumerate(confidences) if (lo < c <= hi) or (b == 0 and c == 0.0)]
        if idx:
            acc = sum(correct[i] for i in idx) / len(idx)
            conf = sum(confidences[i] for i in idx) / len(idx)
            total += len(idx) / n * abs(acc - conf)
    return total


def score(truth: Sequence[Label], results: Sequence[Classification]) -> Report:
    pred = [r.label for r in results]
    confusion = [[0] * len(LABELS) for _ in LABELS]
    for t, p in zip(truth, pred, strict=True):
        confusion[LABELS.index(t)][LABELS.index(p)] += 1
    precision: dict[Label, float] = {}
    recall: dict[Label, float] = {}
    f1: dict[Label, float] = {}
    for j, lab in enumerate(LABELS):
        tp = confusion[j][j]
        predicted = sum(row[j] for row in confusion)
        actual = sum(confusion[j])
        precision[lab] = tp / predicted if predicted else 0.0
        recall[lab] = tp / actual if actual else 0.0
        s = precision[lab] + recall[lab]
        f1[lab] = 2 * precision[lab] * recall[lab] / s if s else 0.0
    present = [lab for j, lab in enumerate(LABELS) if sum(confusion[j]) or sum(row[j] for row in confusion)]
    n = len(truth)
    paths = Counter(r.path for r in results)
    latencies = [r.latency_ms for r in results]
    return Report(
        n=n,
        accuracy=sum(t == p for t, p in zip(truth, pred, strict=True)) / n if n else 0.0,
        macro_f1=sum(f1[lab] for lab in present) / len(present) if present else 0.0,
        precision=precision,
        recall=recall,
        f1=f1,
        confusion=confusion,
        ece=expected_calibration_error(
            [r.confidence for r in results], [t == p for t, p in zip(truth, pred, strict=True)]
        ),
        latency_p50_ms=percentile(latencies, 50),
        latency_p99_ms=percentile(latencies, 99),
        path_share={p: paths.get(p, 0) / n if n else 0.0 for p in PATHS},
    )


def run(
    classifier: Classifier,
    texts: Sequence[str],
    *,
    batch_size: int = 1,
    progress: Callable[[int], None] | None = None,
) -> list[Classification]:
    """Classify ``texts`` one at a time (``batch_size=1``, what latency numbers mean) or in
    batches; each result's ``latency_ms`` is measured around its own call."""
    out: list[Classification] = []
    for start in range(0, len(texts), batch_size):
        chunk = texts[start : start + batch_size]
        t = time.perf_counter()
        results = classifier.classify_many(chunk) if batch_size > 1 else [classifier.classify(chunk[0])]
        ms = (time.perf_counter() - t) * 1000.0 / len(chunk)
        out += [Classification(r.label, r.confidence, r.path, r.probabilities, ms) for r in results]
        if progress is not None:
            progress(len(chunk))
    return out


def confusion_png(report: Report, path: str | Path, title: str = "confusion matrix") -> Path:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(7, 6))
    ax.imshow(report.confusion, cmap="Blues")
    ax.set_xticks(range(len(LABELS)), LABELS, rotation=45, ha="right")
    ax.set_yticks(range(len(LABELS)), LABELS)
    ax.set_xlabel("predicted")
    ax.set_ylabel("true")
    ax.set_title(f"{title} (macro-F1 {report.macro_f1:.3f})")
    peak = max((max(row) for row in report.confusion), default=1) or 1
    for i, row in enumerate(report.confusion):
        for j, v in enumerate(row):
            if v:
                ax.text(j, i, str(v), ha="center", va="center", color="white" if v > peak / 2 else "black")
    fig.tight_layout()
    target = Path(path)
    target.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(target, dpi=110)
    plt.close(fig)
    return target
