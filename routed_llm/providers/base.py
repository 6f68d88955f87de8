"""The provider adapter interface and its factory.

An adapter speaks one wire API (OpenAI Chat Completions or Anthropic Messages) for one provider of
the catalog. It owns one SDK client per flavour (sync, async), created lazily on first use, with the
SDK's own retries off: the executor decides what to retry. Every SDK exception leaves an adapter as a
``routed_llm.errors.ProviderError`` raised ``from`` the original.
"""

from __future__ import annotations

import os
from collections.abc import AsyncIterator, Iterator
from typing import TYPE_CHECKING, Protocol, runtime_checkable

from routed_llm.catalog import ModelSpec, ProviderSpec
from routed_llm.errors import AuthenticationError, ConfigError
from routed_llm.messages import ProviderChunk, ProviderResponse, Request

if TYPE_CHECKING:
    from pydantic import SecretStr

DEFAULT_TIMEOUT = 60.0


@runtime_checkable
class ProviderAdapter(Protocol):
    """One provider's wire API. ``stream``/``astream`` yield text, reasoning and tool-call delta
    chunks, then one chunk whose ``final`` is the complete response."""

    provider: ProviderSpec

    def complete(self, request: Request, model: ModelSpec, *, timeout: float | None = None) -> ProviderResponse: ...

    async def acomplete(
        self, request: Request, model: ModelSpec, *, timeout: float | None = None
    ) -> ProviderResponse: ...

    def stream(self, request: Request, model: ModelSpec, *, timeout: float | None = None) -> Iterator[ProviderChunk]: ...

    def astream(
        self, request: Request, model: ModelSpec, *, timeout: float | None = None
    ) -> AsyncIterator[ProviderChunk]: ...

    def close(self) -> None: ...

    async def aclose(self) -> None: ...


def resolve_api_key(provider: ProviderSpec, api_key: SecretStr | None) -> SecretStr:
    """``api_key``, else the value of ``provider.api_key_env``; AuthenticationError when neither."""
    if api_key is not None and api_key.get_secret_value():
        return api_key
    value = os.environ.get(provider.api_key_env, "").strip()
    if not value:
        raise AuthenticationError(
            f"no API key for provider {provider.name!r}: set the environment variable "
            f"{provider.api_key_env} (or pass api_key)",
            provider=provider.name,
        )
    from pydantic import SecretStr  # lazily: the SDK that uses the key imports pydantic anyway

    return SecretStr(value)


def make_adapter(
    provider: ProviderSpec, api_key: SecretStr | None, *, default_timeout: float = DEFAULT_TIMEOUT
) -> ProviderAdapter:
    """The adapter for ``provider.wire``. ``api_key=None`` reads ``os.environ[provider.api_key_env]``.

    Only this call imports the wire's SDK; importing ``routed_llm.providers`` does not.
    """
    if default_timeout <= 0:
        raise ConfigError(f"default_timeout must be > 0 seconds, got {default_timeout}", key="default_timeout")
    key = resolve_api_key(provider, api_key)
    if provider.wire == "openai":
        from routed_llm.providers.openai import OpenAIAdapter

        return OpenAIAdapter(provider, key, default_timeout=default_timeout)
    if provider.wire == "anthropic":
        from routed_llm.providers.anthropic import AnthropicAdapter

        return AnthropicAdapter(provider, key, default_timeout=default_timeout)
    raise ConfigError(
        f"provider {provider.name!r} has wire {provider.wire!r}; supported: 'openai', 'anthropic'",
        key=f"providers.{provider.name}.wire",
    )


def effective_timeout(request: Request, timeout: float | None, default: float) -> float:
    """The call's timeout: the explicit argument, else ``request.timeout``, else the adapter default."""
    if timeout is not None:
        return timeout
    if request.timeout is not None:
        return request.timeout
    return default
