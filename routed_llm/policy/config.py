"""The routing policy as data: dataclasses, the file/mapping parser and the validator.

A policy is read from TOML, YAML or JSON (``load_policy``) or built from these dataclasses in Python.
Either way ``validate_config`` checks it, and every error is a ``ConfigError`` whose ``key`` is the
dotted path of the offending entry and whose message says how to fix it. Model names are checked
against a catalog by ``check_models`` (``Policy`` does this when it is built).
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path
from typing import Any, Literal, cast

from routed_llm.catalog import Catalog, read_config_file
from routed_llm.errors import ConfigError
from routed_llm.labels import Label, check_label

PinMode = Literal["prefer", "strict"]
VerifierKind = Literal["rules", "judge"]
RULES: tuple[str, ...] = ("non_empty", "json", "no_refusal", "min_length")
DEFAULT_REFUSALS: tuple[str, ...] = (
    "i can't help with",
    "i cannot help with",
    "i can't assist",
    "i cannot assist",
    "i'm not able to",
    "i am not able to",
    "i'm unable to",
    "i am unable to",
    "as an ai",
    "i'm not sure",
    "i am not sure",
    "i don't know",
    "i do not know",
)
DEFAULT_MULTI_STEP: tuple[str, ...] = (
    "step by step",
    "step-by-step",
    "and then",
    "after that",
    "first,",
    "finally,",
    "prove",
    "derive",
    "plan ",
    "compare and",
    "trade-off",
    "tradeoffs",
)
DEFAULT_CODE_MARKERS: tuple[str, ...] = (
    "```",
    "def ",
    "class ",
    "function ",
    "import ",
    "#include",
    "traceback (most recent call last)",
    "public static",
    "=> {",
    "select * from",
)


@dataclass(frozen=True, slots=True)
class Weights:
    """Weights of the score terms. The dial moves weight between quality and the rest."""

    quality: float = 1.0
    cost: float = 1.0
    latency: float = 0.1
    carbon: float = 0.0


@dataclass(frozen=True, slots=True)
class CascadeConfig:
    enabled: bool = False
    tiers: tuple[str, ...] = ()
    floor: float = 0.0
    max_tiers: int = 2
    verifier: VerifierKind = "rules"
    rules: tuple[str, ...] = ("non_empty", "json", "no_refusal")
    min_length: int = 1
    refusal_phrases: tuple[str, ...] = DEFAULT_REFUSALS
    judge_model: str | None = None


@dataclass(frozen=True, slots=True)
class ShadowConfig:
    share: float = 0.0
    model: str | None = None
    seed: str = "routed-llm"


@dataclass(frozen=True, slots=True)
class LabelPolicy:
    floor: float = 0.0
    output_tokens: int = 500
    chain: tuple[str, ...] = ()
    extend_chain: bool = False
    weights: Weights | None = None
    lift: bool = True
    cascade: CascadeConfig = field(default_factory=CascadeConfig)
    shadow: ShadowConfig | None = None


@dataclass(frozen=True, slots=True)
class ComplexityConfig:
    enabled: bool = True
    long_context_tokens: int = 24_000
    many_questions: int = 3
    numbered_steps: int = 3
    multi_step_phrases: tuple[str, ...] = DEFAULT_MULTI_STEP
    code_markers: tuple[str, ...] = DEFAULT_CODE_MARKERS
    code_labels: tuple[Label, ...] = ("reasoning", "chat", "extraction", "summarize", "rewrite")
    signals_per_tier: int = 1
    floor_step: float = 0.03
    max_lift: int = 2


@dataclass(frozen=True, slots=True)
class CarbonConfig:
    """Grams CO2e per 1,000 tokens. The catalog has no carbon data; these are the policy's guesses."""

    default_g_per_1k_tokens: float = 0.3
    models: Mapping[str, float] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class PolicyConfig:
    flagship: str = "gpt-5"
    default_dial: float = 0.5
    weights: Weights = field(default_factory=Weights)
    pin_mode: PinMode = "prefer"
    chain_length: int = 3
    cross_provider_fallbacks: int = 2
    labels: Mapping[Label, LabelPolicy] = field(default_factory=dict)
    complexity: ComplexityConfig = field(default_factory=ComplexityConfig)
    shadow: ShadowConfig = field(default_factory=ShadowConfig)
    pin_fallbacks: Mapping[str, tuple[str, ...]] = field(default_factory=dict)
    quality: Mapping[str, Mapping[Label, float]] = field(default_factory=dict)
    carbon: CarbonConfig = field(default_factory=CarbonConfig)
    source: str = "<objects>"

    def label(self, label: Label) -> LabelPolicy:
        return self.labels.get(label) or LabelPolicy()

    def weights_for(self, label: Label) -> Weights:
        return self.label(label).weights or self.weights

    def shadow_for(self, label: Label) -> ShadowConfig:
        return self.label(label).shadow or self.shadow


# ----------------------------------------------------------------------------------------- loading


def default_policy_text() -> str:
    return resources.files("routed_llm.data").joinpath("policy.toml").read_text("utf-8")


def default_policy_mapping() -> dict[str, Any]:
    import tomllib

    return tomllib.loads(default_policy_text())


def load_policy(
    source: str | Path | Mapping[str, Any] | None = None,
    *,
    catalog: Catalog | None = None,
    merge_default: bool = False,
) -> PolicyConfig:
    """Read and validate a policy from a TOML/YAML/JSON file or a mapping (None = shipped default).

    ``merge_default=True`` layers the given entries over the shipped default, so a file only needs
    what it changes. With ``catalog``, model names are checked too.
    """
    if source is None:
        data: Mapping[str, Any] = default_policy_mapping()
        where = "routed_llm/data/policy.toml"
    elif isinstance(source, Mapping):
        data, where = source, "<mapping>"
    else:
        data, where = read_config_file(source), str(source)
        if "quality_file" in data:
            data = _with_quality_file(data, Path(source).parent)
    if merge_default and source is not None:
        data = deep_merge(default_policy_mapping(), data)
    config = parse_policy(data, source=where)
    if catalog is not None:
        check_models(config, catalog)
    return config


def _with_quality_file(data: Mapping[str, Any], base: Path) -> dict[str, Any]:
    ref = data["quality_file"]
    if not isinstance(ref, str):
        raise ConfigError("must be a path to a file written by `routed-llm calibrate`", key="quality_file")
    extra = read_config_file(base / ref if not Path(ref).is_absolute() else Path(ref))
    merged = {k: v for k, v in data.items() if k != "quality_file"}
    merged["quality"] = deep_merge(dict(_table(extra.get("quality", {}), "quality_file.quality")),
                                   dict(_table(data.get("quality", {}), "quality")))
    return merged


def deep_merge(base: Mapping[str, Any], over: Mapping[str, Any]) -> dict[str, Any]:
    out = dict(base)
    for k, v in over.items():
        if isinstance(v, Mapping) and isinstance(out.get(k), Mapping):
            out[k] = deep_merge(out[k], v)
        else:
            out[k] = v
    return out


# ----------------------------------------------------------------------------------------- parsing

_TOP = {
    "version", "flagship", "default_dial", "weights", "pin_mode", "chain_length",
    "cross_provider_fallbacks", "labels", "complexity", "shadow", "pin_fallbacks", "quality",
    "carbon", "quality_file",
}


def parse_policy(data: Mapping[str, Any], *, source: str = "<mapping>") -> PolicyConfig:
    _known(data, _TOP, "")
    if data.get("version", 1) != 1:
        raise ConfigError("this routed-llm reads policy version 1; set version = 1", key="version")
    labels_raw = _table(data.get("labels", {}), "labels")
    labels: dict[Label, LabelPolicy] = {}
    for name, raw in labels_raw.items():
        lab = check_label(name, key=f"labels.{name}")
        labels[lab] = _label(_table(raw, f"labels.{name}"), f"labels.{name}")
    pins: dict[str, tuple[str, ...]] = {}
    for name, raw in _table(data.get("pin_fallbacks", {}), "pin_fallbacks").items():
        pins[name] = _strs(raw, f"pin_fallbacks.{name}")
    quality: dict[str, dict[Label, float]] = {}
    for model, raw in _table(data.get("quality", {}), "quality").items():
        scores = _table(raw, f"quality.{model}")
        quality[model] = {
            check_label(lab, key=f"quality.{model}.{lab}"): _num(v, f"quality.{model}.{lab}")
            for lab, v in scores.items()
        }
    config = PolicyConfig(
        flagship=_str(data.get("flagship", "gpt-5"), "flagship"),
        default_dial=_num(data.get("default_dial", 0.5), "default_dial"),
        weights=_weights(data.get("weights", {}), "weights"),
        pin_mode=cast(PinMode, _choice(data.get("pin_mode", "prefer"), ("prefer", "strict"), "pin_mode")),
        chain_length=_int(data.get("chain_length", 3), "chain_length"),
        cross_provider_fallbacks=_int(data.get("cross_provider_fallbacks", 2), "cross_provider_fallbacks"),
        labels=labels,
        complexity=_complexity(_table(data.get("complexity", {}), "complexity")),
        shadow=_shadow(_table(data.get("shadow", {}), "shadow"), "shadow"),
        pin_fallbacks=pins,
        quality=quality,
        carbon=_carbon(_table(data.get("carbon", {}), "carbon")),
        source=source,
    )
    validate_config(config)
    return config


def _label(raw: Mapping[str, Any], key: str) -> LabelPolicy:
    _known(raw, {"floor", "output_tokens", "chain", "extend_chain", "weights", "lift", "cascade", "shadow"}, key)
    return LabelPolicy(
        floor=_num(raw.get("floor", 0.0), f"{key}.floor"),
        output_tokens=_int(raw.get("output_tokens", 500), f"{key}.output_tokens"),
        chain=_strs(raw.get("chain", []), f"{key}.chain"),
        extend_chain=_bool(raw.get("extend_chain", False), f"{key}.extend_chain"),
        weights=_weights(raw["weights"], f"{key}.weights") if "weights" in raw else None,
        lift=_bool(raw.get("lift", True), f"{key}.lift"),
        cascade=_cascade(_table(raw.get("cascade", {}), f"{key}.cascade"), f"{key}.cascade"),
        shadow=_shadow(_table(raw["shadow"], f"{key}.shadow"), f"{key}.shadow") if "shadow" in raw else None,
    )


def _weights(value: Any, key: str) -> Weights:
    raw = _table(value, key)
    _known(raw, {"quality", "cost", "latency", "carbon"}, key)
    d = Weights()
    return Weights(
        quality=_num(raw.get("quality", d.quality), f"{key}.quality"),
        cost=_num(raw.get("cost", d.cost), f"{key}.cost"),
        latency=_num(raw.get("latency", d.latency), f"{key}.latency"),
        carbon=_num(raw.get("carbon", d.carbon), f"{key}.carbon"),
    )


def _cascade(raw: Mapping[str, Any], key: str) -> CascadeConfig:
    _known(raw, {"enabled", "tiers", "floor", "max_tiers", "verifier", "rules", "min_length",
                 "refusal_phrases", "judge_model"}, key)
    d = CascadeConfig()
    judge = raw.get("judge_model")
    return CascadeConfig(
        enabled=_bool(raw.get("enabled", d.enabled), f"{key}.enabled"),
        tiers=_strs(raw.get("tiers", []), f"{key}.tiers"),
        floor=_num(raw.get("floor", d.floor), f"{key}.floor"),
        max_tiers=_int(raw.get("max_tiers", d.max_tiers), f"{key}.max_tiers"),
        verifier=cast(VerifierKind, _choice(raw.get("verifier", d.verifier), ("rules", "judge"), f"{key}.verifier")),
        rules=_strs(raw.get("rules", list(d.rules)), f"{key}.rules"),
        min_length=_int(raw.get("min_length", d.min_length), f"{key}.min_length"),
        refusal_phrases=_strs(raw.get("refusal_phrases", list(d.refusal_phrases)), f"{key}.refusal_phrases"),
        judge_model=None if judge is None else _str(judge, f"{key}.judge_model"),
    )


def _shadow(raw: Mapping[str, Any], key: str) -> ShadowConfig:
    _known(raw, {"share", "model", "seed"}, key)
    model = raw.get("model")
    return ShadowConfig(
        share=_num(raw.get("share", 0.0), f"{key}.share"),
        model=None if model is None else _str(model, f"{key}.model"),
        seed=_str(raw.get("seed", "routed-llm"), f"{key}.seed"),
    )


def _complexity(raw: Mapping[str, Any]) -> ComplexityConfig:
    key = "complexity"
    d = ComplexityConfig()
    _known(raw, set(ComplexityConfig.__dataclass_fields__), key)
    return ComplexityConfig(
        enabled=_bool(raw.get("enabled", d.enabled), f"{key}.enabled"),
        long_context_tokens=_int(raw.get("long_context_tokens", d.long_context_tokens), f"{key}.long_context_tokens"),
        many_questions=_int(raw.get("many_questions", d.many_questions), f"{key}.many_questions"),
        numbered_steps=_int(raw.get("numbered_steps", d.numbered_steps), f"{key}.numbered_steps"),
        multi_step_phrases=_strs(raw.get("multi_step_phrases", list(d.multi_step_phrases)), f"{key}.multi_step_phrases"),
        code_markers=_strs(raw.get("code_markers", list(d.code_markers)), f"{key}.code_markers"),
        code_labels=tuple(
            check_label(v, key=f"{key}.code_labels")
            for v in _strs(raw.get("code_labels", list(d.code_labels)), f"{key}.code_labels")
        ),
        signals_per_tier=_int(raw.get("signals_per_tier", d.signals_per_tier), f"{key}.signals_per_tier"),
        floor_step=_num(raw.get("floor_step", d.floor_step), f"{key}.floor_step"),
        max_lift=_int(raw.get("max_lift", d.max_lift), f"{key}.max_lift", minimum=0),
    )


def _carbon(raw: Mapping[str, Any]) -> CarbonConfig:
    _known(raw, {"default_g_per_1k_tokens", "models"}, "carbon")
    models = _table(raw.get("models", {}), "carbon.models")
    return CarbonConfig(
        default_g_per_1k_tokens=_num(raw.get("default_g_per_1k_tokens", 0.3), "carbon.default_g_per_1k_tokens"),
        models={m: _num(v, f"carbon.models.{m}") for m, v in models.items()},
    )


def _known(raw: Mapping[str, Any], allowed: set[str], key: str) -> None:
    extra = sorted(set(raw) - allowed)
    if extra:
        where = f"{key}.{extra[0]}" if key else extra[0]
        raise ConfigError(f"unknown key {extra[0]!r}; allowed here: {', '.join(sorted(allowed))}", key=where)


def _table(value: Any, key: str) -> Mapping[str, Any]:
    if not isinstance(value, Mapping):
        raise ConfigError(f"must be a table/mapping, got {type(value).__name__}", key=key)
    return value


def _num(value: Any, key: str) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value):
        raise ConfigError(f"must be a finite number, got {value!r}", key=key)
    return float(value)


def _int(value: Any, key: str, *, minimum: int = 1) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value < minimum:
        raise ConfigError(f"must be an integer >= {minimum}, got {value!r}", key=key)
    return value


def _bool(value: Any, key: str) -> bool:
    if not isinstance(value, bool):
        raise ConfigError(f"must be true or false, got {value!r}", key=key)
    return value


def _str(value: Any, key: str) -> str:
    if not isinstance(value, str) or not value:
        raise ConfigError(f"must be a non-empty string, got {value!r}", key=key)
    return value


def _strs(value: Any, key: str) -> tuple[str, ...]:
    if not isinstance(value, (list, tuple)) or not all(isinstance(v, str) and v for v in value):
        raise ConfigError(f"must be a list of non-empty strings, got {value!r}", key=key)
    return tuple(value)


def _choice(value: Any, options: tuple[str, ...], key: str) -> str:
    if value not in options:
        raise ConfigError(f"must be one of {', '.join(repr(o) for o in options)}, got {value!r}", key=key)
    return cast(str, value)


# -------------------------------------------------------------------------------------- validation


def check_dial(dial: float, key: str = "dial") -> float:
    if isinstance(dial, bool) or not isinstance(dial, (int, float)) or not 0.0 <= dial <= 1.0:
        raise ConfigError(
            f"dial must be a number from 0 (best quality) to 1 (lowest cost), got {dial!r}; "
            "use e.g. 0.5 (balanced) or a preference ('quality', 'balanced', 'cost')",
            key=key,
        )
    return float(dial)


def check_weights(w: Weights, key: str) -> None:
    for name in ("quality", "cost", "latency", "carbon"):
        value = getattr(w, name)
        if not math.isfinite(value) or value < 0:
            raise ConfigError(f"weights are >= 0, got {value!r}", key=f"{key}.{name}")
    if w.quality + w.cost + w.latency + w.carbon <= 0:
        raise ConfigError(
            "all weights are zero, so no model can be preferred; give quality and cost a positive "
            "weight (e.g. quality = 1.0, cost = 1.0)",
            key=key,
        )


def _unit(value: float, key: str, what: str) -> None:
    if not 0.0 <= value <= 1.0:
        raise ConfigError(f"{what} is between 0 and 1, got {value!r}", key=key)


def validate_config(config: PolicyConfig) -> None:
    """Check values that do not need the catalog; raises ConfigError naming the key."""
    check_dial(config.default_dial, "default_dial")
    check_weights(config.weights, "weights")
    if config.pin_mode not in ("prefer", "strict"):
        raise ConfigError("must be 'prefer' or 'strict'", key="pin_mode")
    if config.chain_length < 1:
        raise ConfigError("must be >= 1 (the choice itself)", key="chain_length")
    if config.cross_provider_fallbacks < 0:
        raise ConfigError("must be >= 0", key="cross_provider_fallbacks")
    for lab, lp in config.labels.items():
        key = f"labels.{lab}"
        check_label(lab, key=key)
        _unit(lp.floor, f"{key}.floor", "a quality floor")
        if lp.output_tokens < 1:
            raise ConfigError("must be >= 1 (expected output tokens of a step)", key=f"{key}.output_tokens")
        if lp.weights is not None:
            check_weights(lp.weights, f"{key}.weights")
        if len(set(lp.chain)) != len(lp.chain):
            raise ConfigError("lists a model twice; list each model once", key=f"{key}.chain")
        c = lp.cascade
        _unit(c.floor, f"{key}.cascade.floor", "a quality floor")
        if c.max_tiers < 2:
            raise ConfigError("a cascade needs at least 2 tiers", key=f"{key}.cascade.max_tiers")
        for rule in c.rules:
            if rule not in RULES:
                raise ConfigError(f"unknown rule {rule!r}; use {', '.join(RULES)}", key=f"{key}.cascade.rules")
        if c.verifier == "rules" and c.enabled and not c.rules:
            raise ConfigError("a rules verifier needs at least one rule", key=f"{key}.cascade.rules")
        if lp.shadow is not None:
            _unit(lp.shadow.share, f"{key}.shadow.share", "a share")
    _unit(config.shadow.share, "shadow.share", "a share")
    cx = config.complexity
    _unit(cx.floor_step, "complexity.floor_step", "a floor step")
    for model, scores in config.quality.items():
        for lab, q in scores.items():
            check_label(lab, key=f"quality.{model}.{lab}")
            _unit(q, f"quality.{model}.{lab}", "a quality score")
    if config.carbon.default_g_per_1k_tokens < 0:
        raise ConfigError("must be >= 0", key="carbon.default_g_per_1k_tokens")


def check_models(config: PolicyConfig, catalog: Catalog) -> None:
    """Every model the policy names must be in the catalog; the error lists the known ones."""
    known = ", ".join(sorted(catalog.models))

    def check(name: str, key: str) -> None:
        try:
            catalog.model(name)
        except ConfigError:
            raise ConfigError(
                f"unknown model {name!r}; use a model of the catalog ({known}) or add it to the catalog",
                key=key,
            ) from None

    check(config.flagship, "flagship")
    if config.shadow.model is not None:
        check(config.shadow.model, "shadow.model")
    for lab, lp in config.labels.items():
        for i, name in enumerate(lp.chain):
            check(name, f"labels.{lab}.chain[{i}]")
        for i, name in enumerate(lp.cascade.tiers):
            check(name, f"labels.{lab}.cascade.tiers[{i}]")
        if lp.cascade.judge_model is not None:
            check(lp.cascade.judge_model, f"labels.{lab}.cascade.judge_model")
        if lp.shadow is not None and lp.shadow.model is not None:
            check(lp.shadow.model, f"labels.{lab}.shadow.model")
    for name, fallbacks in config.pin_fallbacks.items():
        check(name, f"pin_fallbacks.{name}")
        for i, fb in enumerate(fallbacks):
            check(fb, f"pin_fallbacks.{name}[{i}]")
    for name in config.quality:
        check(name, f"quality.{name}")
    for name in config.carbon.models:
        check(name, f"carbon.models.{name}")


__all__ = [
    "RULES",
    "CarbonConfig",
    "CascadeConfig",
    "ComplexityConfig",
    "LabelPolicy",
    "PolicyConfig",
    "ShadowConfig",
    "Weights",
    "check_dial",
    "check_models",
    "check_weights",
    "deep_merge",
    "default_policy_text",
    "load_policy",
    "parse_policy",
    "validate_config",
]
