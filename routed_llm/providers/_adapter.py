"""The client lifecycle and call/stream plumbing shared by both wire adapters.

A wire module subclasses ``WireAdapter`` and supplies the SDK-specific hooks; everything that is
the same for both wires (lazy clients, timeouts, error mapping on every path, stream assembly and
its final chunk, key scrubbing) lives here once.
"""

from __future__ import annotations

import threading
from collections.abc import AsyncIterator, Iterator, Sequence
from typing import Any, Protocol

from pydantic import SecretStr

from routed_llm.catalog import ModelSpec, ProviderSpec
from routed_llm.errors import ProviderError
from routed_llm.messages import ProviderChunk, ProviderResponse, Request
from routed_llm.providers._common import scrub
from routed_llm.providers.base import effective_timeout


class StreamState(Protocol):
    def feed(self, event: Any) -> Sequence[ProviderChunk]: ...

    def finish(self) -> ProviderResponse: ...


class WireAdapter:
    """Base of OpenAIAdapter / AnthropicAdapter. Not part of the public API."""

    wire_label = "wire"

    def __init__(self, provider: ProviderSpec, api_key: SecretStr, *, default_timeout: float) -> None:
        self.provider = provider
        self._api_key = api_key
        self._default_timeout = default_timeout
        self._client: Any = None
        self._aclient: Any = None
        self._lock = threading.Lock()

    def __repr__(self) -> str:
        return f"{type(self).__name__}(provider={self.provider.name!r}, base_url={self.provider.base_url!r})"

    # ----------------------------------------------------------------------- hooks (override)

    def _new_client(self, *, asynchronous: bool) -> Any:
        raise NotImplementedError

    def _prepare(self, request: Request, model: ModelSpec, *, stream: bool) -> tuple[dict[str, Any], Any]:
        """(SDK create kwargs, context handed to ``_parse`` / ``_stream_state``)."""
        raise NotImplementedError

    #: where a whole (non-streamed) response is posted, relative to the client's base URL
    whole_response_path = ""

    def _sdk_create(self, client: Any) -> Any:
        """The SDK's typed create call (``client.chat.completions.create``, ...), used for streams."""
        raise NotImplementedError

    def _create(self, client: Any, payload: dict[str, Any], timeout: float) -> Any:
        if payload.get("stream"):
            return self._sdk_create(client)(**payload, timeout=timeout)
        # A whole response: the SDK's public raw-request call with the JSON body as it stands. It
        # skips re-walking the typed params and building response models that would only be dumped
        # back to a dict (~0.5 ms a call); auth, headers, errors and the HTTP client are the SDK's.
        return client.post(self.whole_response_path, body=payload, cast_to=object, options={"timeout": timeout})

    def _parse(self, obj: Any, model: ModelSpec, ctx: Any) -> ProviderResponse:
        raise NotImplementedError

    def _stream_state(self, model: ModelSpec, ctx: Any) -> StreamState:
        raise NotImplementedError

    def _map(self, exc: BaseException, model: ModelSpec) -> ProviderError:
        raise NotImplementedError

    def _sdk_errors(self) -> tuple[type[BaseException], ...]:
        raise NotImplementedError

    # ----------------------------------------------------------------------------- clients

    def _sync(self) -> Any:
        if self._client is None:
            with self._lock:
                if self._client is None:
                    self._client = self._new_client(asynchronous=False)
        return self._client

    def _async(self) -> Any:
        if self._aclient is None:
            with self._lock:
                if self._aclient is None:
                    self._aclient = self._new_client(asynchronous=True)
        return self._aclient

    def close(self) -> None:
        client, self._client = self._client, None
        if client is not None:
            client.close()

    async def aclose(self) -> None:
        aclient, self._aclient = self._aclient, None
        if aclient is not None:
            await aclient.close()
        self.close()

    # ------------------------------------------------------------------------------ errors

    def _error(self, exc: BaseException, model: ModelSpec) -> ProviderError:
        mapped = self._map(exc, model)
        secret = self._api_key.get_secret_value()
        text = str(mapped)
        clean = scrub(text, secret)
        if clean != text:
            mapped.args = (clean,)
        return mapped

    def _errors(self) -> tuple[type[BaseException], ...]:
        return (*self._sdk_errors(), OSError, TimeoutError, EOFError)

    # ------------------------------------------------------------------------------- calls

    def complete(self, request: Request, model: ModelSpec, *, timeout: float | None = None) -> ProviderResponse:
        payload, ctx = self._prepare(request, model, stream=False)
        t = effective_timeout(request, timeout, self._default_timeout)
        try:
            obj = self._create(self._sync(), payload, t)
        except self._errors() as exc:
            raise self._error(exc, model) from exc
        return self._parse(obj, model, ctx)

    async def acomplete(self, request: Request, model: ModelSpec, *, timeout: float | None = None) -> ProviderResponse:
        payload, ctx = self._prepare(request, model, stream=False)
        t = effective_timeout(request, timeout, self._default_timeout)
        try:
            obj = await self._create(self._async(), payload, t)
        except self._errors() as exc:
            raise self._error(exc, model) from exc
        return self._parse(obj, model, ctx)

    def stream(self, request: Request, model: ModelSpec, *, timeout: float | None = None) -> Iterator[ProviderChunk]:
        payload, ctx = self._prepare(request, model, stream=True)
        t = effective_timeout(request, timeout, self._default_timeout)
        state = self._stream_state(model, ctx)
        errors = self._errors()

        def chunks() -> Iterator[ProviderChunk]:
            # the request is sent on the first next(), as astream does
            try:
                sdk_stream = self._create(self._sync(), payload, t)
                with sdk_stream:
                    for event in sdk_stream:
                        yield from state.feed(event)
            except errors as exc:
                raise self._error(exc, model) from exc
            yield ProviderChunk(final=state.finish())

        return chunks()

    async def astream(
        self, request: Request, model: ModelSpec, *, timeout: float | None = None
    ) -> AsyncIterator[ProviderChunk]:
        payload, ctx = self._prepare(request, model, stream=True)
        t = effective_timeout(request, timeout, self._default_timeout)
        state = self._stream_state(model, ctx)
        errors = self._errors()
        try:
            sdk_stream = await self._create(self._async(), payload, t)
        except errors as exc:
            raise self._error(exc, model) from exc
        try:
            async for event in sdk_stream:
                for chunk in state.feed(event):
                    yield chunk
        except errors as exc:
            raise self._error(exc, model) from exc
        finally:
            await sdk_stream.close()
        yield ProviderChunk(final=state.finish())
