"""Shared fixtures of the hardening suites (fault soak, bad input, secret leaks).

The ``emulator`` fixture comes from the routed_llm pytest plugin (one emulator per test session,
reset for each test). Real provider keys are removed from the environment so nothing here can
reach a real provider.
"""

from __future__ import annotations

import pytest

from routed_llm.catalog import load_catalog

KEY_ENVS = tuple(sorted({p.api_key_env for p in load_catalog().providers.values()}))


@pytest.fixture(autouse=True)
def _no_real_keys(monkeypatch: pytest.MonkeyPatch) -> None:
    for var in KEY_ENVS:
        monkeypatch.delenv(var, raising=False)
