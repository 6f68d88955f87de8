"""Hard constraints, applied before any scoring. Each filtered model gets a human reason."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from routed_llm.catalog import CAPABILITIES, Catalog, ModelSpec
from routed_llm.errors import ConfigError
from routed_llm.messages import Request


@dataclass(frozen=True, slots=True)
class Constraints:
    required: frozenset[str]
    available_providers: frozenset[str] | None
    cooling: frozenset[str]
    input_tokens: int
    output_tokens: int
    max_tokens: int | None
    pinned_provider: str | None

    @property
    def needed_context(self) -> int:
        return self.input_tokens + self.output_tokens


def check_required(required: Iterable[str]) -> frozenset[str]:
    req = frozenset(required)
    unknown = sorted(req - set(CAPABILITIES))
    if unknown:
        raise ConfigError(
            f"unknown capability {unknown[0]!r}; required capabilities are drawn from {', '.join(CAPABILITIES)}",
            key="required",
        )
    return req


def capabilities_for(request: Request) -> frozenset[str]:
    """The capabilities a request plainly needs: bound tools, images, a JSON response format."""
    caps: set[str] = set()
    if request.tools:
        caps.add("tools")
    if any(m.images for m in request.messages):
        caps.add("vision")
    if request.response_format is not None:
        caps.add("json_schema")
    if request.thinking is not None:
        caps.add("reasoning")
    return frozenset(caps)


def hard_reasons(model: ModelSpec, catalog: Catalog, c: Constraints) -> list[str]:
    """Why ``model`` cannot serve this step at all (empty when it can)."""
    reasons: list[str] = []
    if c.available_providers is not None and model.provider not in c.available_providers:
        env = catalog.providers[model.provider].api_key_env if model.provider in catalog.providers else "?"
        reasons.append(f"no API key: set {env}")
    if model.key in c.cooling or model.name in c.cooling:
        reasons.append("cooling down")
    missing = sorted(c.required - model.capabilities)
    if missing:
        reasons.append(f"missing capability {', '.join(missing)}")
    if model.context_window < c.needed_context:
        reasons.append(f"context window {model.context_window} < {c.needed_context} needed")
    if c.max_tokens is not None and model.max_output_tokens < c.max_tokens:
        reasons.append(f"max output {model.max_output_tokens} < {c.max_tokens} requested")
    return reasons


def pin_reason(model: ModelSpec, c: Constraints) -> str | None:
    if c.pinned_provider is None or model.provider == c.pinned_provider:
        return None
    return f"provider {model.provider} not pinned (session pinned to {c.pinned_provider})"


def split(
    models: Iterable[ModelSpec], catalog: Catalog, c: Constraints
) -> tuple[list[ModelSpec], list[tuple[ModelSpec, str]]]:
    """(eligible, filtered-with-reason) under the hard constraints; the pin is handled by the caller."""
    eligible: list[ModelSpec] = []
    filtered: list[tuple[ModelSpec, str]] = []
    for m in models:
        reasons = hard_reasons(m, catalog, c)
        if reasons:
            filtered.append((m, "; ".join(reasons)))
        else:
            eligible.append(m)
    return eligible, filtered
