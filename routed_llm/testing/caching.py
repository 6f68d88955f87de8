"""Prompt-cache emulation.

OpenAI: a prompt of at least 1024 tokens whose leading messages were seen before (as the start of
an earlier prompt to the same model) reports that prefix as ``cached_tokens``, rounded down to a
multiple of 128. The prefix never includes the last message.

Anthropic: blocks with ``cache_control`` mark cache breakpoints. The longest prefix ending at a
block boundary (up to the last breakpoint) that an earlier request wrote is read from the cache;
the rest up to the last breakpoint is written. Entries are written only when the prefix reaches
``min_tokens`` (1024 by default, as for Sonnet/Opus). Entries never expire.
"""

from __future__ import annotations

import hashlib
import threading
from collections.abc import Sequence
from dataclasses import dataclass

from routed_llm.testing.conversation import Segment

OPENAI_MIN_TOKENS = 1024
OPENAI_BLOCK = 128


@dataclass(frozen=True, slots=True)
class CacheUse:
    read: int = 0
    write: int = 0


def _chain(namespace: str, segments: Sequence[Segment]) -> list[tuple[bytes, int]]:
    """(hash of the prefix ending after segment i, cumulative tokens) for every segment."""
    h = hashlib.sha256(namespace.encode()).digest()
    total = 0
    out = []
    for seg in segments:
        h = hashlib.sha256(h + hashlib.sha256(seg.key).digest()).digest()
        total += seg.tokens
        out.append((h, total))
    return out


class PromptCache:
    def __init__(self, *, anthropic_min_tokens: int = 1024, max_entries: int = 200_000) -> None:
        self._lock = threading.Lock()
        self._seen: dict[bytes, None] = {}
        self._anthropic_min = anthropic_min_tokens
        self._max = max_entries

    def clear(self) -> None:
        with self._lock:
            self._seen.clear()

    def _remember(self, keys: Sequence[bytes]) -> None:
        for k in keys:
            self._seen[k] = None
        while len(self._seen) > self._max:
            self._seen.pop(next(iter(self._seen)))

    def openai(self, provider: str, model: str, segments: Sequence[Segment]) -> CacheUse:
        chain = _chain(f"openai\0{provider}\0{model}", segments)
        total = chain[-1][1] if chain else 0
        bounds = [c for c, s in zip(chain, segments, strict=True) if s.boundary]
        with self._lock:
            cached = 0
            if total >= OPENAI_MIN_TOKENS:
                for h, tokens in bounds[:-1]:
                    if h in self._seen:
                        cached = tokens
            self._remember([h for h, _ in bounds])
        return CacheUse(read=cached // OPENAI_BLOCK * OPENAI_BLOCK)

    def anthropic(self, provider: str, model: str, segments: Sequence[Segment]) -> CacheUse:
        chain = _chain(f"anthropic\0{provider}\0{model}", segments)
        breaks = [i for i, s in enumerate(segments) if s.breakpoint]
        if not breaks:
            return CacheUse()
        last = breaks[-1]
        with self._lock:
            read = 0
            for i in range(last + 1):
                h, tokens = chain[i]
                if segments[i].boundary and h in self._seen:
                    read = tokens
            end_tokens = chain[last][1]
            write = end_tokens - read if end_tokens >= self._anthropic_min else 0
            self._remember([chain[i][0] for i in breaks if chain[i][1] >= self._anthropic_min])
        return CacheUse(read=read, write=max(0, write))
