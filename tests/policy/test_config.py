"""Loading and refusing misconfigured policies: errors name the key and the fix."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
import yaml

from routed_llm.catalog import Catalog
from routed_llm.errors import ConfigError
from routed_llm.policy import Policy, PolicyConfig, Weights, load_policy
from routed_llm.policy.config import LabelPolicy, default_policy_text


def test_default_policy_loads_and_documents_every_key() -> None:
    cfg = load_policy(None)
    assert cfg.flagship == "gpt-5" and cfg.default_dial == 0.5
    text = default_policy_text()
    for key in ("flagship", "default_dial", "pin_mode", "chain_length", "cross_provider_fallbacks",
                "[weights]", "[complexity]", "long_context_tokens", "signals_per_tier", "floor_step",
                "max_lift", "[shadow]", "share", "[carbon]", "[pin_fallbacks]", "[quality]", "floor",
                "output_tokens", "chain", "extend_chain", "cascade", "verifier", "judge_model"):
        assert key in text
    Policy(Catalog.load_default(), cfg)


def _raises(data: dict[str, Any], key: str, *words: str, catalog: bool = False) -> None:
    with pytest.raises(ConfigError) as info:
        cfg = load_policy(data)
        if catalog:
            Policy(Catalog.load_default(), cfg)
    assert info.value.key == key, str(info.value)
    for w in words:
        assert w in str(info.value)


def test_unknown_model_named_with_key_and_known_models() -> None:
    _raises({"labels": {"code": {"chain": ["gpt-5", "gpt-9"]}}}, "labels.code.chain[1]", "gpt-9", "gpt-5-mini",
            catalog=True)
    _raises({"flagship": "nope"}, "flagship", "nope", catalog=True)
    with pytest.raises(ConfigError) as info:
        load_policy({"shadow": {"share": 0.1, "model": "x"}}, catalog=Catalog.load_default())
    assert info.value.key == "shadow.model"


def test_unknown_label() -> None:
    _raises({"labels": {"poetry": {"floor": 0.5}}}, "labels.poetry", "translation")
    _raises({"quality": {"gpt-5": {"poetry": 0.5}}}, "quality.gpt-5.poetry")


def test_weights_all_zero() -> None:
    _raises({"weights": {"quality": 0, "cost": 0, "latency": 0, "carbon": 0}}, "weights", "all weights are zero",
            "quality = 1.0")
    _raises({"labels": {"chat": {"weights": {"quality": 0, "cost": 0, "latency": 0}}}}, "labels.chat.weights")
    _raises({"weights": {"cost": -1}}, "weights.cost", ">= 0")


def test_dial_outside_range() -> None:
    _raises({"default_dial": 1.2}, "default_dial", "0 (best quality) to 1 (lowest cost)")


def test_other_bad_values() -> None:
    _raises({"labels": {"chat": {"floor": 2}}}, "labels.chat.floor", "between 0 and 1")
    _raises({"labels": {"chat": {"flor": 0.5}}}, "labels.chat.flor", "allowed here")
    _raises({"pin_mode": "loose"}, "pin_mode", "'prefer'")
    _raises({"labels": {"chat": {"chain": "gpt-5"}}}, "labels.chat.chain", "list")
    _raises({"labels": {"chat": {"chain": ["gpt-5", "gpt-5"]}}}, "labels.chat.chain", "twice")
    _raises({"labels": {"chat": {"cascade": {"rules": ["vibes"]}}}}, "labels.chat.cascade.rules", "non_empty")
    _raises({"labels": {"chat": {"cascade": {"max_tiers": 1}}}}, "labels.chat.cascade.max_tiers")
    _raises({"shadow": {"share": 1.5}}, "shadow.share")
    _raises({"colour": "red"}, "colour")
    _raises({"version": 2}, "version")


def test_python_objects_are_validated_by_policy() -> None:
    bad = PolicyConfig(weights=Weights(0, 0, 0, 0))
    with pytest.raises(ConfigError) as info:
        Policy(Catalog.load_default(), bad)
    assert info.value.key == "weights"
    with pytest.raises(ConfigError) as info:
        Policy(Catalog.load_default(), PolicyConfig(labels={"code": LabelPolicy(chain=("nope",))}))
    assert info.value.key == "labels.code.chain[0]"


@pytest.mark.parametrize("suffix", [".toml", ".yaml", ".json"])
def test_files_in_each_format(tmp_path: Path, suffix: str) -> None:
    data = {"flagship": "claude-sonnet-4-5", "labels": {"code": {"chain": ["gpt-5", "gpt-5-mini"]}}}
    path = tmp_path / f"p{suffix}"
    if suffix == ".yaml":
        path.write_text(yaml.safe_dump(data))
    elif suffix == ".json":
        path.write_text(json.dumps(data))
    else:
        path.write_text('flagship = "claude-sonnet-4-5"\n[labels.code]\nchain = ["gpt-5", "gpt-5-mini"]\n')
    cfg = load_policy(path, catalog=Catalog.load_default())
    assert cfg.flagship == "claude-sonnet-4-5" and cfg.label("code").chain == ("gpt-5", "gpt-5-mini")


def test_merge_default_keeps_the_rest(tmp_path: Path) -> None:
    path = tmp_path / "p.toml"
    path.write_text("[labels.chat]\nfloor = 0.5\n")
    cfg = load_policy(path, merge_default=True)
    assert cfg.label("chat").floor == 0.5
    assert cfg.label("code").floor == load_policy(None).label("code").floor


def test_quality_file_is_merged(tmp_path: Path) -> None:
    (tmp_path / "q.toml").write_text('[quality."gpt-5-nano"]\ncode = 0.99\n')
    (tmp_path / "p.toml").write_text('quality_file = "q.toml"\n')
    assert load_policy(tmp_path / "p.toml").quality["gpt-5-nano"]["code"] == 0.99


def test_bad_file_names_the_file(tmp_path: Path) -> None:
    path = tmp_path / "broken.toml"
    path.write_text("weights = [")
    with pytest.raises(ConfigError) as info:
        load_policy(path)
    assert "broken.toml" in str(info.value)
