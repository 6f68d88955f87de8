"""The SessionStore interface: per-session pin, moves, tool-call id map and spend, plus endpoint
health (cooldowns, failure windows). Implemented in memory (:class:`MemoryStore`) and on Redis
(:class:`RedisStore`).

Every write to a session refreshes its TTL (a session expires ``ttl_s`` after its last write).
The ``a*`` twins are coroutines; this base class runs the sync method, which is right for stores
that never block (memory). Network stores override them with native async calls.
"""

from __future__ import annotations

import time
from abc import ABC, abstractmethod
from collections.abc import Sequence
from typing import NamedTuple

DEFAULT_TTL_S = 86_400.0


class Move(NamedTuple):
    """A session's pin moved from one provider to another (cross-provider failover); a
    ``(from_provider, to_provider, at)`` tuple, ``at`` in epoch seconds."""

    from_provider: str
    to_provider: str
    at: float


# (caller_id, provider, provider_id)
IdEntry = tuple[str, str, str]


class SessionStore(ABC):
    """Where session state lives. All methods are atomic with respect to other callers."""

    #: True when a shared store failed and this process now uses local memory.
    @property
    def degraded(self) -> bool:
        return False

    # ----------------------------------------------------------------- pin
    @abstractmethod
    def get_pin(self, session_id: str) -> str | None: ...

    @abstractmethod
    def pin_if_absent(self, session_id: str, provider: str, ttl_s: float) -> str:
        """Pin ``provider`` unless the session already has a pin; return the provider holding it."""

    @abstractmethod
    def move_pin(self, session_id: str, from_provider: str, to_provider: str, ttl_s: float, at: float) -> str:
        """Compare-and-set the pin from ``from_provider`` to ``to_provider`` (also when unpinned)
        and record the move; return the holder. A pin already on ``to_provider`` is left alone."""

    @abstractmethod
    def clear_pin_if(self, session_id: str, provider: str) -> bool:
        """Remove the pin if it is still ``provider`` (a free re-route on a new user turn)."""

    @abstractmethod
    def moves(self, session_id: str) -> list[Move]: ...

    # ----------------------------------------------------------------- id map
    @abstractmethod
    def lookup_callers(self, session_id: str, caller_ids: Sequence[str]) -> dict[str, tuple[str, str]]:
        """caller id -> (provider, provider id) for the known ones."""

    @abstractmethod
    def lookup_issued(self, session_id: str, provider: str, provider_ids: Sequence[str]) -> dict[str, str]:
        """provider id -> caller id for the ids ``provider`` issued that the session knows."""

    @abstractmethod
    def map_ids(self, session_id: str, entries: Sequence[IdEntry], ttl_s: float) -> list[str | None]:
        """Insert each (caller, provider, provider id) unless the pair is mapped already; return,
        per entry, the caller id that holds the pair (the existing one if another writer won), or
        None when the proposed caller id is taken by another pair (mint a new one and retry).
        Refreshes the session's TTL, also with no entries."""

    @abstractmethod
    def id_map(self, session_id: str) -> dict[str, tuple[str, str]]:
        """The whole map, caller id -> (provider, provider id) (debugging and tests)."""

    def touch(self, session_id: str, ttl_s: float) -> None:
        self.map_ids(session_id, (), ttl_s)

    # ----------------------------------------------------------------- spend (nano-dollars)
    @abstractmethod
    def add_spend(self, session_id: str, nanos: int, baseline_nanos: int) -> tuple[int, int]: ...

    @abstractmethod
    def get_spend(self, session_id: str) -> tuple[int, int]: ...

    # ----------------------------------------------------------------- endpoint health
    @abstractmethod
    def cooldown_until(self, endpoint_key: str) -> float | None: ...

    def cooldowns(self, endpoint_keys: Sequence[str]) -> dict[str, float]:
        """The endpoints among ``endpoint_keys`` that are cooling down now, with their end time.
        One round trip on stores that can batch (Redis MGET)."""
        now = time.time()
        out: dict[str, float] = {}
        for key in endpoint_keys:
            until = self.cooldown_until(key)
            if until is not None and until > now:
                out[key] = until
        return out

    @abstractmethod
    def set_cooldown(self, endpoint_key: str, until_epoch_s: float) -> None: ...

    @abstractmethod
    def record_failure(self, endpoint_key: str, window_s: float) -> int:
        """Record a failure now; return the failures within the last ``window_s`` seconds."""

    @abstractmethod
    def reset_failures(self, endpoint_key: str) -> None: ...

    def close(self) -> None:  # noqa: B027 - optional hook
        """Release connections (no-op for memory)."""

    # ----------------------------------------------------------------- async twins
    async def aget_pin(self, session_id: str) -> str | None:
        return self.get_pin(session_id)

    async def apin_if_absent(self, session_id: str, provider: str, ttl_s: float) -> str:
        return self.pin_if_absent(session_id, provider, ttl_s)

    async def amove_pin(
        self, session_id: str, from_provider: str, to_provider: str, ttl_s: float, at: float
    ) -> str:
        return self.move_pin(session_id, from_provider, to_provider, ttl_s, at)

    async def aclear_pin_if(self, session_id: str, provider: str) -> bool:
        return self.clear_pin_if(session_id, provider)

    async def amoves(self, session_id: str) -> list[Move]:
        return self.moves(session_id)

    async def alookup_callers(self, session_id: str, caller_ids: Sequence[str]) -> dict[str, tuple[str, str]]:
        return self.lookup_callers(session_id, caller_ids)

    async def alookup_issued(
        self, session_id: str, provider: str, provider_ids: Sequence[str]
    ) -> dict[str, str]:
        return self.lookup_issued(session_id, provider, provider_ids)

    async def amap_ids(self, session_id: str, entries: Sequence[IdEntry], ttl_s: float) -> list[str | None]:
        return self.map_ids(session_id, entries, ttl_s)

    async def aadd_spend(self, session_id: str, nanos: int, baseline_nanos: int) -> tuple[int, int]:
        return self.add_spend(session_id, nanos, baseline_nanos)

    async def aget_spend(self, session_id: str) -> tuple[int, int]:
        return self.get_spend(session_id)

    async def acooldown_until(self, endpoint_key: str) -> float | None:
        return self.cooldown_until(endpoint_key)

    async def acooldowns(self, endpoint_keys: Sequence[str]) -> dict[str, float]:
        return self.cooldowns(endpoint_keys)

    async def aset_cooldown(self, endpoint_key: str, until_epoch_s: float) -> None:
        self.set_cooldown(endpoint_key, until_epoch_s)

    async def arecord_failure(self, endpoint_key: str, window_s: float) -> int:
        return self.record_failure(endpoint_key, window_s)

    async def areset_failures(self, endpoint_key: str) -> None:
        self.reset_failures(endpoint_key)

    async def aclose(self) -> None:
        self.close()

