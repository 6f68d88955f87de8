"""The model catalog: providers, models, prices, windows, capabilities and per-label quality.

The catalog is data (``routed_llm/data/catalog.toml``); users load their own file or merge entries
on top of the default. Every value is validated at load, and errors name the key.
"""

from __future__ import annotations

import json
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from decimal import Decimal, InvalidOperation
from importlib import resources
from pathlib import Path
from typing import Any, Literal, cast

from routed_llm.errors import ConfigError
from routed_llm.labels import LABELS, Label, check_label

Wire = Literal["openai", "anthropic"]
Capability = Literal["tools", "vision", "json_schema", "reasoning"]
CAPABILITIES: tuple[Capability, ...] = ("tools", "vision", "json_schema", "reasoning")
MILLION = Decimal(1_000_000)


@dataclass(frozen=True, slots=True)
class ProviderSpec:
    name: str
    wire: Wire
    base_url: str
    api_key_env: str


@dataclass(frozen=True, slots=True)
class Price:
    """US dollars per million tokens."""

    input: Decimal
    output: Decimal
    cache_read: Decimal
    cache_write: Decimal


@dataclass(frozen=True, slots=True)
class ModelSpec:
    name: str
    provider: str
    price: Price
    context_window: int
    max_output_tokens: int
    capabilities: frozenset[Capability]
    ttft_ms: float
    tokens_per_s: float
    quality: Mapping[Label, float]
    quality_source: str = "unknown"
    api_model: str | None = None
    key: str = field(init=False, repr=False, compare=False)
    """``provider/name``, the endpoint's identity (computed once: it is read on every step)."""

    def __post_init__(self) -> None:
        object.__setattr__(self, "key", f"{self.provider}/{self.name}")

    @property
    def wire_name(self) -> str:
        """The model name sent on the wire."""
        return self.api_model or self.name

    def quality_for(self, label: Label) -> float:
        return self.quality.get(label, 0.0)


@dataclass(frozen=True, slots=True)
class Catalog:
    providers: Mapping[str, ProviderSpec]
    models: Mapping[str, ModelSpec]
    prices_as_of: str | None = None
    source: str = "<objects>"
    extra: Mapping[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        for model in self.models.values():
            if model.provider not in self.providers:
                raise ConfigError(
                    f"model {model.name!r} names provider {model.provider!r}, which the catalog does not "
                    f"define; add [providers.{model.provider}] or use one of {sorted(self.providers)}",
                    key=f"models.{model.name}.provider",
                )

    def model(self, name: str) -> ModelSpec:
        """The model called ``name`` (or ``provider/name``); a ConfigError lists the known ones."""
        spec = self.models.get(name)
        if spec is None and "/" in name:
            provider, _, bare = name.partition("/")
            spec = self.models.get(bare)
            if spec is not None and spec.provider != provider:
                spec = None
        if spec is None:
            raise ConfigError(
                f"unknown model {name!r}; known models: {', '.join(sorted(self.models))}", key="model"
            )
        return spec

    def provider(self, name: str) -> ProviderSpec:
        spec = self.providers.get(name)
        if spec is None:
            raise ConfigError(
                f"unknown provider {name!r}; known providers: {', '.join(sorted(self.providers))}",
                key="provider",
            )
        return spec

    def models_of(self, provider: str) -> tuple[ModelSpec, ...]:
        return tuple(m for m in self.models.values() if m.provider == provider)

    def merged(self, other: Catalog) -> Catalog:
        """This catalog with ``other``'s providers and models added or replacing same-named ones."""
        return Catalog(
            providers={**self.providers, **other.providers},
            models={**self.models, **other.models},
            prices_as_of=other.prices_as_of or self.prices_as_of,
            source=f"{self.source}+{other.source}",
        )

    def with_base_urls(self, base_urls: Mapping[str, str]) -> Catalog:
        """A copy whose providers point at other base URLs (e.g. the emulator or a proxy)."""
        providers = dict(self.providers)
        for name, url in base_urls.items():
            providers[name] = replace(self.provider(name), base_url=url)
        return replace(self, providers=providers)

    @staticmethod
    def load_default() -> Catalog:
        return _default_catalog()


_DEFAULT: Catalog | None = None


def _default_catalog() -> Catalog:
    global _DEFAULT
    if _DEFAULT is None:
        text = resources.files("routed_llm.data").joinpath("catalog.toml").read_text("utf-8")
        _DEFAULT = parse_catalog(tomllib.loads(text), source="routed_llm/data/catalog.toml")
    return _DEFAULT


def load_catalog(path: str | Path | None = None, *, merge_default: bool = False) -> Catalog:
    """Load a catalog file (TOML, YAML or JSON). With no path, the shipped default.

    ``merge_default=True`` layers the file over the default, so it only needs the entries it adds
    or changes.
    """
    if path is None:
        return _default_catalog()
    data = read_config_file(path)
    catalog = parse_catalog(data, source=str(path), partial=merge_default)
    return _default_catalog().merged(catalog) if merge_default else catalog


def read_config_file(path: str | Path) -> dict[str, Any]:
    """Read a TOML, YAML or JSON mapping; errors name the file."""
    p = Path(path)
    try:
        raw = p.read_bytes()
    except OSError as exc:
        raise ConfigError(f"cannot read config file {p}: {exc.strerror}", key=str(p)) from exc
    try:
        if p.suffix in (".yaml", ".yml"):
            import yaml

            data = yaml.safe_load(raw)
        elif p.suffix == ".json":
            data = json.loads(raw)
        else:
            data = tomllib.loads(raw.decode("utf-8"))
    except Exception as exc:
        raise ConfigError(f"{p} is not valid {p.suffix.lstrip('.') or 'toml'}: {exc}", key=str(p)) from exc
    if not isinstance(data, dict):
        raise ConfigError(f"{p} must hold a mapping at the top level", key=str(p))
    return data


def parse_catalog(data: Mapping[str, Any], *, source: str = "<dict>", partial: bool = False) -> Catalog:
    """Validate a catalog mapping (as read from TOML/YAML/JSON) into a Catalog."""
    providers_raw = _mapping(data.get("providers", {}), "providers")
    models_raw = _mapping(data.get("models", {}), "models")
    unknown = set(data) - {"providers", "models", "prices_as_of", "currency"}
    if unknown:
        raise ConfigError(
            f"unknown top-level keys {sorted(unknown)}; a catalog has providers, models, prices_as_of",
            key=sorted(unknown)[0],
        )
    providers = {name: _parse_provider(name, _mapping(raw, f"providers.{name}")) for name, raw in providers_raw.items()}
    models = {name: _parse_model(name, _mapping(raw, f"models.{name}")) for name, raw in models_raw.items()}
    if not partial and not models:
        raise ConfigError("the catalog defines no models", key="models")
    if partial:
        known = {**_default_catalog().providers, **providers}
        return Catalog(known, models, data.get("prices_as_of"), source)
    return Catalog(providers, models, data.get("prices_as_of"), source)


def _mapping(value: Any, key: str) -> Mapping[str, Any]:
    if not isinstance(value, Mapping):
        raise ConfigError(f"must be a table/mapping, got {type(value).__name__}", key=key)
    return value


def _parse_provider(name: str, raw: Mapping[str, Any]) -> ProviderSpec:
    key = f"providers.{name}"
    wire = raw.get("wire")
    if wire not in ("openai", "anthropic"):
        raise ConfigError(
            f"wire must be 'openai' (Chat Completions, any OpenAI-compatible server) or 'anthropic', got {wire!r}",
            key=f"{key}.wire",
        )
    base_url = raw.get("base_url")
    if not isinstance(base_url, str) or not base_url.startswith(("http://", "https://")):
        raise ConfigError(f"base_url must be an http(s) URL, got {base_url!r}", key=f"{key}.base_url")
    env = raw.get("api_key_env")
    if not isinstance(env, str) or not env:
        raise ConfigError("api_key_env must name the environment variable holding the key", key=f"{key}.api_key_env")
    _no_extra(raw, {"wire", "base_url", "api_key_env"}, key)
    return ProviderSpec(name, cast(Wire, wire), base_url.rstrip("/"), env)


def _no_extra(raw: Mapping[str, Any], allowed: set[str], key: str) -> None:
    extra = set(raw) - allowed
    if extra:
        raise ConfigError(f"unknown keys {sorted(extra)}; allowed: {sorted(allowed)}", key=f"{key}.{sorted(extra)[0]}")


def _decimal(value: Any, key: str) -> Decimal:
    if isinstance(value, bool) or not isinstance(value, (int, float, str, Decimal)):
        raise ConfigError(f"must be a number (dollars per million tokens), got {value!r}", key=key)
    try:
        d = Decimal(str(value))
    except InvalidOperation as exc:
        raise ConfigError(f"must be a number, got {value!r}", key=key) from exc
    if not d.is_finite() or d < 0:
        raise ConfigError(f"must be a finite number >= 0, got {value!r}", key=key)
    return d


def _positive_int(value: Any, key: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value <= 0:
        raise ConfigError(f"must be a positive integer, got {value!r}", key=key)
    return value


def _positive_float(value: Any, key: str) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float)) or value <= 0:
        raise ConfigError(f"must be a positive number, got {value!r}", key=key)
    return float(value)


def _parse_model(name: str, raw: Mapping[str, Any]) -> ModelSpec:
    key = f"models.{name}"
    _no_extra(
        raw,
        {"provider", "price", "context_window", "max_output_tokens", "capabilities", "ttft_ms",
         "tokens_per_s", "quality", "quality_source", "api_model"},
        key,
    )
    provider = raw.get("provider")
    if not isinstance(provider, str) or not provider:
        raise ConfigError("provider must name a provider of the catalog", key=f"{key}.provider")
    price_raw = _mapping(raw.get("price"), f"{key}.price") if "price" in raw else None
    if price_raw is None:
        raise ConfigError("price is required: { input = .., output = .. } in $ per million tokens", key=f"{key}.price")
    _no_extra(price_raw, {"input", "output", "cache_read", "cache_write"}, f"{key}.price")
    for required in ("input", "output"):
        if required not in price_raw:
            raise ConfigError("is required ($ per million tokens)", key=f"{key}.price.{required}")
    inp = _decimal(price_raw["input"], f"{key}.price.input")
    price = Price(
        input=inp,
        output=_decimal(price_raw["output"], f"{key}.price.output"),
        cache_read=_decimal(price_raw.get("cache_read", inp), f"{key}.price.cache_read"),
        cache_write=_decimal(price_raw.get("cache_write", inp), f"{key}.price.cache_write"),
    )
    caps_raw = raw.get("capabilities", [])
    if not isinstance(caps_raw, list) or any(c not in CAPABILITIES for c in caps_raw):
        raise ConfigError(f"capabilities must be a list drawn from {list(CAPABILITIES)}, got {caps_raw!r}", key=f"{key}.capabilities")
    quality_raw = _mapping(raw.get("quality", {}), f"{key}.quality")
    quality: dict[Label, float] = {}
    for label, score in quality_raw.items():
        lab = check_label(label, key=f"{key}.quality.{label}")
        if isinstance(score, bool) or not isinstance(score, (int, float)) or not 0.0 <= score <= 1.0:
            raise ConfigError(f"quality scores are between 0 and 1, got {score!r}", key=f"{key}.quality.{label}")
        quality[lab] = float(score)
    for lab in LABELS:
        quality.setdefault(lab, 0.5)
    context = _positive_int(raw.get("context_window"), f"{key}.context_window")
    max_out = _positive_int(raw.get("max_output_tokens", min(context, 4096)), f"{key}.max_output_tokens")
    if max_out > context:
        raise ConfigError(f"max_output_tokens ({max_out}) exceeds context_window ({context})", key=f"{key}.max_output_tokens")
    api_model = raw.get("api_model")
    if api_model is not None and not isinstance(api_model, str):
        raise ConfigError("api_model must be a string", key=f"{key}.api_model")
    return ModelSpec(
        name=name,
        provider=provider,
        price=price,
        context_window=context,
        max_output_tokens=max_out,
        capabilities=frozenset(cast(list[Capability], caps_raw)),
        ttft_ms=_positive_float(raw.get("ttft_ms", 500), f"{key}.ttft_ms"),
        tokens_per_s=_positive_float(raw.get("tokens_per_s", 60), f"{key}.tokens_per_s"),
        quality=quality,
        quality_source=str(raw.get("quality_source", "unknown")),
        api_model=api_model,
    )
