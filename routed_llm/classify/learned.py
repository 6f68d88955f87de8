"""The learned classifier: MiniLM embeddings + a linear head with calibrated probabilities.

Decision order for each window: the LRU cache; the high-precision keyword shortcut (path
``keyword``); the head, when its top probability clears that label's fitted threshold (path
``learned``); otherwise the keyword rules (path ``rules``). The encoder loads on first use or on
``warm()``; the ONNX int8 graph that ships in the package is preferred, torch is the reference.
"""

from __future__ import annotations

import logging
import threading
import time
from collections import OrderedDict
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from routed_llm.classify.base import Classification
from routed_llm.classify.embed import Backend, Encoder
from routed_llm.classify.features import featurize, prepare
from routed_llm.classify.head import Head, load_head, softmax
from routed_llm.classify.rules import keyword_shortcut, rule_probabilities
from routed_llm.errors import ClassifierUnavailableError, ConfigError
from routed_llm.labels import LABELS, Label

if TYPE_CHECKING:
    import numpy as np
    import numpy.typing as npt

log = logging.getLogger("routed_llm.classify")

ONNX_FILE = "minilm-l6-v2-int8.onnx"


def shipped_onnx_path() -> Path:
    return Path(__file__).resolve().parent.parent / "data" / "classifier" / ONNX_FILE


def open_encoder(backend: Backend, max_seq_tokens: int, onnx_path: Path | None = None) -> Encoder:
    """``onnx``: the int8 graph (shipped, or ``onnx_path``); ``torch``: sentence-transformers;
    ``auto``: onnx when onnxruntime and the graph are present, else torch."""
    from routed_llm.classify import embed

    path = onnx_path or shipped_onnx_path()
    if backend in ("auto", "onnx"):
        try:
            if not path.is_file():
                raise ClassifierUnavailableError(f"no ONNX model at {path}")
            return embed.OnnxEncoder(path, max_seq_tokens)
        except ClassifierUnavailableError:
            if backend == "onnx":
                raise
            log.info("ONNX encoder unavailable, using torch")
    if backend not in ("auto", "onnx", "torch"):
        raise ConfigError(f"backend must be 'auto', 'onnx' or 'torch', got {backend!r}", key="backend")
    return embed.TorchEncoder(max_seq_tokens)


class LearnedClassifier:
    """MiniLM + linear head, with keyword and rules paths. Thread-safe; loads lazily.

    Args:
        head_path: the head file (default: the one shipped in the package).
        backend: "auto" (ONNX int8 if available, else torch), "onnx" or "torch".
        cache_size: entries of the LRU cache on the window text (0 turns it off).
        keyword: let the keyword shortcut answer first (the head file's default when None).
    """

    def __init__(
        self,
        head_path: str | Path | None = None,
        *,
        backend: Backend = "auto",
        cache_size: int = 4096,
        keyword: bool | None = None,
        onnx_path: str | Path | None = None,
        encoder: Encoder | None = None,
        head: Head | None = None,
        static: bool = True,
        static_encoder: Encoder | None = None,
    ) -> None:
        if head is None:
            if head_path is None:
                from routed_llm.classify import default_head_path

                head_path = default_head_path()
            head = load_head(head_path)
        self.head = head
        self.backend: Backend = backend
        self.use_keyword = head.use_keyword if keyword is None else keyword
        self.cache_size = cache_size
        self._onnx_path = Path(onnx_path) if onnx_path is not None else None
        self._encoder = encoder
        self.use_static = static and head.has_static
        self._static = static_encoder
        self._cache: OrderedDict[str, Classification] = OrderedDict()
        self._lock = threading.Lock()
        self._load_lock = threading.Lock()
        self._weights: tuple[npt.NDArray[np.float32], npt.NDArray[np.float32]] | None = None
        self._static_weights: tuple[npt.NDArray[np.float32], npt.NDArray[np.float32]] | None = None
        self.name = f"learned-{backend}"

    # ------------------------------------------------------------------ loading
    def warm(self) -> None:
        """Load the encoder and the head now (otherwise the first classification does)."""
        self._ensure()

    def _ensure(self) -> Encoder:
        if self._encoder is None or self._weights is None:
            with self._load_lock:
                if self._encoder is None:
                    started = time.perf_counter()
                    self._encoder = open_encoder(self.backend, self.head.max_seq_tokens, self._onnx_path)
                    self.name = f"learned-{self._encoder.name}"
                    log.info(
                        "classifier encoder %s loaded in %.0f ms",
                        self._encoder.name,
                        (time.perf_counter() - started) * 1000,
                    )
                if self.use_static and self._static is None:
                    from routed_llm.classify.embed import StaticEncoder

                    self._static = StaticEncoder()
                if self._weights is None:
                    if self.use_static:
                        self._static_weights = self.head.static_arrays()
                    self._weights = self.head.arrays()
                    self._encoder.encode(["warm up"])
        return self._encoder

    @property
    def encoder(self) -> Encoder:
        return self._ensure()

    # ------------------------------------------------------------------ classification
    def classify(self, text: str) -> Classification:
        return self.classify_many([text])[0]

    def classify_many(self, texts: Sequence[str]) -> list[Classification]:
        """Classify in one batched encoder pass; cached and keyword answers skip the encoder."""
        started = time.perf_counter()
        windows = [prepare(t, self.head.window_tokens) for t in texts]
        out: list[Classification | None] = [None] * len(windows)
        todo: dict[str, list[int]] = {}
        for i, w in enumerate(windows):
            hit = self._cached(w)
            if hit is not None:
                out[i] = hit
                continue
            if self.use_keyword:
                label = keyword_shortcut(w)
                if label is not None:
                    out[i] = self._keyword(label)
                    continue
            todo.setdefault(w, []).append(i)
        if todo:
            for w, c in zip(todo, self._decide(list(todo)), strict=True):
                self._store(w, c)
                for i in todo[w]:
                    out[i] = c
        elapsed = (time.perf_counter() - started) * 1000.0 / max(len(windows), 1)
        return [_with_latency(c, elapsed) for c in out if c is not None]

    def probabilities(self, windows: Sequence[str]) -> npt.NDArray[np.float32]:
        """The head's calibrated probabilities for prepared windows (rows follow ``LABELS`` order
        of the head file)."""
        encoder = self._ensure()
        assert self._weights is not None
        coef, intercept = self._weights
        x = featurize(windows, encoder, self.head.features)
        return softmax(x @ coef.T + intercept, self.head.temperature)

    def static_probabilities(self, windows: Sequence[str]) -> npt.NDArray[np.float32]:
        """The static first stage's calibrated probabilities for prepared windows."""
        self._ensure()
        assert self._static is not None and self._static_weights is not None
        coef, intercept = self._static_weights
        x = featurize(windows, self._static, self.head.features)
        return softmax(x @ coef.T + intercept, self.head.static_temperature)

    def _decide(self, windows: list[str]) -> list[Classification]:
        self._ensure()
        rows: dict[int, npt.NDArray[np.float32]] = {}
        if self.use_static:
            for i, row in enumerate(self.static_probabilities(windows)):
                if float(row.max()) >= self.head.static_threshold:
                    rows[i] = row
        rest = [i for i in range(len(windows)) if i not in rows]
        if rest:
            for i, row in zip(rest, self.probabilities([windows[i] for i in rest]), strict=True):
                rows[i] = row
        labels = self.head.labels
        out: list[Classification] = []
        for w, row in zip(windows, (rows[i] for i in range(len(windows))), strict=True):
            best = int(row.argmax())
            label = labels[best]
            p = {labels[j]: float(row[j]) for j in range(len(labels))}
            if float(row[best]) >= self.head.thresholds.get(label, 0.0):
                out.append(Classification(label, float(row[best]), "learned", p))
                continue
            rules = rule_probabilities(w)
            rlabel = max(LABELS, key=lambda lab: rules[lab])
            out.append(Classification(rlabel, rules[rlabel], "rules", rules))
        return out

    def _keyword(self, label: Label) -> Classification:
        conf = self.head.keyword_precision
        rest = (1.0 - conf) / (len(LABELS) - 1)
        return Classification(label, conf, "keyword", {lab: conf if lab == label else rest for lab in LABELS})

    def _cached(self, window: str) -> Classification | None:
        if self.cache_size <= 0:
            return None
        with self._lock:
            hit = self._cache.get(window)
            if hit is not None:
                self._cache.move_to_end(window)
            return hit

    def _store(self, window: str, c: Classification) -> None:
        if self.cache_size <= 0:
            return
        with self._lock:
            self._cache[window] = c
            while len(self._cache) > self.cache_size:
                self._cache.popitem(last=False)

    def clear_cache(self) -> None:
        with self._lock:
            self._cache.clear()


def _with_latency(c: Classification, ms: float) -> Classification:
    return Classification(c.label, c.confidence, c.path, c.probabilities, ms)
