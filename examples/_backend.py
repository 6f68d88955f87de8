"""Where the examples' model calls go: the real providers when a key is set, else the emulator.

    with backend() as (router_kwargs, banner):
        print(banner)                      # always the first line of output
        llm = RoutedChatModel(**router_kwargs)

``router_kwargs`` are the Router arguments (base_urls, api_keys) to pass to either adapter.
Set ``ROUTED_LLM_EMULATOR=1`` to force the emulator even with keys set.
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import Iterator
from typing import Any

from routed_llm.catalog import load_catalog


def real_providers() -> list[str]:
    return sorted(name for name, p in load_catalog().providers.items() if os.environ.get(p.api_key_env))


@contextlib.contextmanager
def backend(time_scale: float = 0.0) -> Iterator[tuple[dict[str, Any], str]]:
    providers = real_providers()
    if providers and os.environ.get("ROUTED_LLM_EMULATOR") != "1":
        yield {}, f"API keys found: running against the real providers ({', '.join(providers)})."
        return
    from routed_llm.testing import Emulator

    with Emulator(time_scale=time_scale) as emu:
        catalog = load_catalog()
        kwargs: dict[str, Any] = {
            "base_urls": {name: emu.base_url(name) for name in catalog.providers},
            "api_keys": {name: f"emulator-key-{name}" for name in catalog.providers},
        }
        yield kwargs, (f"No API keys set: running against the built-in provider emulator at {emu.url} "
                       "(set OPENAI_API_KEY or ANTHROPIC_API_KEY to use real providers).")
