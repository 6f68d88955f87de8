"""The ``emulator`` pytest fixture (registered as a ``pytest11`` plugin, or import it).

One emulator per test session; each test gets it reset: no faults, no outages, no recorded
requests, an empty prompt cache and no issued tool-call ids.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from routed_llm.testing.emulator import Emulator


@pytest.fixture(scope="session")
def routed_llm_emulator_session() -> Iterator[Emulator]:
    with Emulator() as emu:
        yield emu


@pytest.fixture
def emulator(routed_llm_emulator_session: Emulator) -> Iterator[Emulator]:
    emu = routed_llm_emulator_session
    emu.reset()
    try:
        yield emu
    finally:
        emu.reset()
