from __future__ import annotations

from decimal import Decimal
from pathlib import Path

import pytest

from routed_llm.catalog import Catalog, load_catalog, parse_catalog
from routed_llm.errors import ConfigError
from routed_llm.labels import LABELS


def _minimal(**model_overrides: object) -> dict[str, object]:
    model: dict[str, object] = {
        "provider": "local",
        "price": {"input": 1, "output": 2},
        "context_window": 8000,
        "capabilities": ["tools"],
    }
    model.update(model_overrides)
    return {
        "providers": {"local": {"wire": "openai", "base_url": "http://127.0.0.1:8000/v1", "api_key_env": "LOCAL_KEY"}},
        "models": {"llama": model},
    }


def test_default_catalog_covers_both_wires_and_two_compatible_providers() -> None:
    cat = load_catalog()
    wires = {p.wire for p in cat.providers.values()}
    assert wires == {"openai", "anthropic"}
    compatible = [p for p in cat.providers.values() if p.wire == "openai" and p.name != "openai"]
    assert len(compatible) >= 2
    assert cat.prices_as_of
    for model in cat.models.values():
        assert set(model.quality) == set(LABELS)
        assert model.price.input >= 0 and model.context_window > model.max_output_tokens // 2


def test_prices_are_decimal_and_cache_defaults_to_input() -> None:
    cat = parse_catalog(_minimal())
    price = cat.model("llama").price
    assert price.input == Decimal("1") and price.cache_read == Decimal("1")


def test_model_lookup_by_provider_prefix_and_unknown_lists_known() -> None:
    cat = load_catalog()
    assert cat.model("openai/gpt-5").name == "gpt-5"
    with pytest.raises(ConfigError, match=r"known models: .*gpt-5"):
        cat.model("gpt-17")
    with pytest.raises(ConfigError):
        cat.model("anthropic/gpt-5")


@pytest.mark.parametrize(
    ("override", "key"),
    [
        ({"price": {"input": -1, "output": 2}}, "models.llama.price.input"),
        ({"price": {"input": "abc", "output": 2}}, "models.llama.price.input"),
        ({"price": {"output": 2}}, "models.llama.price.input"),
        ({"context_window": 0}, "models.llama.context_window"),
        ({"capabilities": ["telepathy"]}, "models.llama.capabilities"),
        ({"quality": {"poetry": 0.5}}, "models.llama.quality.poetry"),
        ({"quality": {"code": 1.5}}, "models.llama.quality.code"),
        ({"provider": "nowhere"}, "models.llama.provider"),
        ({"colour": "red"}, "models.llama.colour"),
    ],
)
def test_malformed_catalog_names_the_key(override: dict[str, object], key: str) -> None:
    with pytest.raises(ConfigError) as info:
        parse_catalog(_minimal(**override))
    assert info.value.key == key
    assert key in str(info.value)


def test_bad_provider_wire_names_key() -> None:
    data = _minimal()
    data["providers"] = {"local": {"wire": "grpc", "base_url": "http://x", "api_key_env": "K"}}
    with pytest.raises(ConfigError, match=r"providers\.local\.wire"):
        parse_catalog(data)


def test_file_formats_and_merge_default(tmp_path: Path) -> None:
    toml = tmp_path / "extra.toml"
    toml.write_text(
        '[providers.ollama]\nwire = "openai"\nbase_url = "http://127.0.0.1:11434/v1"\napi_key_env = "OLLAMA_KEY"\n'
        '[models.llama3]\nprovider = "ollama"\nprice = { input = 0, output = 0 }\ncontext_window = 8192\n'
    )
    merged = load_catalog(toml, merge_default=True)
    assert "llama3" in merged.models and "gpt-5" in merged.models
    yaml_file = tmp_path / "c.yaml"
    yaml_file.write_text("providers: {local: {wire: openai, base_url: 'http://127.0.0.1:1/v1', api_key_env: K}}\n"
                         "models: {m: {provider: local, price: {input: 1, output: 1}, context_window: 100, max_output_tokens: 50}}\n")
    assert isinstance(load_catalog(yaml_file), Catalog)
    broken = tmp_path / "broken.toml"
    broken.write_text("[models\n")
    with pytest.raises(ConfigError, match=r"broken\.toml"):
        load_catalog(broken)


def test_with_base_urls_points_providers_elsewhere() -> None:
    cat = load_catalog().with_base_urls({"openai": "http://127.0.0.1:9/v1"})
    assert cat.provider("openai").base_url == "http://127.0.0.1:9/v1"
    with pytest.raises(ConfigError):
        load_catalog().with_base_urls({"nope": "http://x"})
