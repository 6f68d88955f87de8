"""The models an emulator serves: name, provider, wire protocol, limits and latency profile."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Literal

if TYPE_CHECKING:
    from routed_llm.catalog import Catalog

Wire = Literal["openai", "anthropic"]


@dataclass(frozen=True, slots=True)
class EmulatedModel:
    """One model behind the emulator.

    ``name`` is the model name on the wire (the catalog's ``wire_name``). ``ttft_ms`` and
    ``tokens_per_s`` pace responses, scaled by the emulator's ``time_scale``. ``tools``, ``vision``
    and ``json_schema`` say which request features the model accepts (a request using a missing
    one is refused with 400, as real providers do).
    """

    name: str
    provider: str
    wire: Wire
    context_window: int
    max_output_tokens: int
    reasoning: bool = False
    ttft_ms: float = 500.0
    tokens_per_s: float = 60.0
    tools: bool = True
    vision: bool = True
    json_schema: bool = True

    def __post_init__(self) -> None:
        if not self.name or not self.provider:
            raise ValueError("EmulatedModel needs a name and a provider")
        if self.wire not in ("openai", "anthropic"):
            raise ValueError(f"EmulatedModel.wire must be 'openai' or 'anthropic', got {self.wire!r}")
        if self.context_window <= 0 or self.max_output_tokens <= 0:
            raise ValueError(f"{self.name}: context_window and max_output_tokens must be positive")
        if self.ttft_ms < 0 or self.tokens_per_s <= 0:
            raise ValueError(f"{self.name}: ttft_ms must be >= 0 and tokens_per_s > 0")

    @classmethod
    def from_catalog(cls, catalog: Catalog) -> tuple[EmulatedModel, ...]:
        """One emulated model per catalog model, with the catalog's limits and latency."""
        out: list[EmulatedModel] = []
        for spec in catalog.models.values():
            provider = catalog.providers[spec.provider]
            caps = spec.capabilities
            out.append(
                cls(
                    name=spec.wire_name,
                    provider=spec.provider,
                    wire=provider.wire,
                    context_window=spec.context_window,
                    max_output_tokens=spec.max_output_tokens,
                    reasoning="reasoning" in caps,
                    ttft_ms=spec.ttft_ms,
                    tokens_per_s=spec.tokens_per_s,
                    tools="tools" in caps,
                    vision="vision" in caps,
                    json_schema="json_schema" in caps,
                )
            )
        return tuple(out)


def default_models() -> tuple[EmulatedModel, ...]:
    """The models of the package's default catalog."""
    from routed_llm.catalog import load_catalog

    return EmulatedModel.from_catalog(load_catalog())
