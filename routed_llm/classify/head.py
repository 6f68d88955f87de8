"""The linear head: weights, temperature and per-label thresholds, stored as a small JSON file
(numbers, not prompts). Pure numpy at run time; scikit-learn is only needed to train one."""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from routed_llm.errors import ConfigError
from routed_llm.labels import LABELS, Label, check_label

if TYPE_CHECKING:
    import numpy as np
    import numpy.typing as npt

    FloatArray = npt.NDArray[np.float32]

FORMAT = "routed-llm-classifier-head"
VERSION = 1


@dataclass(frozen=True)
class Head:
    """``probabilities(x) = softmax((x @ coef.T + intercept) / temperature)`` over ``labels``.

    ``features`` names the blocks of ``x``: ``instruction`` and ``window`` embeddings (384 each)
    and ``rules`` (the 8 rule probabilities). ``thresholds[label]`` is the probability the head
    needs to answer for ``label``; below it the rules answer. ``keyword_precision`` is the
    shortcut's precision measured at fit time, reported as its confidence.
    """

    labels: tuple[Label, ...]
    coef: tuple[tuple[float, ...], ...]
    intercept: tuple[float, ...]
    features: tuple[str, ...] = ("instruction", "window", "rules")
    temperature: float = 1.0
    thresholds: Mapping[Label, float] = field(default_factory=dict)
    keyword_precision: float = 0.97
    use_keyword: bool = True
    encoder: str = "all-MiniLM-L6-v2"
    max_seq_tokens: int = 128
    window_tokens: int = 256
    info: Mapping[str, Any] = field(default_factory=dict)
    # The static first stage (mean token embeddings, same feature blocks): it answers when its
    # top probability reaches ``static_threshold``; the rest go to MiniLM. Empty: no first stage.
    static_coef: tuple[tuple[float, ...], ...] = ()
    static_intercept: tuple[float, ...] = ()
    static_temperature: float = 1.0
    static_threshold: float = 1.01

    @property
    def has_static(self) -> bool:
        return bool(self.static_coef) and self.static_threshold <= 1.0

    def static_arrays(self) -> tuple[FloatArray, FloatArray]:
        import numpy as np

        return np.asarray(self.static_coef, dtype=np.float32), np.asarray(
            self.static_intercept, dtype=np.float32
        )

    def arrays(self) -> tuple[FloatArray, FloatArray]:
        import numpy as np

        return np.asarray(self.coef, dtype=np.float32), np.asarray(self.intercept, dtype=np.float32)

    def to_json(self) -> dict[str, Any]:
        return {
            "format": FORMAT,
            "version": VERSION,
            "labels": list(self.labels),
            "features": list(self.features),
            "encoder": self.encoder,
            "max_seq_tokens": self.max_seq_tokens,
            "window_tokens": self.window_tokens,
            "temperature": self.temperature,
            "thresholds": {k: round(v, 4) for k, v in self.thresholds.items()},
            "keyword_precision": self.keyword_precision,
            "use_keyword": self.use_keyword,
            "intercept": [round(v, 6) for v in self.intercept],
            "coef": [[round(v, 6) for v in row] for row in self.coef],
            "static": {
                "coef": [[round(v, 6) for v in row] for row in self.static_coef],
                "intercept": [round(v, 6) for v in self.static_intercept],
                "temperature": self.static_temperature,
                "threshold": self.static_threshold,
            },
            "info": dict(self.info),
        }

    def save(self, path: str | Path) -> Path:
        target = Path(path)
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(json.dumps(self.to_json(), separators=(",", ":")) + "\n", encoding="utf-8")
        return target


def _floats(value: Any, key: str) -> tuple[float, ...]:
    if not isinstance(value, Sequence) or not all(isinstance(v, (int, float)) for v in value):
        raise ConfigError("must be a list of numbers", key=key)
    return tuple(float(v) for v in value)


def load_head(path: str | Path) -> Head:
    """Read and validate a head file; errors name the key that is wrong."""
    source = Path(path)
    try:
        data = json.loads(source.read_text(encoding="utf-8"))
    except FileNotFoundError as exc:
        raise ConfigError(f"no classifier head at {source}; train one with `routed-llm train`") from exc
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise ConfigError(f"{source} is not a classifier head file (invalid JSON: {exc})") from exc
    if not isinstance(data, dict) or data.get("format") != FORMAT:
        raise ConfigError(f"{source} is not a routed-llm classifier head file", key="format")
    labels = tuple(check_label(str(v), key="labels") for v in data.get("labels", []))
    if set(labels) != set(LABELS):
        raise ConfigError(f"the head must cover all labels {list(LABELS)}", key="labels")
    coef = tuple(_floats(row, "coef") for row in data.get("coef", []))
    intercept = _floats(data.get("intercept", []), "intercept")
    if len(coef) != len(labels) or len(intercept) != len(labels) or len({len(r) for r in coef}) != 1:
        raise ConfigError("coef must be labels x features and intercept one per label", key="coef")
    thresholds = {
        check_label(k, key="thresholds"): float(v) for k, v in dict(data.get("thresholds", {})).items()
    }
    temperature = float(data.get("temperature", 1.0))
    if temperature <= 0:
        raise ConfigError("must be > 0", key="temperature")
    static = data.get("static") or {}
    if not isinstance(static, dict):
        raise ConfigError("must be an object", key="static")
    static_coef = tuple(_floats(row, "static.coef") for row in static.get("coef", []))
    static_intercept = _floats(static.get("intercept", []), "static.intercept")
    if static_coef and (len(static_coef) != len(labels) or len(static_intercept) != len(labels)):
        raise ConfigError("static.coef must be labels x features", key="static.coef")
    return Head(
        static_coef=static_coef,
        static_intercept=static_intercept,
        static_temperature=float(static.get("temperature", 1.0)),
        static_threshold=float(static.get("threshold", 1.01)),
        labels=labels,
        coef=coef,
        intercept=intercept,
        features=tuple(data.get("features", ("instruction", "window", "rules"))),
        temperature=temperature,
        thresholds=thresholds,
        keyword_precision=float(data.get("keyword_precision", 0.97)),
        use_keyword=bool(data.get("use_keyword", True)),
        encoder=str(data.get("encoder", "all-MiniLM-L6-v2")),
        max_seq_tokens=int(data.get("max_seq_tokens", 128)),
        window_tokens=int(data.get("window_tokens", 256)),
        info=dict(data.get("info", {})),
    )


def softmax(logits: FloatArray, temperature: float = 1.0) -> FloatArray:
    import numpy as np

    z = logits / temperature
    z = z - z.max(axis=1, keepdims=True)
    e = np.exp(z)
    return np.asarray(e / e.sum(axis=1, keepdims=True), dtype=np.float32)
