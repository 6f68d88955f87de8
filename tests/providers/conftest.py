from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import replace

import pytest
from pydantic import SecretStr

from routed_llm.catalog import Catalog, ModelSpec, ProviderSpec, load_catalog
from routed_llm.providers import ProviderAdapter, make_adapter
from routed_llm.testing import Emulator
from routed_llm.testing.pytest_plugin import emulator, routed_llm_emulator_session  # noqa: F401

KEY = "sk-test-SECRET-0123456789abcdef"


@pytest.fixture(scope="session")
def catalog() -> Catalog:
    return load_catalog()


@pytest.fixture
def provider(catalog: Catalog) -> Callable[[str], ProviderSpec]:
    return catalog.provider


@pytest.fixture
def model(catalog: Catalog) -> Callable[[str], ModelSpec]:
    return catalog.model


@pytest.fixture
def adapter(emulator: Emulator, catalog: Catalog) -> Iterator[Callable[[str], ProviderAdapter]]:  # noqa: F811
    made: list[ProviderAdapter] = []

    def build(name: str, key: str = KEY) -> ProviderAdapter:
        spec = replace(catalog.provider(name), base_url=emulator.base_url(name))
        a = make_adapter(spec, SecretStr(key), default_timeout=10.0)
        made.append(a)
        return a

    yield build
    for a in made:
        a.close()
