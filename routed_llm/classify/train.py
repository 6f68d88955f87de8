"""Training a head: read labelled jsonl, embed, fit logistic regression, then ``fit`` the
temperature and the per-label thresholds on held-out rows. Needs the ``classifier`` extra."""

from __future__ import annotations

import hashlib
import json
import logging
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

from routed_llm.classify.features import FEATURE_BLOCKS, prepare
from routed_llm.classify.head import Head, softmax
from routed_llm.classify.rules import keyword_shortcut, rule_probabilities
from routed_llm.errors import ConfigError
from routed_llm.labels import LABELS, Label, check_label

if TYPE_CHECKING:
    import numpy as np
    import numpy.typing as npt

    FloatArray = npt.NDArray[np.float32]
    IntArray = npt.NDArray[np.int64]

log = logging.getLogger("routed_llm.classify.train")

THRESHOLD_GRID: tuple[float, ...] = tuple(round(0.05 * i, 2) for i in range(20))


@dataclass(frozen=True, slots=True)
class Example:
    text: str
    label: Label
    weight: float = 1.0
    group: str = ""
    kind: str = ""
    source: str = ""


def read_examples(
    paths: Iterable[str | Path],
    *,
    permissive_only: bool = False,
    agent_weight: float = 1.0,
) -> list[Example]:
    """Rows of ``{"text", "label"}`` jsonl (other fields optional). ``agent_weight`` multiplies the
    weight of rows whose ``kind`` is ``agent-step``."""
    out: list[Example] = []
    for path in paths:
        p = Path(path)
        try:
            lines = p.read_text(encoding="utf-8").splitlines()
        except FileNotFoundError as exc:
            raise ConfigError(f"no data file at {p}") from exc
        for n, line in enumerate(lines, 1):
            if not line.strip():
                continue
            try:
                row = json.loads(line)
                text, label = row["text"], row["label"]
            except (json.JSONDecodeError, KeyError, TypeError) as exc:
                raise ConfigError(
                    f"{p}:{n}: each line must be a JSON object with 'text' and 'label'"
                ) from exc
            if not isinstance(text, str):
                raise ConfigError(f"{p}:{n}: 'text' must be a string")
            if permissive_only and row.get("license", "permissive") != "permissive":
                continue
            kind = str(row.get("kind", ""))
            weight = float(row.get("weight", 1.0)) * (agent_weight if kind == "agent-step" else 1.0)
            group = str(row.get("source_id") or hashlib.blake2b(text.encode(), digest_size=8).hexdigest())
            out.append(
                Example(
                    text,
                    check_label(str(label), key=f"{p}:{n}: label"),
                    weight,
                    group,
                    kind,
                    str(row.get("source", "")),
                )
            )
    if not out:
        raise ConfigError("no training rows were read")
    return out


def split_holdout(
    examples: Sequence[Example], share: float = 0.2, salt: str = "fit"
) -> tuple[list[Example], list[Example]]:
    """A deterministic split grouped by ``group`` (a passage never sits on both sides)."""
    train: list[Example] = []
    hold: list[Example] = []
    for e in examples:
        h = int(hashlib.blake2b(f"{salt}:{e.group}".encode(), digest_size=4).hexdigest(), 16) / 2**32
        (hold if h < share else train).append(e)
    return train, hold


def label_index(labels: Sequence[Label]) -> IntArray:
    import numpy as np

    return np.asarray([LABELS.index(lab) for lab in labels], dtype=np.int64)


def fit_linear(x: FloatArray, y: IntArray, w: FloatArray, *, c: float = 1.0) -> tuple[FloatArray, FloatArray]:
    """Multinomial logistic regression; classes weighted to balance, times the row weights."""
    import numpy as np
    from sklearn.linear_model import LogisticRegression

    counts = np.bincount(y, weights=w, minlength=len(LABELS))
    balance = counts.sum() / (len(LABELS) * np.maximum(counts, 1e-9))
    model = LogisticRegression(C=c, max_iter=3000)
    model.fit(x, y, sample_weight=w * balance[y])
    coef = np.zeros((len(LABELS), x.shape[1]), dtype=np.float32)
    intercept = np.full(len(LABELS), -30.0, dtype=np.float32)
    for j, cls in enumerate(model.classes_):
        coef[int(cls)] = model.coef_[j]
        intercept[int(cls)] = model.intercept_[j]
    return coef, intercept


def fit_temperature(logits: FloatArray, y: IntArray) -> float:
    """The temperature minimising the negative log-likelihood on held-out rows."""
    import numpy as np

    best, best_nll = 1.0, float("inf")
    for t in np.exp(np.linspace(np.log(0.2), np.log(5.0), 81)):
        p = softmax(logits, float(t))
        nll = float(-np.log(np.maximum(p[np.arange(len(y)), y], 1e-12)).mean())
        if nll < best_nll:
            best, best_nll = float(t), nll
    return best


def fit_thresholds(probs: FloatArray, y: IntArray, rules_pred: IntArray) -> dict[Label, float]:
    """Per label, the lowest threshold on the head's top probability that maximises accuracy when
    rows below it are answered by the rules instead."""
    import numpy as np

    top = probs.argmax(axis=1)
    conf = probs.max(axis=1)
    out: dict[Label, float] = {}
    for j, label in enumerate(LABELS):
        rows = top == j
        best_t, best_correct = 0.0, -1
        for t in THRESHOLD_GRID:
            use_head = conf[rows] >= t
            pred = np.where(use_head, j, rules_pred[rows])
            correct = int((pred == y[rows]).sum())
            if correct > best_correct:
                best_t, best_correct = t, correct
        out[label] = best_t
    return out


STATIC_GRID: tuple[float, ...] = (0.5, 0.6, 0.7, 0.8, 0.85, 0.9, 0.93, 0.95, 0.97, 0.98, 0.99, 0.995, 1.01)


def fit_static_threshold(
    static_probs: FloatArray, probs: FloatArray, y: IntArray, tolerance: float
) -> tuple[float, FloatArray]:
    """The lowest first-stage threshold whose cascade accuracy on held-out rows is within
    ``tolerance`` of MiniLM alone; returns it and the cascade's probabilities."""
    import numpy as np

    target = float((probs.argmax(axis=1) == y).mean()) - tolerance
    conf = static_probs.max(axis=1)
    for t in STATIC_GRID:
        mixed = np.where((conf >= t)[:, None], static_probs, probs)
        if float((mixed.argmax(axis=1) == y).mean()) >= target:
            return t, np.asarray(mixed, dtype=np.float32)
    return 1.01, probs


def keyword_precision(windows: Sequence[str], labels: Sequence[Label]) -> tuple[float, int]:
    hits = [(keyword_shortcut(w), lab) for w, lab in zip(windows, labels, strict=True)]
    fired = [(a, b) for a, b in hits if a is not None]
    if not fired:
        return 0.97, 0
    return sum(a == b for a, b in fired) / len(fired), len(fired)


def train_head(
    examples: Sequence[Example],
    featurize_fn: Callable[[Sequence[str]], FloatArray],
    *,
    holdout: Sequence[Example] | None = None,
    window_tokens: int = 256,
    max_seq_tokens: int = 128,
    c: float = 1.0,
    refit_all: bool = True,
    info: Mapping[str, Any] | None = None,
    static_featurize_fn: Callable[[Sequence[str]], FloatArray] | None = None,
    static_c: float = 4.0,
    static_tolerance: float = 0.003,
) -> tuple[Head, dict[str, Any]]:
    """Train on ``examples``; fit temperature and thresholds on ``holdout`` (default: a grouped 20%
    of ``examples``). With ``refit_all`` the weights are refit on everything at the end, keeping the
    fitted temperature and thresholds."""
    import numpy as np

    if holdout is None:
        train, hold = split_holdout(examples)
        if not hold or not train:
            train, hold = list(examples), list(examples)
    else:
        train, hold = list(examples), list(holdout)
    windows_train = [prepare(e.text, window_tokens) for e in train]
    windows_hold = [prepare(e.text, window_tokens) for e in hold]
    x_all = featurize_fn(windows_train + windows_hold)
    x_train, x_hold = x_all[: len(train)], x_all[len(train) :]
    y_train, y_hold = label_index([e.label for e in train]), label_index([e.label for e in hold])
    w_train = np.asarray([e.weight for e in train], dtype=np.float32)
    coef, intercept = fit_linear(x_train, y_train, w_train, c=c)
    logits = x_hold @ coef.T + intercept
    temperature = fit_temperature(logits, y_hold)
    probs = softmax(logits, temperature)
    static: dict[str, Any] = {}
    if static_featurize_fn is not None:
        s_all = static_featurize_fn(windows_train + windows_hold)
        s_coef, s_intercept = fit_linear(s_all[: len(train)], y_train, w_train, c=static_c)
        s_logits = s_all[len(train) :] @ s_coef.T + s_intercept
        s_temperature = fit_temperature(s_logits, y_hold)
        s_probs = softmax(s_logits, s_temperature)
        s_threshold, probs = fit_static_threshold(s_probs, probs, y_hold, static_tolerance)
        static = {
            "coef": s_coef,
            "intercept": s_intercept,
            "temperature": s_temperature,
            "threshold": s_threshold,
            "x": s_all,
            "share": float((s_probs.max(axis=1) >= s_threshold).mean()),
        }
    rules_pred = label_index([rules_label(w) for w in windows_hold])
    thresholds = fit_thresholds(probs, y_hold, rules_pred)
    precision, fired = keyword_precision(windows_hold, [e.label for e in hold])
    report = {
        "holdout_rows": len(hold),
        "train_rows": len(train),
        "holdout_head_accuracy": float((probs.argmax(axis=1) == y_hold).mean()),
        "temperature": temperature,
        "thresholds": thresholds,
        "keyword_precision": precision,
        "keyword_fired": fired,
        "static_threshold": static.get("threshold"),
        "static_share": static.get("share"),
    }
    if refit_all and holdout is None and len(hold) < len(examples):
        w_all = np.asarray([e.weight for e in (*train, *hold)], dtype=np.float32)
        y_all = np.concatenate([y_train, y_hold])
        coef, intercept = fit_linear(x_all, y_all, w_all, c=c)
        if static:
            static["coef"], static["intercept"] = fit_linear(static["x"], y_all, w_all, c=static_c)
    head = Head(
        labels=LABELS,
        coef=tuple(tuple(float(v) for v in row) for row in coef),
        intercept=tuple(float(v) for v in intercept),
        features=FEATURE_BLOCKS,
        temperature=temperature,
        thresholds=thresholds,
        keyword_precision=round(min(precision, 0.995), 4),
        use_keyword=True,
        max_seq_tokens=max_seq_tokens,
        window_tokens=window_tokens,
        info={**(info or {}), "rows": len(examples), "C": c},
        static_coef=tuple(tuple(float(v) for v in row) for row in static.get("coef", ())),
        static_intercept=tuple(float(v) for v in static.get("intercept", ())),
        static_temperature=float(static.get("temperature", 1.0)),
        static_threshold=float(static.get("threshold", 1.01)),
    )
    return head, report


def rules_label(window: str) -> Label:
    probabilities = rule_probabilities(window)
    return max(LABELS, key=lambda lab: probabilities[lab])


def with_thresholds(head: Head, thresholds: Mapping[Label, float]) -> Head:
    return replace(head, thresholds=dict(thresholds))
