from __future__ import annotations

import pytest

from routed_llm.catalog import Catalog
from routed_llm.messages import Message, Request
from routed_llm.policy import Policy


@pytest.fixture(scope="session")
def catalog() -> Catalog:
    return Catalog.load_default()

@pytest.fixture(scope="session")
def policy(catalog: Catalog) -> Policy:
    return Policy(catalog, None)

@pytest.fixture()
def req() -> Request:
    return Request((Message.user("hello there"),))

ALL = frozenset({"openai", "anthropic", "deepseek", "mistral", "gemini"})
