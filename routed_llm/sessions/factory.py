"""``open_store``: a session store from a short spec (None, "memory", a redis:// URL, a store)."""

from __future__ import annotations

from routed_llm.errors import ConfigError
from routed_llm.sessions.memory import DEFAULT_MAX_SESSIONS, MemoryStore
from routed_llm.sessions.store import DEFAULT_TTL_S, SessionStore

REDIS_SCHEMES = ("redis://", "rediss://", "unix://")


def open_store(
    spec: str | SessionStore | None = None,
    *,
    fallback_to_memory: bool = False,
    max_sessions: int = DEFAULT_MAX_SESSIONS,
    ttl_s: float = DEFAULT_TTL_S,
) -> SessionStore:
    """``None`` or ``"memory"``: an in-process :class:`MemoryStore` (bounded LRU + TTL).
    ``"redis://host:port/db"`` (or ``rediss://``, ``unix://``): a :class:`RedisStore` shared by every
    process using the same URL; with ``fallback_to_memory=True`` an unreachable Redis degrades to
    local memory with one warning instead of raising ``SessionStoreError``."""
    if isinstance(spec, SessionStore):
        return spec
    if spec is None or spec == "memory":
        return MemoryStore(max_sessions=max_sessions, ttl_s=ttl_s)
    if isinstance(spec, str) and spec.startswith(REDIS_SCHEMES):
        from routed_llm.sessions.redis_store import RedisStore

        return RedisStore(spec, fallback_to_memory=fallback_to_memory, ttl_s=ttl_s,
                          fallback_max_sessions=max_sessions)
    raise ConfigError(
        f"sessions must be None, 'memory', a redis:// URL or a SessionStore, got {spec!r}", key="sessions"
    )
