"""The executor's rules, with fake adapters (no HTTP): retries, Retry-After, cooldown, escalation."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field

import pytest

from routed_llm.catalog import ModelSpec, load_catalog
from routed_llm.errors import (
    AllAttemptsFailedError,
    AuthenticationError,
    ContextWindowError,
    ProviderError,
    QuotaExceededError,
    RateLimitError,
    ServerError,
    StreamInterruptedError,
)
from routed_llm.execute import Executor, RetryPolicy
from routed_llm.messages import Message, ProviderChunk, ProviderResponse, Request, Usage

CAT = load_catalog()
REQ = Request((Message.user("hi"),))


class Health:
    def __init__(self) -> None:
        self.cool: dict[str, float] = {}
        self.fails: dict[str, int] = {}

    def cooldown_until(self, key: str) -> float | None:
        return self.cool.get(key)

    def set_cooldown(self, key: str, until: float) -> None:
        self.cool[key] = until

    def record_failure(self, key: str, window_s: float) -> int:
        self.fails[key] = self.fails.get(key, 0) + 1
        return self.fails[key]

    def reset_failures(self, key: str) -> None:
        self.fails.pop(key, None)

    def cooldowns(self, keys: Sequence[str]) -> dict[str, float]:
        return {k: self.cool[k] for k in keys if k in self.cool}

    async def acooldowns(self, keys: Sequence[str]) -> dict[str, float]:
        return self.cooldowns(keys)

    async def aset_cooldown(self, key: str, until: float) -> None:
        self.set_cooldown(key, until)

    async def arecord_failure(self, key: str, window_s: float) -> int:
        return self.record_failure(key, window_s)

    async def areset_failures(self, key: str) -> None:
        self.reset_failures(key)


@dataclass
class Script:
    """Per model: a list of exceptions to raise before answering."""

    errors: dict[str, list[ProviderError]] = field(default_factory=dict)
    calls: list[str] = field(default_factory=list)
    stream_break_after: dict[str, int] = field(default_factory=dict)

    def complete(self, request: Request, model: ModelSpec, *, timeout: float | None = None) -> ProviderResponse:
        self.calls.append(model.name)
        queue = self.errors.get(model.name, [])
        if queue:
            raise queue.pop(0)
        return ProviderResponse(Message.assistant(f"from {model.name}"), Usage(10, 5), "stop", model.name, model.provider)

    def stream(self, request: Request, model: ModelSpec, *, timeout: float | None = None) -> Iterator[ProviderChunk]:
        self.calls.append(model.name)
        queue = self.errors.get(model.name, [])
        if queue:
            raise queue.pop(0)
        for i, word in enumerate(["a", "b", "c"]):
            if self.stream_break_after.get(model.name) == i:
                raise ServerError("dropped", provider=model.provider, model=model.name)
            yield ProviderChunk(text=word)
        yield ProviderChunk(final=ProviderResponse(Message.assistant("abc"), Usage(10, 3), "stop", model.name, model.provider))


def make(script: Script, health: Health | None = None, **retry: float) -> tuple[Executor, list[float]]:
    sleeps: list[float] = []
    executor = Executor(lambda m: script, health or Health(), RetryPolicy(**retry),  # type: ignore[arg-type]
                        sleep=sleeps.append)
    return executor, sleeps


CHAIN = (CAT.model("gpt-5-mini"), CAT.model("gpt-5-nano"))


def test_retry_after_is_waited_and_retried() -> None:
    script = Script({"gpt-5-mini": [RateLimitError("slow down", retry_after=1.0, status=429)]})
    executor, sleeps = make(script)
    out = executor.run(CHAIN, lambda m: REQ, None)
    assert out.model.name == "gpt-5-mini" and sleeps == [1.0]
    assert [a.ok for a in out.attempts] == [False, True]
    assert out.attempts[0].retry_after == 1.0


def test_long_retry_after_moves_on() -> None:
    script = Script({"gpt-5-mini": [RateLimitError("later", retry_after=600.0)]})
    executor, sleeps = make(script)
    out = executor.run(CHAIN, lambda m: REQ, None)
    assert out.model.name == "gpt-5-nano" and sleeps == []


def test_server_error_storm_falls_back_with_backoff() -> None:
    script = Script({"gpt-5-mini": [ServerError("boom", status=500) for _ in range(5)]})
    executor, sleeps = make(script, cooldown_after_failures=10)
    out = executor.run(CHAIN, lambda m: REQ, None)
    assert out.model.name == "gpt-5-nano"
    assert [a.model for a in out.attempts] == ["gpt-5-mini"] * 3 + ["gpt-5-nano"]
    assert len(sleeps) == 2 and 0.125 <= sleeps[0] <= 0.25 and 0.25 <= sleeps[1] <= 0.5


def test_repeated_failures_cool_the_endpoint_down_and_it_is_skipped() -> None:
    health = Health()
    script = Script({"gpt-5-mini": [ServerError("boom") for _ in range(3)]})
    executor, _ = make(script, health, cooldown_after_failures=3, max_retries=5)
    executor.run(CHAIN, lambda m: REQ, None)
    assert "openai/gpt-5-mini" in health.cool
    script.calls.clear()
    out = executor.run(CHAIN, lambda m: REQ, None)
    assert script.calls == ["gpt-5-nano"] and out.attempts[0].error_type == "CoolingDown"


def test_context_window_escalates_to_a_larger_window() -> None:
    chain = (CAT.model("deepseek-chat"), CAT.model("mistral-small-latest"), CAT.model("gpt-4.1-mini"))
    script = Script({"deepseek-chat": [ContextWindowError("too long")]})
    executor, _ = make(script)
    out = executor.run(chain, lambda m: REQ, None)
    # mistral-small has the same 128k window, so it is skipped
    assert out.model.name == "gpt-4.1-mini" and script.calls == ["deepseek-chat", "gpt-4.1-mini"]


def test_auth_error_stops_at_once() -> None:
    script = Script({"gpt-5-mini": [AuthenticationError("bad key")]})
    executor, _ = make(script)
    with pytest.raises(AuthenticationError):
        executor.run(CHAIN, lambda m: REQ, None)
    assert script.calls == ["gpt-5-mini"]


def test_out_of_quota_skips_the_provider_and_cools_it_down() -> None:
    """An out-of-quota answer is not retried, the provider's other models are skipped (same
    account) and cooled down for later steps, and another provider answers."""
    health = Health()
    chain = (CAT.model("gpt-5-mini"), CAT.model("gpt-5-nano"), CAT.model("claude-haiku-4-5"))
    script = Script({"gpt-5-mini": [QuotaExceededError("out of quota", provider="openai", status=429)]})
    executor, sleeps = make(script, health)
    out = executor.run(chain, lambda m: REQ, None)
    assert out.model.name == "claude-haiku-4-5" and script.calls == ["gpt-5-mini", "claude-haiku-4-5"]
    assert sleeps == []
    assert [a.error_type for a in out.attempts] == ["QuotaExceededError", "QuotaExceeded", None]
    assert {"openai/gpt-5-mini", "openai/gpt-5-nano"} <= set(health.cool)
    only_openai = Script({"gpt-5-mini": [QuotaExceededError("out of quota", provider="openai")]})
    executor, _ = make(only_openai, Health())
    with pytest.raises(AllAttemptsFailedError, match="out of quota"):
        executor.run(CHAIN, lambda m: REQ, None)


def test_all_failing_lists_every_attempt() -> None:
    script = Script({m.name: [ServerError(f"{m.name} down") for _ in range(9)] for m in CHAIN})
    executor, _ = make(script, max_retries=0, cooldown_after_failures=99)
    with pytest.raises(AllAttemptsFailedError) as info:
        executor.run(CHAIN, lambda m: REQ, None)
    assert [a.model for a in info.value.attempts] == ["gpt-5-mini", "gpt-5-nano"]
    assert "gpt-5-mini down" in str(info.value) and "gpt-5-nano down" in str(info.value)


def test_stream_fails_over_before_first_chunk_only() -> None:
    script = Script({"gpt-5-mini": [ServerError("down")]})
    executor, _ = make(script, max_retries=0)
    texts = [c.text for _, c, _ in executor.stream(CHAIN, lambda m: REQ, None)]
    assert "".join(texts) == "abc" and script.calls == ["gpt-5-mini", "gpt-5-nano"]

    script = Script(stream_break_after={"gpt-5-mini": 2})
    executor, _ = make(script)
    seen: list[str] = []
    with pytest.raises(StreamInterruptedError):
        for _, chunk, _ in executor.stream(CHAIN, lambda m: REQ, None):
            seen.append(chunk.text)
    assert seen == ["a", "b"] and script.calls == ["gpt-5-mini"]


def test_stream_with_no_content_fails_over_like_an_error() -> None:
    class Empty(Script):
        def stream(self, request: Request, model: ModelSpec, *, timeout: float | None = None) -> Iterator[ProviderChunk]:
            if model.name == "gpt-5-mini":
                self.calls.append(model.name)
                yield ProviderChunk()  # carries nothing, then the stream just ends
                return
            yield from super().stream(request, model, timeout=timeout)

    script = Empty()
    executor, _ = make(script, max_retries=0)
    texts = [c.text for _, c, _ in executor.stream(CHAIN, lambda m: REQ, None)]
    assert "".join(texts) == "abc" and script.calls == ["gpt-5-mini", "gpt-5-nano"]


class AsyncOnlyHealth(Health):
    """The sync calls fail: an async run must use only the store's async twins (a sync Redis
    call would block the event loop for a round trip)."""

    def _sync(self, *a: object) -> None:
        raise AssertionError("sync health call from the async loop")

    cooldowns = set_cooldown = record_failure = reset_failures = _sync  # type: ignore[assignment]

    async def acooldowns(self, keys: Sequence[str]) -> dict[str, float]:
        return {k: self.cool[k] for k in keys if k in self.cool}

    async def aset_cooldown(self, key: str, until: float) -> None:
        self.cool[key] = until

    async def arecord_failure(self, key: str, window_s: float) -> int:
        self.fails[key] = self.fails.get(key, 0) + 1
        return self.fails[key]

    async def areset_failures(self, key: str) -> None:
        self.fails.pop(key, None)


class AsyncScript(Script):
    async def acomplete(self, request: Request, model: ModelSpec, *, timeout: float | None = None) -> ProviderResponse:
        return self.complete(request, model, timeout=timeout)


async def test_async_run_uses_only_async_health_calls() -> None:
    health = AsyncOnlyHealth()
    script = AsyncScript({"gpt-5-mini": [ServerError("boom") for _ in range(3)]})
    executor = Executor(lambda m: script, health, RetryPolicy(cooldown_after_failures=3, max_retries=5,  # type: ignore[arg-type]
                                                              base_delay_s=0.0, max_delay_s=0.0))

    async def prepare(m: ModelSpec) -> Request:
        return REQ

    out = await executor.arun(CHAIN, prepare, None)
    assert out.model.name == "gpt-5-nano" and "openai/gpt-5-mini" in health.cool
    script.calls.clear()
    out = await executor.arun(CHAIN, prepare, None)  # the cooldown is read back through acooldowns
    assert script.calls == ["gpt-5-nano"] and out.attempts[0].error_type == "CoolingDown"
