"""Provider adapters: one module per wire API (``openai``: Chat Completions, ``anthropic``: Messages).

    from routed_llm.providers import make_adapter
    adapter = make_adapter(catalog.provider("anthropic"), None)   # key from ANTHROPIC_API_KEY
    response = adapter.complete(request, catalog.model("claude-haiku-4-5"))

Importing this package imports no SDK; ``make_adapter`` imports the one its provider's wire needs.
"""

from __future__ import annotations

from routed_llm.providers.base import DEFAULT_TIMEOUT, ProviderAdapter, make_adapter, resolve_api_key

__all__ = ["DEFAULT_TIMEOUT", "ProviderAdapter", "make_adapter", "resolve_api_key"]
