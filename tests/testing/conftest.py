from __future__ import annotations

from collections.abc import Iterator

import anthropic
import openai
import pytest
from emulator_helpers import anthropic_for, client_for

from routed_llm.testing import Emulator
from routed_llm.testing.pytest_plugin import emulator, routed_llm_emulator_session  # noqa: F401


@pytest.fixture
def emu(emulator: Emulator) -> Iterator[Emulator]:  # noqa: F811 - the plugin's fixture
    yield emulator


@pytest.fixture
def oai(emu: Emulator) -> openai.OpenAI:
    return client_for(emu, "openai")


@pytest.fixture
def claude(emu: Emulator) -> anthropic.Anthropic:
    return anthropic_for(emu)
