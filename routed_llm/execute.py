"""Run a Route's chain: retries, Retry-After, backoff with jitter, cooldowns, context escalation,
failover, and streaming failover only before the first chunk.

The decisions live in ``ChainRun`` (no I/O, no sleeping), so the sync, async and streaming loops
below are thin and share every rule:

* retryable errors (429, 5xx, timeouts, dropped connections, malformed answers) retry the same
  endpoint up to ``RetryPolicy.max_retries`` times, waiting Retry-After when the provider sent it
  (up to ``max_retry_after_s``; longer waits move on at once) or exponential backoff with jitter;
* an endpoint that fails ``cooldown_after_failures`` times within ``failure_window_s`` cools down
  for ``cooldown_s`` (shared through the session store, so other processes skip it too);
* a context-length error skips every later endpoint whose window is not larger;
* an out-of-quota answer (QuotaExceededError) skips that provider's endpoints and cools them down;
* authentication and bad-request errors stop the chain at once;
* every attempt is recorded; when all fail, one AllAttemptsFailedError lists them.
"""

from __future__ import annotations

import logging
import random
import time
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from typing import TYPE_CHECKING, Protocol

from routed_llm.catalog import ModelSpec
from routed_llm.costs import price
from routed_llm.errors import (
    AllAttemptsFailedError,
    ContextWindowError,
    ProviderConnectionError,
    ProviderError,
    QuotaExceededError,
    RateLimitError,
    RetryableError,
    StreamInterruptedError,
)
from routed_llm.events import Attempt
from routed_llm.messages import ProviderChunk, ProviderResponse, Request

if TYPE_CHECKING:
    from routed_llm.providers.base import ProviderAdapter

log = logging.getLogger("routed_llm.execute")


class HealthStore(Protocol):
    """The endpoint-health part of a session store (sync calls for the sync loops, the ``a``
    twins for the async ones, so an async agent never blocks its event loop on the store)."""

    def cooldowns(self, endpoint_keys: Sequence[str]) -> dict[str, float]: ...

    def set_cooldown(self, endpoint_key: str, until_epoch_s: float) -> None: ...

    def record_failure(self, endpoint_key: str, window_s: float) -> int: ...

    def reset_failures(self, endpoint_key: str) -> None: ...

    async def acooldowns(self, endpoint_keys: Sequence[str]) -> dict[str, float]: ...

    async def aset_cooldown(self, endpoint_key: str, until_epoch_s: float) -> None: ...

    async def arecord_failure(self, endpoint_key: str, window_s: float) -> int: ...

    async def areset_failures(self, endpoint_key: str) -> None: ...


@dataclass(frozen=True, slots=True)
class RetryPolicy:
    max_retries: int = 2
    base_delay_s: float = 0.25
    max_delay_s: float = 8.0
    max_retry_after_s: float = 20.0
    cooldown_after_failures: int = 3
    failure_window_s: float = 60.0
    cooldown_s: float = 30.0

    def backoff(self, retry_number: int, rng: random.Random) -> float:
        """Full-jitter exponential backoff for the ``retry_number``-th retry (0-based)."""
        ceiling = min(self.max_delay_s, self.base_delay_s * (2**retry_number))
        return rng.uniform(ceiling / 2, ceiling)


@dataclass(slots=True)
class Next:
    """What to do after a failed attempt: wait ``delay_s`` then retry the same endpoint, or move on;
    ``cool`` lists endpoints to cool down until ``until`` (the loop writes that to the store)."""

    retry: bool
    delay_s: float = 0.0
    cool: tuple[str, ...] = ()
    until: float = 0.0


@dataclass
class ChainRun:
    """The rules of one chain run, without I/O: the loops read the endpoints' cooldowns once
    (``cooling``), then report each attempt here and apply what it answers to the health store."""

    chain: Sequence[ModelSpec]
    retry: RetryPolicy
    cooling: dict[str, float] = field(default_factory=dict)  # endpoint key -> cooldown end (epoch s)
    rng: random.Random = field(default_factory=random.Random)
    clock: Callable[[], float] = time.time
    attempts: list[Attempt] = field(default_factory=list)
    _min_window: int = 0
    _out_of_quota: set[str] = field(default_factory=set)  # providers whose account said so
    _index: int = -1
    _retries_here: int = 0

    def next_endpoint(self) -> ModelSpec | None:
        """The next endpoint worth trying, skipping those cooling down or too small."""
        while True:
            self._index += 1
            self._retries_here = 0
            if self._index >= len(self.chain):
                return None
            model = self.chain[self._index]
            if model.context_window <= self._min_window:
                continue
            if model.provider in self._out_of_quota:
                self.attempts.append(Attempt(model.provider, model.name, False, 0.0, "QuotaExceeded",
                                             f"skipped: the {model.provider} account is out of quota"))
                continue
            until = self.cooling.get(model.key)
            if until is not None and until > self.clock():
                self.attempts.append(
                    Attempt(model.provider, model.name, False, 0.0, "CoolingDown",
                            f"skipped: cooling down for {until - self.clock():.1f}s more")
                )
                continue
            return model

    def succeeded(self, model: ModelSpec, response: ProviderResponse, latency_ms: float) -> Attempt:
        attempt = Attempt(model.provider, model.name, True, latency_ms, usage=response.usage,
                          cost=price(response.usage, model))
        self.attempts.append(attempt)
        return attempt

    def failed(self, model: ModelSpec, exc: ProviderError, latency_ms: float) -> Next | None:
        """Record a failed attempt; raise at once for errors that no endpoint can fix. ``None``
        means a retryable error: record the failure in the store and ask ``after_failure``."""
        usage = exc.usage
        retry_after = exc.retry_after if isinstance(exc, RateLimitError) else None
        self.attempts.append(
            Attempt(model.provider, model.name, False, latency_ms, type(exc).__name__, str(exc),
                    exc.status, retry_after, usage, price(usage, model) if usage else None)
        )
        if isinstance(exc, ContextWindowError):
            self._min_window = max(self._min_window, model.context_window)
            return Next(retry=False)
        if isinstance(exc, QuotaExceededError):
            # the whole account is out: skip its other models now and cool them down for later steps
            self._out_of_quota.add(model.provider)
            log.warning("routed-llm: the %s account is out of quota; failing over to other providers",
                        model.provider)
            keys = tuple(m.key for m in self.chain if m.provider == model.provider)
            return self._cool(keys)
        if not isinstance(exc, RetryableError):
            raise exc
        return None

    def after_failure(self, model: ModelSpec, exc: ProviderError, failures: int) -> Next:
        """The next step after a retryable failure, the endpoint's ``failures`` in the window included."""
        if failures >= self.retry.cooldown_after_failures:
            until = self.cooling.get(model.key)
            if until is None or until <= self.clock():  # warn when a cooldown starts, not per failure
                log.warning("routed-llm: %s failed %d times in %.1fs, cooling down for %.1fs",
                            model.key, failures, self.retry.failure_window_s, self.retry.cooldown_s)
            return self._cool((model.key,))
        if self._retries_here >= self.retry.max_retries:
            return Next(retry=False)
        retry_after = exc.retry_after if isinstance(exc, RateLimitError) else None
        if retry_after is not None:
            if retry_after > self.retry.max_retry_after_s:
                return Next(retry=False)
            delay = retry_after
        else:
            delay = self.retry.backoff(self._retries_here, self.rng)
        self._retries_here += 1
        return Next(retry=True, delay_s=delay)

    def _cool(self, keys: tuple[str, ...]) -> Next:
        until = self.clock() + self.retry.cooldown_s
        for key in keys:
            self.cooling[key] = until
        return Next(retry=False, cool=keys, until=until)

    def failed_after_first_chunk(self, model: ModelSpec, exc: ProviderError, latency_ms: float) -> bool:
        """Record a stream that broke after output reached the caller; it is never retried. True
        when the failure counts against the endpoint's health."""
        self.attempts.append(
            Attempt(model.provider, model.name, False, latency_ms, type(exc).__name__, str(exc), exc.status)
        )
        return isinstance(exc, RetryableError)

    def exhausted(self) -> AllAttemptsFailedError:
        names = ", ".join(m.key for m in self.chain)
        return AllAttemptsFailedError(
            f"every endpoint of the chain failed ({names}); attempts:", attempts=self.attempts
        )

    @property
    def failed_cost(self) -> Decimal:
        return sum((a.cost for a in self.attempts if not a.ok and a.cost is not None), Decimal(0))


@dataclass(frozen=True, slots=True)
class Execution:
    response: ProviderResponse
    model: ModelSpec
    attempts: tuple[Attempt, ...]
    failed_cost: Decimal


AdapterFor = Callable[[ModelSpec], "ProviderAdapter"]
Prepare = Callable[[ModelSpec], Request]
APrepare = Callable[[ModelSpec], Awaitable[Request]]


def _ms(t0: float) -> float:
    return (time.perf_counter() - t0) * 1000.0


class Executor:
    def __init__(
        self,
        adapter_for: AdapterFor,
        health: HealthStore,
        retry: RetryPolicy | None = None,
        *,
        sleep: Callable[[float], None] = time.sleep,
        rng: random.Random | None = None,
    ) -> None:
        self._adapter_for = adapter_for
        self._health = health
        self.retry = retry or RetryPolicy()
        self._sleep = sleep
        self._rng = rng or random.Random()

    def _keys(self, chain: Sequence[ModelSpec]) -> list[str]:
        return [m.key for m in chain]

    # ``cooling``: the endpoints' cooldowns when the caller already read them for this step (the
    # router does, to route); the run reads and updates that dict. Else the run reads the store.
    def _run(self, chain: Sequence[ModelSpec], cooling: dict[str, float] | None) -> ChainRun:
        if cooling is None:
            cooling = self._health.cooldowns(self._keys(chain))
        return ChainRun(chain, self.retry, cooling, self._rng)

    async def _arun(self, chain: Sequence[ModelSpec], cooling: dict[str, float] | None) -> ChainRun:
        if cooling is None:
            cooling = await self._health.acooldowns(self._keys(chain))
        return ChainRun(chain, self.retry, cooling, self._rng)

    # the health-store side of each rule, sync and async
    def _failed(self, run: ChainRun, model: ModelSpec, exc: ProviderError, t0: float) -> Next:
        step = run.failed(model, exc, _ms(t0))
        if step is None:
            step = run.after_failure(model, exc, self._health.record_failure(model.key, self.retry.failure_window_s))
        for key in step.cool:
            self._health.set_cooldown(key, step.until)
        return step

    async def _afailed(self, run: ChainRun, model: ModelSpec, exc: ProviderError, t0: float) -> Next:
        step = run.failed(model, exc, _ms(t0))
        if step is None:
            failures = await self._health.arecord_failure(model.key, self.retry.failure_window_s)
            step = run.after_failure(model, exc, failures)
        for key in step.cool:
            await self._health.aset_cooldown(key, step.until)
        return step

    def _succeeded(self, run: ChainRun, model: ModelSpec, response: ProviderResponse, t0: float) -> None:
        run.succeeded(model, response, _ms(t0))
        self._health.reset_failures(model.key)

    async def _asucceeded(self, run: ChainRun, model: ModelSpec, response: ProviderResponse, t0: float) -> None:
        run.succeeded(model, response, _ms(t0))
        await self._health.areset_failures(model.key)

    def _broke(self, run: ChainRun, model: ModelSpec, exc: ProviderError, t0: float) -> StreamInterruptedError:
        if run.failed_after_first_chunk(model, exc, _ms(t0)):
            self._health.record_failure(model.key, self.retry.failure_window_s)
        return _interrupted(model, exc)

    async def _abroke(self, run: ChainRun, model: ModelSpec, exc: ProviderError, t0: float) -> StreamInterruptedError:
        if run.failed_after_first_chunk(model, exc, _ms(t0)):
            await self._health.arecord_failure(model.key, self.retry.failure_window_s)
        return _interrupted(model, exc)

    # the loops
    def run(self, chain: Sequence[ModelSpec], prepare: Prepare, timeout: float | None, *,
            cooling: dict[str, float] | None = None) -> Execution:
        run = self._run(chain, cooling)
        while (model := run.next_endpoint()) is not None:
            request = prepare(model)
            adapter = self._adapter_for(model)
            while True:
                t0 = time.perf_counter()
                try:
                    response = adapter.complete(request, model, timeout=timeout)
                except ProviderError as exc:
                    step = self._failed(run, model, exc, t0)
                    if not step.retry:
                        break
                    self._sleep(step.delay_s)
                    continue
                self._succeeded(run, model, response, t0)
                return Execution(response, model, tuple(run.attempts), run.failed_cost)
        raise run.exhausted()

    async def arun(self, chain: Sequence[ModelSpec], prepare: APrepare, timeout: float | None, *,
                   cooling: dict[str, float] | None = None) -> Execution:
        run = await self._arun(chain, cooling)
        while (model := run.next_endpoint()) is not None:
            request = await prepare(model)
            adapter = self._adapter_for(model)
            while True:
                t0 = time.perf_counter()
                try:
                    response = await adapter.acomplete(request, model, timeout=timeout)
                except ProviderError as exc:
                    step = await self._afailed(run, model, exc, t0)
                    if not step.retry:
                        break
                    await _sleep(step.delay_s)
                    continue
                await self._asucceeded(run, model, response, t0)
                return Execution(response, model, tuple(run.attempts), run.failed_cost)
        raise run.exhausted()

    def stream(
        self, chain: Sequence[ModelSpec], prepare: Prepare, timeout: float | None, *,
        cooling: dict[str, float] | None = None,
    ) -> Iterator[tuple[ModelSpec, ProviderChunk, ChainRun]]:
        """Yield (model, chunk, run). Fails over only until the first chunk has been yielded."""
        run = self._run(chain, cooling)
        while (model := run.next_endpoint()) is not None:
            request = prepare(model)
            adapter = self._adapter_for(model)
            while True:
                t0 = time.perf_counter()
                chunks = _meaningful(adapter.stream(request, model, timeout=timeout), model)
                try:
                    first = next(chunks)
                except ProviderError as exc:
                    step = self._failed(run, model, exc, t0)
                    if not step.retry:
                        break
                    self._sleep(step.delay_s)
                    continue
                chunk = first
                while True:
                    if chunk.final is not None:
                        self._succeeded(run, model, chunk.final, t0)
                    yield model, chunk, run
                    try:
                        chunk = next(chunks)
                    except StopIteration:
                        return
                    except ProviderError as exc:
                        raise self._broke(run, model, exc, t0) from exc
        raise run.exhausted()

    async def astream(
        self, chain: Sequence[ModelSpec], prepare: APrepare, timeout: float | None, *,
        cooling: dict[str, float] | None = None,
    ) -> AsyncIterator[tuple[ModelSpec, ProviderChunk, ChainRun]]:
        run = await self._arun(chain, cooling)
        while (model := run.next_endpoint()) is not None:
            request = await prepare(model)
            adapter = self._adapter_for(model)
            while True:
                t0 = time.perf_counter()
                chunks = _ameaningful(adapter.astream(request, model, timeout=timeout), model)
                try:
                    first = await anext(chunks)
                except ProviderError as exc:
                    step = await self._afailed(run, model, exc, t0)
                    if not step.retry:
                        break
                    await _sleep(step.delay_s)
                    continue
                chunk = first
                while True:
                    if chunk.final is not None:
                        await self._asucceeded(run, model, chunk.final, t0)
                    yield model, chunk, run
                    try:
                        chunk = await anext(chunks)
                    except StopAsyncIteration:
                        return
                    except ProviderError as exc:
                        raise await self._abroke(run, model, exc, t0) from exc
        raise run.exhausted()


def _empty(chunk: ProviderChunk) -> bool:
    return not (chunk.text or chunk.reasoning or chunk.tool_call is not None or chunk.final is not None)


def _no_content(model: ModelSpec) -> ProviderConnectionError:
    # nothing reached the caller yet, so this is retryable like a dropped connection
    return ProviderConnectionError(f"{model.key} ended its stream without any content",
                                   provider=model.provider, model=model.name)


def _meaningful(chunks: Iterator[ProviderChunk], model: ModelSpec) -> Iterator[ProviderChunk]:
    """Drop chunks that carry nothing, so "the first chunk" means the first output the caller sees;
    a stream that ends with no output at all fails like any other failure before the first chunk."""
    seen = False
    for chunk in chunks:
        if not _empty(chunk):
            seen = True
            yield chunk
    if not seen:
        raise _no_content(model)


async def _ameaningful(chunks: AsyncIterator[ProviderChunk], model: ModelSpec) -> AsyncIterator[ProviderChunk]:
    seen = False
    async for chunk in chunks:
        if not _empty(chunk):
            seen = True
            yield chunk
    if not seen:
        raise _no_content(model)


def _interrupted(model: ModelSpec, exc: ProviderError) -> StreamInterruptedError:
    return StreamInterruptedError(
        f"the stream from {model.key} broke after output reached the caller ({type(exc).__name__}: {exc}); "
        "it is not retried, so no text is repeated — retry the step if you want a fresh answer",
        provider=model.provider, model=model.name, status=exc.status,
    )


async def _sleep(seconds: float) -> None:
    import asyncio  # lazily: a sync-only program need not load asyncio to import the router

    await asyncio.sleep(seconds)
