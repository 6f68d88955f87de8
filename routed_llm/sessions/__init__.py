"""Sessions: the provider pin, the caller <-> provider tool-call id map, and the stores that
hold them (with endpoint cooldowns and session spend).

    store = open_store(None)                      # in-process LRU + TTL
    store = open_store("redis://localhost:6379/0", fallback_to_memory=False)
    mgr = SessionManager(store, pin_ttl_s=86400, catalog=catalog)

Redis is imported only when a RedisStore is used (``pip install 'routed-llm[redis]'``).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from routed_llm.sessions.factory import open_store
from routed_llm.sessions.ids import CALLER_ID, derived_id, fingerprint, is_caller_id, mint_caller_id
from routed_llm.sessions.manager import SessionManager
from routed_llm.sessions.memory import DEFAULT_MAX_SESSIONS, ID_BYTES_BOUND, SESSION_BYTES_BOUND, MemoryStore
from routed_llm.sessions.store import DEFAULT_TTL_S, IdEntry, Move, SessionStore

if TYPE_CHECKING:
    from routed_llm.sessions.redis_store import RedisStore


def __getattr__(name: str) -> Any:
    if name == "RedisStore":
        from routed_llm.sessions.redis_store import RedisStore

        return RedisStore
    raise AttributeError(f"module 'routed_llm.sessions' has no attribute {name!r}")


__all__ = [
    "CALLER_ID",
    "DEFAULT_MAX_SESSIONS",
    "DEFAULT_TTL_S",
    "ID_BYTES_BOUND",
    "SESSION_BYTES_BOUND",
    "IdEntry",
    "MemoryStore",
    "Move",
    "RedisStore",
    "SessionManager",
    "SessionStore",
    "derived_id",
    "fingerprint",
    "is_caller_id",
    "mint_caller_id",
    "open_store",
]
