"""The Redis session store: pins, moves, id maps, spend and endpoint health shared by every
process (or machine) that uses the same Redis.

Atomicity: set-if-absent pins, compare-and-set moves and insert-if-absent id pairs are Lua
scripts (:mod:`routed_llm.sessions.redis_scripts`); spend is HINCRBY in a MULTI. If Redis cannot be
reached, operations raise :class:`~routed_llm.errors.SessionStoreError` naming the URL (password
hidden) and the fallback option; with ``fallback_to_memory=True`` the store logs one warning, sets
``degraded`` and uses a local :class:`MemoryStore` from then on. So that the sessions this
process was serving keep their pins and ids across that switch, a store with the fallback
configured mirrors every pin, id pair, move and spend total it reads or writes into that memory
(bounded like any MemoryStore); after the switch, pins are no longer shared with other
processes, which the warning and ``degraded`` say.
"""

from __future__ import annotations

import asyncio
import logging
import secrets
import threading
import time
from collections.abc import Awaitable, Callable, Sequence
from typing import TYPE_CHECKING, Any, TypeVar
from urllib.parse import urlsplit, urlunsplit

from routed_llm.errors import SessionStoreError
from routed_llm.sessions.memory import DEFAULT_MAX_SESSIONS, MemoryStore
from routed_llm.sessions.redis_scripts import SCRIPTS, SEP
from routed_llm.sessions.store import DEFAULT_TTL_S, IdEntry, Move, SessionStore

if TYPE_CHECKING:
    import redis
    import redis.asyncio

log = logging.getLogger("routed_llm.sessions")
T = TypeVar("T")
DEFAULT_PREFIX = "routed_llm:"


def _import_redis() -> Any:
    try:
        import redis
        import redis.asyncio
    except ImportError as exc:  # pragma: no cover - exercised only without the extra
        raise ImportError(
            "the Redis session store needs the redis package: pip install 'routed-llm[redis]'"
        ) from exc
    return redis


def redact_url(url: str) -> str:
    """``url`` with its password (if any) replaced by ``***``."""
    try:
        parts = urlsplit(url)
    except ValueError:
        return "<unparseable redis URL>"
    if parts.password is None:
        return url
    user = parts.username or ""
    host = parts.hostname or ""
    if parts.port is not None:
        host = f"{host}:{parts.port}"
    return urlunsplit((parts.scheme, f"{user}:***@{host}", parts.path, parts.query, parts.fragment))


def _opt_str(value: Any) -> str | None:
    return None if value is None else str(value)


def _ms(seconds: float) -> int:
    return max(1, int(seconds * 1000))


class RedisStore(SessionStore):
    """Args:
        url: ``redis://[:password@]host:port/db`` (or ``rediss://``, ``unix://``).
        fallback_to_memory: on an unreachable Redis, degrade to local memory (one warning)
            instead of raising SessionStoreError.
        ttl_s: TTL of a session's spend (pins and id maps take the manager's ``pin_ttl_s``).
        prefix: prepended to every key.
        socket_timeout / connect_timeout: seconds; an unreachable Redis fails within them.
    """

    def __init__(
        self,
        url: str,
        *,
        fallback_to_memory: bool = False,
        ttl_s: float = DEFAULT_TTL_S,
        prefix: str = DEFAULT_PREFIX,
        socket_timeout: float = 2.0,
        connect_timeout: float = 1.0,
        fallback_max_sessions: int = DEFAULT_MAX_SESSIONS,
    ) -> None:
        self._redis = _import_redis()
        self.url = redact_url(url)
        self._raw_url = url
        self.fallback_to_memory = fallback_to_memory
        self.ttl_s = ttl_s
        self.prefix = prefix
        self._fallback_max_sessions = fallback_max_sessions
        from redis.backoff import NoBackoff
        from redis.retry import Retry

        self._client_kwargs: dict[str, Any] = {
            "decode_responses": True,
            "socket_timeout": socket_timeout,
            "socket_connect_timeout": connect_timeout,
        }
        self._retry = (Retry, NoBackoff)
        self._errors: tuple[type[BaseException], ...] = (
            self._redis.exceptions.ConnectionError,
            self._redis.exceptions.TimeoutError,
            OSError,
        )
        self._lock = threading.Lock()
        self._client: redis.Redis | None = None
        self._scripts: dict[str, Any] = {}
        self._aclient: redis.asyncio.Redis | None = None
        self._aloop: asyncio.AbstractEventLoop | None = None
        self._ascripts: dict[str, Any] = {}
        self._memory: MemoryStore | None = None
        self._mirror = (
            MemoryStore(max_sessions=fallback_max_sessions, ttl_s=ttl_s) if fallback_to_memory else None
        )
        self.degraded_reason: str | None = None

    def __repr__(self) -> str:
        state = ", degraded to memory" if self._memory is not None else ""
        return f"RedisStore({self.url!r}{state})"

    @property
    def degraded(self) -> bool:
        return self._memory is not None

    # ----------------------------------------------------------------- clients
    def _retry_policy(self) -> Any:
        retry_cls, backoff_cls = self._retry
        return retry_cls(backoff_cls(), 1)  # one immediate retry: a pooled connection may be stale

    def _sync(self) -> tuple[redis.Redis, dict[str, Any]]:
        client = self._client
        if client is None:
            with self._lock:
                if self._client is None:
                    made = self._redis.Redis.from_url(
                        self._raw_url, retry=self._retry_policy(), **self._client_kwargs
                    )
                    self._scripts = {name: made.register_script(src) for name, src in SCRIPTS.items()}
                    self._client = made
                client = self._client
        return client, self._scripts

    def _async(self) -> tuple[redis.asyncio.Redis, dict[str, Any]]:
        loop = asyncio.get_running_loop()
        if self._aclient is None or self._aloop is not loop:
            # redis.asyncio connections belong to the loop that made them
            made = self._redis.asyncio.Redis.from_url(
                self._raw_url, retry=self._retry_policy(), **self._client_kwargs
            )
            self._ascripts = {name: made.register_script(src) for name, src in SCRIPTS.items()}
            self._aclient, self._aloop = made, loop
        return self._aclient, self._ascripts

    def close(self) -> None:
        if self._client is not None:
            self._client.close()
            self._client = None

    async def aclose(self) -> None:
        self.close()
        if self._aclient is not None:
            await self._aclient.aclose()
            self._aclient = None

    # ----------------------------------------------------------------- failure handling
    def _fail(self, exc: BaseException) -> MemoryStore:
        message = (
            f"the Redis session store at {self.url} is unreachable ({type(exc).__name__}: {exc}); "
            "start Redis there or fix the URL, or pass fallback_to_memory=True "
            "(open_store(url, fallback_to_memory=True)) to continue with per-process memory"
        )
        if not self.fallback_to_memory:
            raise SessionStoreError(message) from exc
        with self._lock:
            if self._memory is None:
                self.degraded_reason = message
                log.warning(
                    "%s; falling back to local memory from now on: pins, id maps, cooldowns and "
                    "budgets are no longer shared with other processes",
                    message.split(";")[0],
                )
                self._memory = self._mirror or MemoryStore(
                    max_sessions=self._fallback_max_sessions, ttl_s=self.ttl_s
                )
                self._mirror = None
            return self._memory

    def _call(
        self,
        op: Callable[[redis.Redis, dict[str, Any]], T],
        local: Callable[[MemoryStore], T],
        mirror: Callable[[MemoryStore, T], object] | None = None,
    ) -> T:
        memory = self._memory
        if memory is None:
            try:
                client, scripts = self._sync()
                result = op(client, scripts)
            except self._errors as exc:
                memory = self._fail(exc)
            else:
                if mirror is not None and self._mirror is not None:
                    mirror(self._mirror, result)
                return result
        return local(memory)

    async def _acall(
        self,
        op: Callable[[redis.asyncio.Redis, dict[str, Any]], Awaitable[T]],
        local: Callable[[MemoryStore], T],
        mirror: Callable[[MemoryStore, T], object] | None = None,
    ) -> T:
        memory = self._memory
        if memory is None:
            try:
                client, scripts = self._async()
                result = await op(client, scripts)
            except self._errors as exc:
                memory = self._fail(exc)
            else:
                if mirror is not None and self._mirror is not None:
                    mirror(self._mirror, result)
                return result
        return local(memory)

    # ----------------------------------------------------------------- keys
    def _session_keys(self, session_id: str) -> list[str]:
        base = f"{self.prefix}s:{{{session_id}}}:"
        return [base + "pin", base + "moves", base + "ids"]

    def _spend_key(self, session_id: str) -> str:
        return f"{self.prefix}s:{{{session_id}}}:spend"

    def _cooldown_key(self, endpoint_key: str) -> str:
        return f"{self.prefix}cooldown:{endpoint_key}"

    def _failures_key(self, endpoint_key: str) -> str:
        return f"{self.prefix}failures:{endpoint_key}"

    # ----------------------------------------------------------------- pin
    def get_pin(self, session_id: str) -> str | None:
        key = self._session_keys(session_id)[0]
        return self._call(lambda r, s: _opt_str(r.get(key)), lambda m: m.get_pin(session_id),
                          lambda m, pin: m.set_pin(session_id, pin, self.ttl_s))

    async def aget_pin(self, session_id: str) -> str | None:
        key = self._session_keys(session_id)[0]
        async def op(r: redis.asyncio.Redis, s: dict[str, Any]) -> str | None:
            return _opt_str(await r.get(key))

        return await self._acall(op, lambda m: m.get_pin(session_id),
                                 lambda m, pin: m.set_pin(session_id, pin, self.ttl_s))

    def pin_if_absent(self, session_id: str, provider: str, ttl_s: float) -> str:
        keys, args = self._session_keys(session_id), [_ms(ttl_s), provider]
        return str(self._call(
            lambda r, s: s["pin_if_absent"](keys=keys, args=args, client=r),
            lambda m: m.pin_if_absent(session_id, provider, ttl_s),
            lambda m, holder: m.set_pin(session_id, str(holder), ttl_s),
        ))

    async def apin_if_absent(self, session_id: str, provider: str, ttl_s: float) -> str:
        keys, args = self._session_keys(session_id), [_ms(ttl_s), provider]
        return str(await self._acall(
            lambda r, s: s["pin_if_absent"](keys=keys, args=args, client=r),
            lambda m: m.pin_if_absent(session_id, provider, ttl_s),
            lambda m, holder: m.set_pin(session_id, str(holder), ttl_s),
        ))

    def move_pin(self, session_id: str, from_provider: str, to_provider: str, ttl_s: float, at: float) -> str:
        keys, args = self._session_keys(session_id), [_ms(ttl_s), from_provider, to_provider, repr(at)]
        return str(self._call(
            lambda r, s: s["move_pin"](keys=keys, args=args, client=r),
            lambda m: m.move_pin(session_id, from_provider, to_provider, ttl_s, at),
            lambda m, holder: self._mirror_move(m, session_id, from_provider, to_provider, ttl_s, at, holder),
        ))

    async def amove_pin(
        self, session_id: str, from_provider: str, to_provider: str, ttl_s: float, at: float
    ) -> str:
        keys, args = self._session_keys(session_id), [_ms(ttl_s), from_provider, to_provider, repr(at)]
        return str(await self._acall(
            lambda r, s: s["move_pin"](keys=keys, args=args, client=r),
            lambda m: m.move_pin(session_id, from_provider, to_provider, ttl_s, at),
            lambda m, holder: self._mirror_move(m, session_id, from_provider, to_provider, ttl_s, at, holder),
        ))

    def clear_pin_if(self, session_id: str, provider: str) -> bool:
        keys = self._session_keys(session_id)[:1]
        return bool(self._call(
            lambda r, s: s["clear_pin_if"](keys=keys, args=[provider], client=r),
            lambda m: m.clear_pin_if(session_id, provider),
            lambda m, cleared: cleared and m.clear_pin_if(session_id, provider),
        ))

    async def aclear_pin_if(self, session_id: str, provider: str) -> bool:
        keys = self._session_keys(session_id)[:1]
        return bool(await self._acall(
            lambda r, s: s["clear_pin_if"](keys=keys, args=[provider], client=r),
            lambda m: m.clear_pin_if(session_id, provider),
            lambda m, cleared: cleared and m.clear_pin_if(session_id, provider),
        ))

    @staticmethod
    def _mirror_move(m: MemoryStore, session_id: str, src: str, dst: str, ttl_s: float, at: float,
                     holder: object) -> None:
        if holder == dst:
            m.move_pin(session_id, src, dst, ttl_s, at)
        else:
            m.set_pin(session_id, str(holder), ttl_s)

    @staticmethod
    def _parse_moves(raw: Sequence[Any]) -> list[Move]:
        out = []
        for item in raw:
            src, dst, at = item.split(SEP)
            out.append(Move(src, dst, float(at)))
        return out

    def moves(self, session_id: str) -> list[Move]:
        key = self._session_keys(session_id)[1]
        return self._call(
            lambda r, s: self._parse_moves(r.lrange(key, 0, -1)),
            lambda m: m.moves(session_id),
        )

    async def amoves(self, session_id: str) -> list[Move]:
        key = self._session_keys(session_id)[1]

        async def op(r: redis.asyncio.Redis, s: dict[str, Any]) -> list[Move]:
            return self._parse_moves(await r.lrange(key, 0, -1))

        return await self._acall(op, lambda m: m.moves(session_id))

    # ----------------------------------------------------------------- id map
    @staticmethod
    def _parse_callers(caller_ids: Sequence[str], raw: Sequence[Any]) -> dict[str, tuple[str, str]]:
        out: dict[str, tuple[str, str]] = {}
        for caller, value in zip(caller_ids, raw, strict=True):
            if value is not None:
                provider, _, pid = value.partition(SEP)
                out[caller] = (provider, pid)
        return out

    @staticmethod
    def _parse_issued(provider_ids: Sequence[str], raw: Sequence[Any]) -> dict[str, str]:
        return {pid: caller for pid, caller in zip(provider_ids, raw, strict=True) if caller is not None}

    def lookup_callers(self, session_id: str, caller_ids: Sequence[str]) -> dict[str, tuple[str, str]]:
        if not caller_ids:
            return {}
        key, fields = self._session_keys(session_id)[2], [f"c:{c}" for c in caller_ids]
        return self._call(
            lambda r, s: self._parse_callers(caller_ids, r.hmget(key, fields)),
            lambda m: m.lookup_callers(session_id, caller_ids),
            lambda m, known: self._mirror_callers(m, session_id, known),
        )

    async def alookup_callers(self, session_id: str, caller_ids: Sequence[str]) -> dict[str, tuple[str, str]]:
        if not caller_ids:
            return {}
        key, fields = self._session_keys(session_id)[2], [f"c:{c}" for c in caller_ids]

        async def op(r: redis.asyncio.Redis, s: dict[str, Any]) -> dict[str, tuple[str, str]]:
            return self._parse_callers(caller_ids, await r.hmget(key, fields))

        return await self._acall(op, lambda m: m.lookup_callers(session_id, caller_ids),
                                 lambda m, known: self._mirror_callers(m, session_id, known))

    def lookup_issued(self, session_id: str, provider: str, provider_ids: Sequence[str]) -> dict[str, str]:
        if not provider_ids:
            return {}
        key, fields = self._session_keys(session_id)[2], [f"p:{provider}{SEP}{p}" for p in provider_ids]
        return self._call(
            lambda r, s: self._parse_issued(provider_ids, r.hmget(key, fields)),
            lambda m: m.lookup_issued(session_id, provider, provider_ids),
            lambda m, known: self._mirror_issued(m, session_id, provider, known),
        )

    async def alookup_issued(self, session_id: str, provider: str, provider_ids: Sequence[str]) -> dict[str, str]:
        if not provider_ids:
            return {}
        key, fields = self._session_keys(session_id)[2], [f"p:{provider}{SEP}{p}" for p in provider_ids]

        async def op(r: redis.asyncio.Redis, s: dict[str, Any]) -> dict[str, str]:
            return self._parse_issued(provider_ids, await r.hmget(key, fields))

        return await self._acall(op, lambda m: m.lookup_issued(session_id, provider, provider_ids),
                                 lambda m, known: self._mirror_issued(m, session_id, provider, known))

    def _mirror_callers(self, m: MemoryStore, session_id: str, known: dict[str, tuple[str, str]]) -> None:
        if known:
            m.map_ids(session_id, [(c, p, pid) for c, (p, pid) in known.items()], self.ttl_s)

    def _mirror_issued(self, m: MemoryStore, session_id: str, provider: str, known: dict[str, str]) -> None:
        if known:
            m.map_ids(session_id, [(c, provider, pid) for pid, c in known.items()], self.ttl_s)

    @staticmethod
    def _mirror_map(m: MemoryStore, session_id: str, entries: Sequence[IdEntry], held: Sequence[str | None],
                    ttl_s: float) -> None:
        m.map_ids(session_id, [(h, p, pid) for (_, p, pid), h in zip(entries, held, strict=True) if h], ttl_s)

    @staticmethod
    def _map_args(entries: Sequence[IdEntry], ttl_s: float) -> list[str | int]:
        args: list[str | int] = [_ms(ttl_s)]
        for caller, provider, pid in entries:
            args.extend((caller, provider, pid))
        return args

    @staticmethod
    def _held(raw: Sequence[Any]) -> list[str | None]:
        return [held or None for held in raw]

    def map_ids(self, session_id: str, entries: Sequence[IdEntry], ttl_s: float) -> list[str | None]:
        keys, args = self._session_keys(session_id), self._map_args(entries, ttl_s)
        return self._call(
            lambda r, s: self._held(s["map_ids"](keys=keys, args=args, client=r)),
            lambda m: m.map_ids(session_id, entries, ttl_s),
            lambda m, held: self._mirror_map(m, session_id, entries, held, ttl_s),
        )

    async def amap_ids(self, session_id: str, entries: Sequence[IdEntry], ttl_s: float) -> list[str | None]:
        keys, args = self._session_keys(session_id), self._map_args(entries, ttl_s)

        async def op(r: redis.asyncio.Redis, s: dict[str, Any]) -> list[str | None]:
            return self._held(await s["map_ids"](keys=keys, args=args, client=r))

        return await self._acall(op, lambda m: m.map_ids(session_id, entries, ttl_s),
                                 lambda m, held: self._mirror_map(m, session_id, entries, held, ttl_s))

    def id_map(self, session_id: str) -> dict[str, tuple[str, str]]:
        key = self._session_keys(session_id)[2]

        def op(r: redis.Redis, s: dict[str, Any]) -> dict[str, tuple[str, str]]:
            raw: dict[str, str] = r.hgetall(key)  # type: ignore[assignment]
            callers = [f[2:] for f in raw if f.startswith("c:")]
            return self._parse_callers(callers, [raw["c:" + c] for c in callers])

        return self._call(op, lambda m: m.id_map(session_id))

    # ----------------------------------------------------------------- spend
    def add_spend(self, session_id: str, nanos: int, baseline_nanos: int) -> tuple[int, int]:
        key, ttl = self._spend_key(session_id), _ms(self.ttl_s)

        def op(r: redis.Redis, s: dict[str, Any]) -> tuple[int, int]:
            pipe = r.pipeline(transaction=True)
            pipe.hincrby(key, "spent", nanos)
            pipe.hincrby(key, "baseline", baseline_nanos)
            pipe.pexpire(key, ttl)
            spent, baseline, _ = pipe.execute()
            return int(spent), int(baseline)

        return self._call(op, lambda m: m.add_spend(session_id, nanos, baseline_nanos),
                          lambda m, totals: m.set_spend(session_id, *totals))

    async def aadd_spend(self, session_id: str, nanos: int, baseline_nanos: int) -> tuple[int, int]:
        key, ttl = self._spend_key(session_id), _ms(self.ttl_s)

        async def op(r: redis.asyncio.Redis, s: dict[str, Any]) -> tuple[int, int]:
            pipe = r.pipeline(transaction=True)
            pipe.hincrby(key, "spent", nanos)
            pipe.hincrby(key, "baseline", baseline_nanos)
            pipe.pexpire(key, ttl)
            spent, baseline, _ = await pipe.execute()
            return int(spent), int(baseline)

        return await self._acall(op, lambda m: m.add_spend(session_id, nanos, baseline_nanos),
                                 lambda m, totals: m.set_spend(session_id, *totals))

    @staticmethod
    def _spend(raw: Sequence[Any]) -> tuple[int, int]:
        return int(raw[0] or 0), int(raw[1] or 0)

    def get_spend(self, session_id: str) -> tuple[int, int]:
        key = self._spend_key(session_id)
        return self._call(
            lambda r, s: self._spend(r.hmget(key, ["spent", "baseline"])),
            lambda m: m.get_spend(session_id),
        )

    async def aget_spend(self, session_id: str) -> tuple[int, int]:
        key = self._spend_key(session_id)

        async def op(r: redis.asyncio.Redis, s: dict[str, Any]) -> tuple[int, int]:
            return self._spend(await r.hmget(key, ["spent", "baseline"]))

        return await self._acall(op, lambda m: m.get_spend(session_id))

    # ----------------------------------------------------------------- endpoint health
    @staticmethod
    def _until(raw: Any) -> float | None:
        if raw is None:
            return None
        until = float(raw)
        return until if until > time.time() else None

    def cooldown_until(self, endpoint_key: str) -> float | None:
        key = self._cooldown_key(endpoint_key)
        return self._call(
            lambda r, s: self._until(r.get(key)),
            lambda m: m.cooldown_until(endpoint_key),
        )

    def cooldowns(self, endpoint_keys: Sequence[str]) -> dict[str, float]:
        keys = [self._cooldown_key(k) for k in endpoint_keys]
        if not keys:
            return {}

        def op(r: redis.Redis, s: dict[str, Any]) -> dict[str, float]:
            now = time.time()
            out: dict[str, float] = {}
            for name, raw in zip(endpoint_keys, r.mget(keys), strict=True):
                until = self._until(raw)
                if until is not None and until > now:
                    out[name] = until
            return out

        return self._call(op, lambda m: m.cooldowns(endpoint_keys))

    async def acooldowns(self, endpoint_keys: Sequence[str]) -> dict[str, float]:
        keys = [self._cooldown_key(k) for k in endpoint_keys]
        if not keys:
            return {}

        async def op(r: redis.asyncio.Redis, s: dict[str, Any]) -> dict[str, float]:
            now = time.time()
            out: dict[str, float] = {}
            for name, raw in zip(endpoint_keys, await r.mget(keys), strict=True):
                until = self._until(raw)
                if until is not None and until > now:
                    out[name] = until
            return out

        return await self._acall(op, lambda m: m.cooldowns(endpoint_keys))

    async def acooldown_until(self, endpoint_key: str) -> float | None:
        key = self._cooldown_key(endpoint_key)

        async def op(r: redis.asyncio.Redis, s: dict[str, Any]) -> float | None:
            return self._until(await r.get(key))

        return await self._acall(op, lambda m: m.cooldown_until(endpoint_key))

    def set_cooldown(self, endpoint_key: str, until_epoch_s: float) -> None:
        key = self._cooldown_key(endpoint_key)

        def op(r: redis.Redis, s: dict[str, Any]) -> None:
            if until_epoch_s <= time.time():
                r.delete(key)
            else:
                r.set(key, repr(until_epoch_s), pxat=int(until_epoch_s * 1000) + 1)

        self._call(op, lambda m: m.set_cooldown(endpoint_key, until_epoch_s),
                   lambda m, _: m.set_cooldown(endpoint_key, until_epoch_s))

    async def aset_cooldown(self, endpoint_key: str, until_epoch_s: float) -> None:
        key = self._cooldown_key(endpoint_key)

        async def op(r: redis.asyncio.Redis, s: dict[str, Any]) -> None:
            if until_epoch_s <= time.time():
                await r.delete(key)
            else:
                await r.set(key, repr(until_epoch_s), pxat=int(until_epoch_s * 1000) + 1)

        await self._acall(op, lambda m: m.set_cooldown(endpoint_key, until_epoch_s),
                          lambda m, _: m.set_cooldown(endpoint_key, until_epoch_s))

    def _failure_args(self, window_s: float) -> list[str | int]:
        now = time.time()
        return [repr(now), repr(now - window_s), f"{now!r}:{secrets.token_hex(6)}", _ms(window_s)]

    def record_failure(self, endpoint_key: str, window_s: float) -> int:
        keys, args = [self._failures_key(endpoint_key)], self._failure_args(window_s)
        return int(self._call(
            lambda r, s: s["record_failure"](keys=keys, args=args, client=r),
            lambda m: m.record_failure(endpoint_key, window_s),
        ))

    async def arecord_failure(self, endpoint_key: str, window_s: float) -> int:
        keys, args = [self._failures_key(endpoint_key)], self._failure_args(window_s)
        return int(await self._acall(
            lambda r, s: s["record_failure"](keys=keys, args=args, client=r),
            lambda m: m.record_failure(endpoint_key, window_s),
        ))

    def reset_failures(self, endpoint_key: str) -> None:
        key = self._failures_key(endpoint_key)
        self._call(lambda r, s: r.delete(key), lambda m: m.reset_failures(endpoint_key))

    async def areset_failures(self, endpoint_key: str) -> None:
        key = self._failures_key(endpoint_key)

        async def op(r: redis.asyncio.Redis, s: dict[str, Any]) -> None:
            await r.delete(key)

        await self._acall(op, lambda m: m.reset_failures(endpoint_key))
