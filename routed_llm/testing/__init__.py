"""Test helpers: a strict loopback emulator of LLM providers (OpenAI and Anthropic wires).

    from routed_llm.testing import Emulator, Fault
    with Emulator() as emu:                       # 127.0.0.1, a free port, a background thread
        client = openai.OpenAI(base_url=emu.base_url("openai"), api_key="x")
        emu.fault("gpt-5-mini", Fault.rate_limit(retry_after=1))

What the emulated models do (deterministic given the request):

- text: ``"[<model>] "`` then sentences on the newest user message's topic, 20-150 tokens
  (150-400 when it asks to write/explain/describe); after tool results it starts with
  ``Based on the tool results: <name> returned "<result>"; ...``.
- tools: the tools named (as whole words) in the newest user message are called in order of
  first mention, one per turn, skipping those already called since that message; all remaining
  at once when the message says "parallel" (unless parallel calls are disabled). Forced choice
  (required/any) calls the next mentioned tool, else the first mentioned, else the first tool; a
  named choice calls that tool. Arguments satisfy the schema's required properties; strings come
  from ``name=value`` pairs in the prompt, else capitalized phrases ("Paris"), else prompt words.
- ids: each provider issues its own format and refuses foreign, unissued-own-format and
  malformed ids, and unpaired tool results (see ``routed_llm.testing.ids``).
- thinking (Anthropic wire): signed per model; every thinking block in a request is verified
  against the requested model (see ``routed_llm.testing.signing``).

The server module is imported on first use of ``Emulator`` or ``serve``, so importing this package
costs nothing. The ``emulator`` pytest fixture lives in ``routed_llm.testing.pytest_plugin``.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from routed_llm.testing.faults import Fault, FaultKind
from routed_llm.testing.models import EmulatedModel, default_models

if TYPE_CHECKING:
    from routed_llm.testing.emulator import Emulator, RecordedRequest
    from routed_llm.testing.serve import serve

__all__ = ["EmulatedModel", "Emulator", "Fault", "FaultKind", "RecordedRequest", "default_models", "serve"]


def __getattr__(name: str) -> Any:
    if name in ("Emulator", "RecordedRequest"):
        from routed_llm.testing import emulator

        return getattr(emulator, name)
    if name == "serve":
        from routed_llm.testing.serve import serve

        return serve
    raise AttributeError(f"module 'routed_llm.testing' has no attribute {name!r}")
