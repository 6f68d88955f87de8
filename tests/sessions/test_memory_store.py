"""MemoryStore: LRU bound, TTL, eviction of expired sessions, and the per-session memory bound."""

from __future__ import annotations

import gc
import tracemalloc

import pytest

from routed_llm.errors import ConfigError
from routed_llm.sessions import ID_BYTES_BOUND, SESSION_BYTES_BOUND, MemoryStore, mint_caller_id


class Clock:
    def __init__(self) -> None:
        self.now = 1_000.0

    def __call__(self) -> float:
        return self.now


def test_lru_evicts_least_recently_written() -> None:
    store = MemoryStore(max_sessions=3)
    for sid in "abc":
        store.pin_if_absent(sid, "openai", 60)
    store.map_ids("a", [], 60)  # a step of "a": now the most recent
    store.pin_if_absent("d", "openai", 60)
    assert len(store) == 3
    assert store.get_pin("b") is None
    assert [store.get_pin(s) for s in "acd"] == ["openai"] * 3


def test_ttl_and_eviction_of_expired_sessions() -> None:
    clock = Clock()
    store = MemoryStore(clock=clock)
    for i in range(10):
        store.pin_if_absent(f"s{i}", "openai", 100)
    clock.now += 50
    store.pin_if_absent("late", "anthropic", 100)
    clock.now += 60  # the first ten expired, "late" has 40 s left
    assert store.get_pin("s0") is None
    assert store.evict_expired() == 9
    assert len(store) == 1 and store.get_pin("late") == "anthropic"
    clock.now += 41
    assert store.get_pin("late") is None and len(store) == 0


def test_writes_sweep_expired_sessions_from_the_front() -> None:
    clock = Clock()
    store = MemoryStore(clock=clock)
    for i in range(100):
        store.pin_if_absent(f"s{i}", "openai", 10)
    clock.now += 11
    for i in range(20):
        store.pin_if_absent(f"new{i}", "openai", 10)
    assert len(store) == 20 + 100 - 20 * 4  # each write drops up to 4 expired sessions


def test_spend_outlives_a_short_pin() -> None:
    clock = Clock()
    store = MemoryStore(clock=clock, ttl_s=1000)
    store.pin_if_absent("s", "openai", 10)
    store.map_ids("s", [("AAAAAAAAA", "openai", "c")], 10)
    store.add_spend("s", 5, 9)
    clock.now += 20
    assert store.get_pin("s") is None and store.lookup_callers("s", ["AAAAAAAAA"]) == {}
    assert store.get_spend("s") == (5, 9)


def test_rejects_bad_config() -> None:
    with pytest.raises(ConfigError, match="max_sessions"):
        MemoryStore(max_sessions=0)
    with pytest.raises(ConfigError, match="ttl_s"):
        MemoryStore(ttl_s=0)


def _traced_fill(store: MemoryStore, n: int, calls: int) -> int:
    gc.collect()
    tracemalloc.start()
    try:
        before = tracemalloc.get_traced_memory()[0]
        for i in range(n):
            sid = f"fp-{i:032x}"
            store.pin_if_absent(sid, "openai", 3600)
            if calls:
                entries = [(mint_caller_id(), "openai", f"call_{i:019d}{j:05d}") for j in range(calls)]
                store.map_ids(sid, entries, 3600)
            store.add_spend(sid, 120, 900)
        return tracemalloc.get_traced_memory()[0] - before
    finally:
        tracemalloc.stop()


@pytest.mark.parametrize("calls", [0, 1, 8, 24])
def test_bound_holds_for_any_number_of_mapped_calls(calls: int) -> None:
    n = 2_000
    used = _traced_fill(MemoryStore(max_sessions=n), n, calls)
    assert used <= n * (SESSION_BYTES_BOUND + calls * ID_BYTES_BOUND), f"{used / n:.0f} bytes per session"


def test_100k_sessions_stay_within_the_stated_bound() -> None:
    """100,000 sessions, each with a pin, spend and two mapped tool calls (OpenAI-length provider
    ids, 35-character session ids), fit in 100,000 x (SESSION_BYTES_BOUND + 2 x ID_BYTES_BOUND)."""
    n, calls = 100_000, 2
    store = MemoryStore(max_sessions=n)
    used = _traced_fill(store, n, calls)
    assert len(store) == n
    bound = n * (SESSION_BYTES_BOUND + calls * ID_BYTES_BOUND)
    print(f"memory store: {used / n:.0f} bytes per session (bound {bound / n:.0f})")
    assert used <= bound, f"{used / n:.0f} bytes per session, bound {bound / n:.0f}"
    # one more evicts the least recent
    store.pin_if_absent("one-more", "openai", 3600)
    assert len(store) == n and store.get_pin("fp-" + "0" * 32) is None


def test_id_map_is_the_same_small_and_large() -> None:
    """The id map lives in a tuple for the first SMALL_ID_MAP calls and in dicts after: lookups,
    re-mapping an issued id and a caller id already taken answer the same on both sides."""
    from routed_llm.sessions.memory import SMALL_ID_MAP

    store = MemoryStore()
    n = SMALL_ID_MAP * 2 + 3
    for i in range(n):
        (got,) = store.map_ids("s", [(f"rl_{i}", "openai" if i % 2 else "anthropic", f"p{i}")], 60)
        assert got == f"rl_{i}"
        prov = "openai" if i % 2 else "anthropic"
        assert store.map_ids("s", [(f"rl_new{i}", prov, f"p{i}")], 60) == [f"rl_{i}"]  # issued: held id
        assert store.map_ids("s", [(f"rl_{i}", prov, f"other{i}")], 60) == [None]  # caller taken
        assert store.lookup_callers("s", [f"rl_{i}", "rl_missing"]) == {f"rl_{i}": (prov, f"p{i}")}
        assert store.lookup_issued("s", prov, [f"p{i}"]) == {f"p{i}": f"rl_{i}"}
        assert store.lookup_issued("s", "deepseek", [f"p{i}"]) == {}
        assert len(store.id_map("s")) == i + 1
