"""Scripted and random faults, queued per model."""

from __future__ import annotations

import hashlib
import threading
from collections import deque
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Literal, get_args

FaultKind = Literal[
    "rate_limit",
    "server_error",
    "overloaded",
    "slow_first_byte",
    "timeout",
    "drop_stream",
    "malformed_tool_json",
    "auth",
    "quota",
]
FAULT_KINDS: tuple[FaultKind, ...] = get_args(FaultKind)


@dataclass(frozen=True, slots=True)
class Fault:
    """One fault; build it with the class methods (``Fault.rate_limit(retry_after=1)``...).

    Delays (``slow_first_byte``, ``timeout``) are real seconds, not scaled by ``time_scale``.
    """

    kind: FaultKind
    status: int | None = None
    retry_after: float | None = None
    seconds: float = 0.0
    after_chunks: int = 0

    @classmethod
    def rate_limit(cls, retry_after: float | None = 1.0) -> Fault:
        """429 with ``retry-after`` (whole seconds, rounded up) and ``retry-after-ms`` headers."""
        if retry_after is not None and retry_after < 0:
            raise ValueError("retry_after must be >= 0 seconds")
        return cls("rate_limit", status=429, retry_after=retry_after)

    @classmethod
    def server_error(cls, status: int = 500) -> Fault:
        if not 500 <= status <= 599:
            raise ValueError(f"server_error status must be 5xx, got {status}")
        return cls("server_error", status=status)

    @classmethod
    def overloaded(cls) -> Fault:
        """529 ``overloaded_error`` on the Anthropic wire, 503 on the OpenAI wire."""
        return cls("overloaded", status=529)

    @classmethod
    def slow_first_byte(cls, seconds: float) -> Fault:
        """Wait ``seconds`` before the first byte, then answer normally."""
        if seconds < 0:
            raise ValueError("seconds must be >= 0")
        return cls("slow_first_byte", seconds=seconds)

    @classmethod
    def timeout(cls, seconds: float = 30.0) -> Fault:
        """Hang ``seconds`` without a byte, then close the connection without an answer."""
        if seconds < 0:
            raise ValueError("seconds must be >= 0")
        return cls("timeout", seconds=seconds)

    @classmethod
    def drop_stream(cls, after_chunks: int = 0) -> Fault:
        """Cut an SSE stream after ``after_chunks`` content chunks; a JSON call gets a reset."""
        if after_chunks < 0:
            raise ValueError("after_chunks must be >= 0")
        return cls("drop_stream", after_chunks=after_chunks)

    @classmethod
    def malformed_tool_json(cls) -> Fault:
        """Tool-call arguments that are not valid JSON (no effect on a turn without tool calls)."""
        return cls("malformed_tool_json")

    @classmethod
    def auth(cls) -> Fault:
        """401 with the provider's authentication error body."""
        return cls("auth", status=401)

    @classmethod
    def quota(cls) -> Fault:
        """The account is out of quota or credit: OpenAI's 429 ``insufficient_quota``, Anthropic's
        402 ``billing_error``."""
        return cls("quota", status=429)


@dataclass(slots=True)
class _Queued:
    fault: Fault
    remaining: int | None


@dataclass(frozen=True, slots=True)
class RandomFaults:
    rate: float
    seed: int
    kinds: tuple[FaultKind, ...]
    retry_after: float
    timeout_s: float
    after_chunks: int


class FaultBook:
    """Thread-safe fault state: per-model queues, random faults and provider outages."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._queues: dict[str, deque[_Queued]] = {}
        self._random: RandomFaults | None = None
        self._seen: dict[str, int] = {}
        self._down: set[str] = set()

    def add(self, model: str, fault: Fault, times: int | None) -> None:
        if times is not None and times < 1:
            raise ValueError("times must be >= 1, or None for 'until cleared'")
        with self._lock:
            self._queues.setdefault(model, deque()).append(_Queued(fault, times))

    def set_random(self, random_faults: RandomFaults | None) -> None:
        with self._lock:
            self._random = random_faults
            self._seen.clear()

    def clear(self) -> None:
        with self._lock:
            self._queues.clear()
            self._random = None
            self._seen.clear()

    def down(self, provider: str) -> None:
        with self._lock:
            self._down.add(provider)

    def up(self, provider: str | None = None) -> None:
        with self._lock:
            if provider is None:
                self._down.clear()
            else:
                self._down.discard(provider)

    def is_down(self, provider: str) -> bool:
        with self._lock:
            return provider in self._down

    def take(self, model: str, request_key: bytes) -> Fault | None:
        """The fault for this request: the head of the model's queue, else maybe a random one.

        Random faults are drawn from a hash of (seed, model, request, how often this request was
        seen), so they are reproducible whatever the interleaving of concurrent callers.
        """
        with self._lock:
            queue = self._queues.get(model)
            if queue:
                head = queue[0]
                if head.remaining is not None:
                    head.remaining -= 1
                    if head.remaining <= 0:
                        queue.popleft()
                return head.fault
            rnd = self._random
            if rnd is None or rnd.rate <= 0 or not rnd.kinds:
                return None
            key = hashlib.sha256(model.encode() + b"\0" + request_key).hexdigest()
            n = self._seen.get(key, 0)
            self._seen[key] = n + 1
        digest = hashlib.sha256(f"{rnd.seed}:{key}:{n}".encode()).digest()
        draw = int.from_bytes(digest[:8], "big") / 2**64
        if draw >= rnd.rate:
            return None
        kind = rnd.kinds[digest[8] % len(rnd.kinds)]
        return _random_fault(kind, rnd)


def _random_fault(kind: FaultKind, rnd: RandomFaults) -> Fault:
    if kind == "rate_limit":
        return Fault.rate_limit(rnd.retry_after)
    if kind == "server_error":
        return Fault.server_error(500)
    if kind == "overloaded":
        return Fault.overloaded()
    if kind == "slow_first_byte":
        return Fault.slow_first_byte(rnd.timeout_s)
    if kind == "timeout":
        return Fault.timeout(rnd.timeout_s)
    if kind == "drop_stream":
        return Fault.drop_stream(rnd.after_chunks)
    if kind == "malformed_tool_json":
        return Fault.malformed_tool_json()
    if kind == "quota":
        return Fault.quota()
    return Fault.auth()


def check_kinds(kinds: Iterable[str]) -> tuple[FaultKind, ...]:
    out: list[FaultKind] = []
    for kind in kinds:
        if kind not in FAULT_KINDS:
            raise ValueError(f"unknown fault kind {kind!r}; choose from {list(FAULT_KINDS)}")
        out.append(kind)
    return tuple(out)
