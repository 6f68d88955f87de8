"""What the policy decides for one step: a Route (ordered chain, optional cascade and shadow)."""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field, replace
from typing import Any, Literal

from routed_llm.catalog import ModelSpec
from routed_llm.labels import Label
from routed_llm.policy.complexity import Complexity
from routed_llm.policy.verifiers import Judge, JudgeVerifier, Verifier

Mode = Literal["auto", "chain", "pinned"]


class LazyExplanation(Mapping[str, Any]):
    """The policy's explanation, built on first read. Building it (every candidate with its score
    terms) costs more than the routing decision itself, and most steps are never explained."""

    __slots__ = ("_build", "_data")

    def __init__(self, build: Callable[[], dict[str, Any]]) -> None:
        self._build: Callable[[], dict[str, Any]] | None = build
        self._data: dict[str, Any] | None = None

    def _get(self) -> dict[str, Any]:
        if self._data is None:
            assert self._build is not None
            self._data, self._build = self._build(), None
        return self._data

    def __getitem__(self, key: str) -> Any:
        return self._get()[key]

    def __iter__(self) -> Iterator[str]:
        return iter(self._get())

    def __len__(self) -> int:
        return len(self._get())

    def __repr__(self) -> str:
        return repr(self._get())


@dataclass(frozen=True, slots=True)
class Cascade:
    """Try ``tiers`` in order, cheapest first; after each answer but the last, ``verifier`` decides
    whether it stands (``ok``) or the step escalates to the next tier. Every attempt is billed, so
    the router prices and reports each one. ``tiers[-1]`` is ``Route.chain[0]``: if the top tier
    fails with a provider error, the router continues with ``Route.chain[1:]`` as usual.
    ``judge_model`` is the cheap model a judge verifier should call (the router binds the call with
    ``with_judge``)."""

    tiers: tuple[ModelSpec, ...]
    verifier: Verifier
    judge_model: ModelSpec | None = None

    def with_judge(self, judge: Judge) -> Cascade:
        if isinstance(self.verifier, JudgeVerifier):
            return replace(self, verifier=self.verifier.bind(judge))
        return self

    @property
    def needs_judge(self) -> bool:
        return isinstance(self.verifier, JudgeVerifier) and self.verifier.judge is None


@dataclass(frozen=True, slots=True)
class Route:
    """The policy's decision for one step.

    ``chain`` is ordered: the choice, then fallbacks (models of the pinned provider first, then other
    available providers). It never repeats a model. ``mode`` is ``auto`` (scored), ``chain`` (an
    explicit chain from the config) or ``pinned`` (an explicit model pin; ``label`` is then None
    unless the caller gave one). ``explanation`` is JSON-friendly.
    """

    label: Label | None
    chain: tuple[ModelSpec, ...]
    mode: Mode
    dial: float
    cascade: Cascade | None = None
    shadow: ModelSpec | None = None
    complexity: Complexity = field(default_factory=Complexity)
    expected_quality: float = 0.0
    explanation: Mapping[str, Any] = field(default_factory=dict)

    @property
    def choice(self) -> ModelSpec:
        return self.chain[0]

    @property
    def path(self) -> str | None:
        """``"pinned"`` for an explicit model pin; otherwise the classifier's path applies."""
        return "pinned" if self.mode == "pinned" else None

    @property
    def keys(self) -> tuple[str, ...]:
        return tuple(m.key for m in self.chain)
