"""The classifier interface: what every classifier returns and the methods it offers."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Literal, Protocol, runtime_checkable

from routed_llm.labels import Label

Path = Literal["pinned", "keyword", "learned", "rules"]
PATHS: tuple[Path, ...] = ("pinned", "keyword", "learned", "rules")


@dataclass(frozen=True, slots=True)
class Classification:
    """One decision. ``path`` says which stage answered: ``pinned`` (the caller chose), ``keyword``
    (the high-precision shortcut), ``learned`` (the head above its label's threshold) or ``rules``."""

    label: Label
    confidence: float
    path: Path
    probabilities: Mapping[Label, float] = field(default_factory=dict)
    latency_ms: float = 0.0


@runtime_checkable
class Classifier(Protocol):
    name: str

    def classify(self, text: str) -> Classification: ...

    def classify_many(self, texts: Sequence[str]) -> list[Classification]: ...

    def warm(self) -> None: ...
