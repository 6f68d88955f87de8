"""Fixtures of the langchain-routed-llm tests: the emulator (from routed_llm.testing), a model
wired to it, and a fake router for tests that need no HTTP at all."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from lc_support import FakeRouter, emulated_model_params
from routed_llm.testing.pytest_plugin import emulator, routed_llm_emulator_session

from langchain_routed_llm import RoutedChatModel

__all__ = ["emulated_model", "emulator", "fake_router", "routed_llm_emulator_session"]


@pytest.fixture
def fake_router() -> FakeRouter:
    return FakeRouter()


@pytest.fixture
def emulated_model(emulator: Any) -> Callable[..., RoutedChatModel]:
    def make(**kw: Any) -> RoutedChatModel:
        return RoutedChatModel(**emulated_model_params(emulator, **kw))

    return make
