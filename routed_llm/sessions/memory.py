"""The in-process session store: a bounded LRU of sessions with a TTL.

Bound: at most ``max_sessions`` sessions (default 100,000). A session costs at most
``SESSION_BYTES_BOUND`` (1,024) bytes for its entry, session id, pin, spend and id-map tables,
plus ``ID_BYTES_BOUND`` (300) bytes per mapped tool call, for session and provider ids of up to
40 characters (checked with tracemalloc in ``tests/sessions/test_memory_store.py``; measured on
CPython 3.11: 334 bytes with no call mapped, 582 with one, about 210 per further call up to
``SMALL_ID_MAP`` calls, kept as a tuple, and about 280 per call beyond, kept in two dicts). So
100,000 sessions with 4 mapped calls each stay under 100,000 x 2,224 bytes ≈ 222 MB (measured:
121 MB), and pin-only sessions under 102 MB (measured: 33 MB). Sessions are ordered by their last
write (every committed step writes), so the least recently active one is evicted first; a
session expires ``ttl_s`` after its last write and expired sessions are dropped as writes pass
them and on access. A process that holds many sessions can keep them in Redis instead
(``RedisStore``): the router's own memory then does not grow with them.
"""

from __future__ import annotations

import sys
import threading
import time
from collections import OrderedDict, deque
from collections.abc import Callable, Sequence

from routed_llm.errors import ConfigError
from routed_llm.sessions.store import DEFAULT_TTL_S, IdEntry, Move, SessionStore

DEFAULT_MAX_SESSIONS = 100_000
SESSION_BYTES_BOUND = 1_024
ID_BYTES_BOUND = 300
_SWEEP_PER_WRITE = 4
SMALL_ID_MAP = 8  # calls a session maps in a tuple before it switches to dicts


class _Session:
    """One session. Its id map is a tuple of ``(caller, provider, provider id)`` triples while it
    is small (most sessions map a handful of calls; two dicts would cost ~450 bytes more), and a
    pair of dicts once it holds more than ``SMALL_ID_MAP`` calls."""

    __slots__ = ("baseline", "expires", "fwd", "ids", "moves", "pin", "rev", "spent", "state_expires")

    def __init__(self) -> None:
        self.pin: str | None = None
        self.expires = 0.0  # the whole entry (the later of the state's and the spend's expiry)
        self.state_expires = 0.0  # pin, moves and id map
        self.moves: list[Move] | None = None
        self.ids: tuple[tuple[str, str, str], ...] | None = None  # small id map
        self.fwd: dict[str, tuple[str, str]] | None = None  # large: caller -> (provider, provider id)
        self.rev: dict[tuple[str, str], str] | None = None  # large: (provider, provider id) -> caller
        self.spent = 0
        self.baseline = 0

    def clear_state(self) -> None:
        self.pin = self.moves = self.ids = self.fwd = self.rev = None

    def has_state(self) -> bool:
        return bool(self.pin or self.ids or self.fwd or self.moves)

    def callers(self, caller_ids: Sequence[str]) -> dict[str, tuple[str, str]]:
        if self.fwd is not None:
            fwd = self.fwd
            return {c: fwd[c] for c in caller_ids if c in fwd}
        wanted = set(caller_ids)
        return {c: (p, pid) for c, p, pid in self.ids or () if c in wanted}

    def issued(self, provider: str, provider_ids: Sequence[str]) -> dict[str, str]:
        if self.rev is not None:
            rev = self.rev
            return {p: rev[(provider, p)] for p in provider_ids if (provider, p) in rev}
        wanted = set(provider_ids)
        return {pid: c for c, p, pid in self.ids or () if p == provider and pid in wanted}

    def id_map(self) -> dict[str, tuple[str, str]]:
        if self.fwd is not None:
            return dict(self.fwd)
        return {c: (p, pid) for c, p, pid in self.ids or ()}

    def map(self, caller: str, provider: str, provider_id: str) -> str | None:
        """The caller id of ``(provider, provider_id)``: the one held, else ``caller`` (now
        mapped); None when ``caller`` is already taken by another call."""
        if self.fwd is None or self.rev is None:
            triples = self.ids or ()
            for c, p, pid in triples:
                if p == provider and pid == provider_id:
                    return c
            if any(c == caller for c, _, _ in triples):
                return None
            if len(triples) < SMALL_ID_MAP:
                self.ids = (*triples, (caller, provider, provider_id))
                return caller
            self.fwd = {c: (p, pid) for c, p, pid in triples}
            self.rev = {(p, pid): c for c, p, pid in triples}
            self.ids = None
        pair = (provider, provider_id)
        held = self.rev.get(pair)
        if held is not None:
            return held
        if caller in self.fwd:
            return None
        self.fwd[caller] = pair
        self.rev[pair] = caller
        return caller


class MemoryStore(SessionStore):
    """Thread-safe, per-process; state is lost with the process. Use :class:`RedisStore` to share
    pins and id maps between processes or machines."""

    def __init__(
        self,
        *,
        max_sessions: int = DEFAULT_MAX_SESSIONS,
        ttl_s: float = DEFAULT_TTL_S,
        clock: Callable[[], float] = time.time,
    ) -> None:
        if max_sessions <= 0:
            raise ConfigError("max_sessions must be a positive integer", key="max_sessions")
        if ttl_s <= 0:
            raise ConfigError("ttl_s must be a positive number of seconds", key="ttl_s")
        self.max_sessions = max_sessions
        self.ttl_s = ttl_s
        self._clock = clock
        self._lock = threading.Lock()
        self._sessions: OrderedDict[str, _Session] = OrderedDict()
        self._cooldowns: dict[str, float] = {}
        self._failures: dict[str, deque[float]] = {}

    def __len__(self) -> int:
        return len(self._sessions)

    def __repr__(self) -> str:
        return f"MemoryStore(sessions={len(self._sessions)}, max_sessions={self.max_sessions})"

    # ----------------------------------------------------------------- internals (lock held)
    def _read(self, session_id: str) -> _Session | None:
        entry = self._sessions.get(session_id)
        if entry is None:
            return None
        now = self._clock()
        if entry.expires <= now:
            del self._sessions[session_id]
            return None
        if entry.state_expires <= now and entry.has_state():
            entry.clear_state()
        return entry

    def _write(self, session_id: str, ttl_s: float | None) -> _Session:
        """The session's entry for a write; ``ttl_s`` refreshes the pin/moves/id-map TTL,
        ``None`` (spend) only the entry's own, with the store's ``ttl_s``."""
        now = self._clock()
        entry = self._read(session_id)
        if entry is None:
            entry = _Session()
            self._sessions[session_id] = entry
        else:
            self._sessions.move_to_end(session_id)
        if ttl_s is not None:
            entry.state_expires = now + ttl_s
        entry.expires = max(entry.expires, now + (ttl_s if ttl_s is not None else self.ttl_s))
        self._sweep(now)
        return entry

    def _sweep(self, now: float) -> None:
        sessions = self._sessions
        while len(sessions) > self.max_sessions:
            sessions.popitem(last=False)
        for _ in range(_SWEEP_PER_WRITE):
            if not sessions:
                break
            oldest = next(iter(sessions))
            if sessions[oldest].expires > now:
                break
            del sessions[oldest]

    def evict_expired(self) -> int:
        """Drop every expired session now; return how many."""
        with self._lock:
            now = self._clock()
            dead = [sid for sid, entry in self._sessions.items() if entry.expires <= now]
            for sid in dead:
                del self._sessions[sid]
            return len(dead)

    # ----------------------------------------------------------------- pin
    def get_pin(self, session_id: str) -> str | None:
        with self._lock:
            entry = self._read(session_id)
            return None if entry is None else entry.pin

    def pin_if_absent(self, session_id: str, provider: str, ttl_s: float) -> str:
        with self._lock:
            entry = self._write(session_id, ttl_s)
            if entry.pin is None:
                entry.pin = sys.intern(provider)
            return entry.pin

    def move_pin(self, session_id: str, from_provider: str, to_provider: str, ttl_s: float, at: float) -> str:
        with self._lock:
            entry = self._write(session_id, ttl_s)
            if entry.pin is None or entry.pin == from_provider:
                entry.pin = sys.intern(to_provider)
                if entry.moves is None:
                    entry.moves = []
                entry.moves.append(Move(from_provider, to_provider, at))
            return entry.pin

    def set_pin(self, session_id: str, provider: str | None, ttl_s: float) -> None:
        """Overwrite the pin (mirroring a shared store; the router uses pin_if_absent / move_pin)."""
        with self._lock:
            self._write(session_id, ttl_s).pin = None if provider is None else sys.intern(provider)

    def clear_pin_if(self, session_id: str, provider: str) -> bool:
        with self._lock:
            entry = self._read(session_id)
            if entry is None or entry.pin != provider:
                return False
            entry.pin = None
            return True

    def moves(self, session_id: str) -> list[Move]:
        with self._lock:
            entry = self._read(session_id)
            return [] if entry is None or entry.moves is None else list(entry.moves)

    # ----------------------------------------------------------------- id map
    def lookup_callers(self, session_id: str, caller_ids: Sequence[str]) -> dict[str, tuple[str, str]]:
        with self._lock:
            entry = self._read(session_id)
            return {} if entry is None else entry.callers(caller_ids)

    def lookup_issued(self, session_id: str, provider: str, provider_ids: Sequence[str]) -> dict[str, str]:
        with self._lock:
            entry = self._read(session_id)
            return {} if entry is None else entry.issued(provider, provider_ids)

    def map_ids(self, session_id: str, entries: Sequence[IdEntry], ttl_s: float) -> list[str | None]:
        with self._lock:
            entry = self._write(session_id, ttl_s)
            return [entry.map(caller, sys.intern(provider), provider_id) for caller, provider, provider_id in entries]

    def id_map(self, session_id: str) -> dict[str, tuple[str, str]]:
        with self._lock:
            entry = self._read(session_id)
            return {} if entry is None else entry.id_map()

    # ----------------------------------------------------------------- spend
    def add_spend(self, session_id: str, nanos: int, baseline_nanos: int) -> tuple[int, int]:
        with self._lock:
            entry = self._write(session_id, None)
            entry.spent += nanos
            entry.baseline += baseline_nanos
            return entry.spent, entry.baseline

    def set_spend(self, session_id: str, nanos: int, baseline_nanos: int) -> None:
        """Overwrite the totals (mirroring a shared store)."""
        with self._lock:
            entry = self._write(session_id, None)
            entry.spent, entry.baseline = nanos, baseline_nanos

    def get_spend(self, session_id: str) -> tuple[int, int]:
        with self._lock:
            entry = self._read(session_id)
            return (0, 0) if entry is None else (entry.spent, entry.baseline)

    # ----------------------------------------------------------------- endpoint health
    def cooldown_until(self, endpoint_key: str) -> float | None:
        with self._lock:
            until = self._cooldowns.get(endpoint_key)
            if until is not None and until <= self._clock():
                del self._cooldowns[endpoint_key]
                return None
            return until

    def set_cooldown(self, endpoint_key: str, until_epoch_s: float) -> None:
        with self._lock:
            self._cooldowns[endpoint_key] = until_epoch_s

    def record_failure(self, endpoint_key: str, window_s: float) -> int:
        with self._lock:
            now = self._clock()
            times = self._failures.setdefault(endpoint_key, deque())
            times.append(now)
            while times and times[0] <= now - window_s:
                times.popleft()
            return len(times)

    def reset_failures(self, endpoint_key: str) -> None:
        with self._lock:
            self._failures.pop(endpoint_key, None)
