"""Four processes sharing one real Redis: they agree on every pin and every id map; killing Redis
mid-run gives the configured behaviour (an error naming the URL, or a logged fall-back)."""

from __future__ import annotations

import multiprocessing as mp
import queue
import uuid
from typing import Any

from sessions_helpers import (
    CATALOG,
    MOVE_TO,
    PROVIDER_MODELS,
    RACERS,
    RedisServer,
    outage_worker,
    race_worker,
)

from routed_llm.messages import Message, Request, ToolCall
from routed_llm.sessions import RedisStore, SessionManager, is_caller_id

SPAWN = mp.get_context("spawn")


def _collect(out: Any, n: int, procs: list[Any], timeout: float = 120) -> list[Any]:
    results = []
    try:
        for _ in range(n):
            results.append(out.get(timeout=timeout))
    except queue.Empty:
        raise AssertionError(f"only {len(results)} of {n} worker results arrived") from None
    finally:
        for p in procs:
            p.join(timeout=30)
    return results


def test_four_processes_agree_on_pins_and_id_maps(redis_server: RedisServer) -> None:
    prefix = f"mp{uuid.uuid4().hex[:8]}:"
    sessions = [f"sess-{i}" for i in range(12)]
    steps = 8
    barrier, out = SPAWN.Barrier(4), SPAWN.Queue()
    procs = [SPAWN.Process(target=race_worker, args=(redis_server.url, prefix, i, sessions, steps, barrier, out))
             for i in range(4)]
    for p in procs:
        p.start()
    results = _collect(out, 4, procs)
    assert all(p.exitcode == 0 for p in procs)
    store = RedisStore(redis_server.url, prefix=prefix)
    mgr = SessionManager(store, catalog=CATALOG)
    for sid in sessions:
        # exactly one move, from the race winner; every process saw the winner until it saw the
        # move (a slow process may arrive after the move), and never anything else
        (move,) = store.moves(sid)
        first = move.from_provider
        assert first in RACERS and move.to_provider == MOVE_TO
        for _, pins, _ in results:
            seq = pins[sid]
            assert set(seq) <= {first, MOVE_TO} and seq[-1] == MOVE_TO, f"{sid}: {seq}"
            assert seq == sorted(seq, key=lambda p: p == MOVE_TO), f"{sid}: pin moved back: {seq}"
        assert any(pins[sid][0] == first for _, pins, _ in results)
        assert store.get_pin(sid) == MOVE_TO
        # the id maps: every process saw the same caller id for the same provider id, and the
        # union of what they saw is exactly the store's map, a bijection
        seen: dict[str, str] = {}
        for _, _, ids in results:
            for pair, caller in ids[sid].items():
                assert seen.setdefault(pair, caller) == caller, f"{sid} {pair}: two caller ids"
        stored = {f"{p}|{pid}": c for c, (p, pid) in store.id_map(sid).items()}
        assert stored == seen
        assert len(set(seen.values())) == len(seen) and all(is_caller_id(c) for c in seen.values())
        # and a history in caller ids goes out in each issuer's own ids
        calls = [ToolCall(c, "search") for c in seen.values()]
        history = Request((Message.user("go"), Message.assistant("", calls),
                           *(Message.tool(c.id, "r") for c in calls)))
        for provider, model in PROVIDER_MODELS.items():
            sent = {c.id for c in mgr.prepare(sid, history, model).messages[1].tool_calls}
            own = {pair.split("|", 1)[1] for pair in seen if pair.startswith(provider + "|")}
            others = {c for pair, c in seen.items() if not pair.startswith(provider + "|")}
            assert sent == own | others
    store.close()


def test_killing_redis_mid_run_gives_the_configured_behaviour(own_redis: RedisServer) -> None:
    prefix = f"out{uuid.uuid4().hex[:8]}:"
    sessions = [f"o-{i}" for i in range(5)]
    killed, out = SPAWN.Event(), SPAWN.Queue()
    fallbacks = [False, False, True, True]
    procs = [SPAWN.Process(target=outage_worker,
                           args=(own_redis.url, prefix, i, fb, sessions, killed, out))
             for i, fb in enumerate(fallbacks)]
    for p in procs:
        p.start()
    ready = _collect(out, 4, [])
    assert sorted(r[1] for r in ready) == [0, 1, 2, 3]
    own_redis.stop()
    killed.set()
    results = _collect(out, 4, procs)
    pins_before = {r[1]: r[5] for r in results}
    assert all(p == pins_before[0] for p in pins_before.values()), "processes disagreed before the kill"
    for _, _index, fallback, error, degraded, before, after, steps_after in results:
        if fallback:
            assert error is None and degraded and steps_after == 3 * len(sessions)
            assert after == before, "a degraded process re-pinned the sessions it was serving"
        else:
            assert error is not None and not degraded and steps_after == 0
            assert f"127.0.0.1:{own_redis.port}" in error and "fallback_to_memory=True" in error
