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
    """The endpoint-health part of a session store."""

    def cooldown_until(self, endpoint_key: str) -> float | None: ...

    def set_cooldown(self, endpoint_key: str, until_epoch_s: float) -> None: ...

    def record_failure(self, endpoint_key: str, window_s: float) -> int: ...

    def reset_failures(self, endpoint_key: str) -> None: ...


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
    """What to do after a failed attempt: wait ``delay_s`` then retry the same endpoint, or move on."""

    retry: bool
    delay_s: float = 0.0


@dataclass
class ChainRun:
    """The state of one chain execution; pure bookkeeping, no I/O."""

    chain: Sequence[ModelSpec]
    retry: RetryPolicy
    health: HealthStore
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
            until = self.health.cooldown_until(model.key)
            if until is not None and until > self.clock():
                self.attempts.append(
                    Attempt(model.provider, model.name, False, 0.0, "CoolingDown",
                            f"skipped: cooling down for {until - self.clock():.1f}s more")
                )
                continue
            return model

    def succeeded(self, model: ModelSpec, response: ProviderResponse, latency_ms: float) -> Attempt:
        self.health.reset_failures(model.key)
        attempt = Attempt(model.provider, model.name, True, latency_ms, usage=response.usage,
                          cost=price(response.usage, model))
        self.attempts.append(attempt)
        return attempt

    def failed(self, model: ModelSpec, exc: ProviderError, latency_ms: float) -> Next:
        """Record a failed attempt; raise at once for errors that no endpoint can fix."""
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
            until = self.clock() + self.retry.cooldown_s
            for m in self.chain:
                if m.provider == model.provider:
                    self.health.set_cooldown(m.key, until)
            log.warning("routed-llm: the %s account is out of quota; failing over to other providers",
                        model.provider)
            return Next(retry=False)
        if not isinstance(exc, RetryableError):
            raise exc
        failures = self.health.record_failure(model.key, self.retry.failure_window_s)
        if failures >= self.retry.cooldown_after_failures:
            until = self.health.cooldown_until(model.key)
            if until is None or until <= self.clock():  # warn when a cooldown starts, not per failure
                log.warning("routed-llm: %s failed %d times in %.1fs, cooling down for %.1fs",
                            model.key, failures, self.retry.failure_window_s, self.retry.cooldown_s)
            self.health.set_cooldown(model.key, self.clock() + self.retry.cooldown_s)
            return Next(retry=False)
        if self._retries_here >= self.retry.max_retries:
            return Next(retry=False)
        if retry_after is not None:
            if retry_after > self.retry.max_retry_after_s:
                return Next(retry=False)
            delay = retry_after
        else:
            delay = self.retry.backoff(self._retries_here, self.rng)
        self._retries_here += 1
        return Next(retry=True, delay_s=delay)

    def failed_after_first_chunk(self, model: ModelSpec, exc: ProviderError, latency_ms: float) -> None:
        """Record a stream that broke after output reached the caller; it is never retried."""
        self.attempts.append(
            Attempt(model.provider, model.name, False, latency_ms, type(exc).__name__, str(exc), exc.status)
        )
        if isinstance(exc, RetryableError):
            self.health.record_failure(model.key, self.retry.failure_window_s)

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

    def _run(self, chain: Sequence[ModelSpec]) -> ChainRun:
        return ChainRun(chain, self.retry, self._health, self._rng)

    def run(self, chain: Sequence[ModelSpec], prepare: Prepare, timeout: float | None) -> Execution:
        run = self._run(chain)
        while (model := run.next_endpoint()) is not None:
            request = prepare(model)
            adapter = self._adapter_for(model)
            while True:
                t0 = time.perf_counter()
                try:
                    response = adapter.complete(request, model, timeout=timeout)
                except ProviderError as exc:
                    step = run.failed(model, exc, _ms(t0))
                    if not step.retry:
                        break
                    self._sleep(step.delay_s)
                    continue
                run.succeeded(model, response, _ms(t0))
                return Execution(response, model, tuple(run.attempts), run.failed_cost)
        raise run.exhausted()

    async def arun(self, chain: Sequence[ModelSpec], prepare: APrepare, timeout: float | None) -> Execution:
        run = self._run(chain)
        while (model := run.next_endpoint()) is not None:
            request = await prepare(model)
            adapter = self._adapter_for(model)
            while True:
                t0 = time.perf_counter()
                try:
                    response = await adapter.acomplete(request, model, timeout=timeout)
                except ProviderError as exc:
                    step = run.failed(model, exc, _ms(t0))
                    if not step.retry:
                        break
                    await _sleep(step.delay_s)
                    continue
                run.succeeded(model, response, _ms(t0))
                return Execution(response, model, tuple(run.attempts), run.failed_cost)
        raise run.exhausted()

    def stream(
        self, chain: Sequence[ModelSpec], prepare: Prepare, timeout: float | None
    ) -> Iterator[tuple[ModelSpec, ProviderChunk, ChainRun]]:
        """Yield (model, chunk, run). Fails over only until the first chunk has been yielded."""
        run = self._run(chain)
        while (model := run.next_endpoint()) is not None:
            request = prepare(model)
            adapter = self._adapter_for(model)
            while True:
                t0 = time.perf_counter()
                chunks = _meaningful(adapter.stream(request, model, timeout=timeout), model)
                try:
                    first = next(chunks)
                except ProviderError as exc:
                    step = run.failed(model, exc, _ms(t0))
                    if not step.retry:
                        break
                    self._sleep(step.delay_s)
                    continue
                yield from self._rest(model, first, chunks, run, t0)
                return
        raise run.exhausted()

    def _rest(
        self, model: ModelSpec, first: ProviderChunk, chunks: Iterator[ProviderChunk], run: ChainRun, t0: float
    ) -> Iterator[tuple[ModelSpec, ProviderChunk, ChainRun]]:
        chunk = first
        while True:
            if chunk.final is not None:
                run.succeeded(model, chunk.final, _ms(t0))
            yield model, chunk, run
            try:
                chunk = next(chunks)
            except StopIteration:
                return
            except ProviderError as exc:
                run.failed_after_first_chunk(model, exc, _ms(t0))
                raise _interrupted(model, exc) from exc

    async def astream(
        self, chain: Sequence[ModelSpec], prepare: APrepare, timeout: float | None
    ) -> AsyncIterator[tuple[ModelSpec, ProviderChunk, ChainRun]]:
        run = self._run(chain)
        while (model := run.next_endpoint()) is not None:
            request = await prepare(model)
            adapter = self._adapter_for(model)
            while True:
                t0 = time.perf_counter()
                chunks = _ameaningful(adapter.astream(request, model, timeout=timeout), model)
                try:
                    first = await anext(chunks)
                except ProviderError as exc:
                    step = run.failed(model, exc, _ms(t0))
                    if not step.retry:
                        break
                    await _sleep(step.delay_s)
                    continue
                chunk = first
                while True:
                    if chunk.final is not None:
                        run.succeeded(model, chunk.final, _ms(t0))
                    yield model, chunk, run
                    try:
                        chunk = await anext(chunks)
                    except StopAsyncIteration:
                        return
                    except ProviderError as exc:
                        run.failed_after_first_chunk(model, exc, _ms(t0))
                        raise _interrupted(model, exc) from exc
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
