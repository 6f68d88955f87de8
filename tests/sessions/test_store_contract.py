"""The SessionStore contract, run on the memory store and on a real Redis."""

from __future__ import annotations

import asyncio
import threading
import time

from routed_llm.sessions import RedisStore, SessionStore


def test_pin_set_if_absent_and_move_cas(store: SessionStore) -> None:
    assert store.get_pin("a") is None
    assert store.pin_if_absent("a", "openai", 60) == "openai"
    assert store.pin_if_absent("a", "anthropic", 60) == "openai"
    assert store.move_pin("a", "anthropic", "mistral", 60, 1.0) == "openai"  # stale: refused
    assert store.move_pin("a", "openai", "anthropic", 60, 2.0) == "anthropic"
    assert store.move_pin("a", "openai", "anthropic", 60, 3.0) == "anthropic"  # already moved: no record
    assert store.moves("a") == [("openai", "anthropic", 2.0)]
    assert store.clear_pin_if("a", "openai") is False
    assert store.clear_pin_if("a", "anthropic") is True
    assert store.get_pin("a") is None
    assert store.move_pin("b", "openai", "anthropic", 60, 4.0) == "anthropic"  # unpinned: moves


def test_id_map_insert_if_absent_and_collisions(store: SessionStore) -> None:
    held = store.map_ids("s", [("AAAAAAAAA", "openai", "call_1"), ("BBBBBBBBB", "openai", "call_2")], 60)
    assert held == ["AAAAAAAAA", "BBBBBBBBB"]
    # the same provider id again: the existing caller id wins
    assert store.map_ids("s", [("CCCCCCCCC", "openai", "call_1")], 60) == ["AAAAAAAAA"]
    # a caller id already used by another pair: None (mint again)
    assert store.map_ids("s", [("AAAAAAAAA", "anthropic", "toolu_1")], 60) == [None]
    # duplicates inside one batch agree
    assert store.map_ids("s", [("DDDDDDDDD", "mistral", "x"), ("EEEEEEEEE", "mistral", "x")], 60) == [
        "DDDDDDDDD", "DDDDDDDDD"]
    assert store.lookup_callers("s", ["AAAAAAAAA", "ZZZZZZZZZ"]) == {"AAAAAAAAA": ("openai", "call_1")}
    assert store.lookup_issued("s", "openai", ["call_2", "nope"]) == {"call_2": "BBBBBBBBB"}
    assert store.lookup_issued("s", "anthropic", ["call_2"]) == {}
    assert store.id_map("s") == {
        "AAAAAAAAA": ("openai", "call_1"), "BBBBBBBBB": ("openai", "call_2"), "DDDDDDDDD": ("mistral", "x")}
    assert store.id_map("other") == {}


def test_provider_ids_with_odd_characters_round_trip(store: SessionStore) -> None:
    pid = "call:{weird}\x1fid ünïcode"
    assert store.map_ids("s", [("AAAAAAAAA", "openai", pid)], 60) == ["AAAAAAAAA"]
    assert store.lookup_callers("s", ["AAAAAAAAA"]) == {"AAAAAAAAA": ("openai", pid)}
    assert store.lookup_issued("s", "openai", [pid]) == {pid: "AAAAAAAAA"}


def test_ttl_expires_pin_and_map(store: SessionStore) -> None:
    store.pin_if_absent("t", "openai", 0.3)
    store.map_ids("t", [("AAAAAAAAA", "openai", "call_1")], 0.3)
    store.move_pin("t", "openai", "anthropic", 0.3, 1.0)
    assert store.get_pin("t") == "anthropic"
    time.sleep(0.45)
    assert store.get_pin("t") is None
    assert store.lookup_callers("t", ["AAAAAAAAA"]) == {}
    assert store.moves("t") == []
    assert store.pin_if_absent("t", "mistral", 60) == "mistral"


def test_writes_refresh_the_ttl(store: SessionStore) -> None:
    store.pin_if_absent("t", "openai", 0.4)
    for _ in range(4):
        time.sleep(0.15)
        store.touch("t", 0.4)
    assert store.get_pin("t") == "openai"


def test_spend_is_atomic(store: SessionStore) -> None:
    def add() -> None:
        for _ in range(100):
            store.add_spend("s", 3, 7)

    threads = [threading.Thread(target=add) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert store.get_spend("s") == (1200, 2800)
    assert store.get_spend("nobody") == (0, 0)


def test_cooldowns_and_failure_window(store: SessionStore) -> None:
    assert store.cooldown_until("openai/gpt-5") is None
    until = time.time() + 30
    store.set_cooldown("openai/gpt-5", until)
    assert abs((store.cooldown_until("openai/gpt-5") or 0) - until) < 1e-3
    store.set_cooldown("openai/gpt-5", time.time() - 1)
    assert store.cooldown_until("openai/gpt-5") is None
    assert [store.record_failure("e", 0.3) for _ in range(3)] == [1, 2, 3]
    time.sleep(0.4)
    assert store.record_failure("e", 0.3) == 1
    store.reset_failures("e")
    assert store.record_failure("e", 10) == 1


async def test_async_twins(store: SessionStore) -> None:
    assert await store.apin_if_absent("a", "openai", 60) == "openai"
    assert await store.aget_pin("a") == "openai"
    assert await store.amove_pin("a", "openai", "anthropic", 60, 5.0) == "anthropic"
    assert await store.amoves("a") == [("openai", "anthropic", 5.0)]
    assert await store.amap_ids("a", [("AAAAAAAAA", "openai", "c1")], 60) == ["AAAAAAAAA"]
    assert await store.alookup_callers("a", ["AAAAAAAAA"]) == {"AAAAAAAAA": ("openai", "c1")}
    assert await store.alookup_issued("a", "openai", ["c1"]) == {"c1": "AAAAAAAAA"}
    assert await store.aadd_spend("a", 5, 6) == (5, 6)
    assert await store.aget_spend("a") == (5, 6)
    await store.aset_cooldown("e", time.time() + 10)
    assert await store.acooldown_until("e") is not None
    assert set(await store.acooldowns(["e", "f"])) == {"e"} == set(store.cooldowns(["e", "f"]))
    assert await store.acooldowns([]) == {}
    assert await store.arecord_failure("e", 10) == 1
    await store.areset_failures("e")
    assert await store.aclear_pin_if("a", "anthropic") is True
    results = await asyncio.gather(*(store.apin_if_absent("race", p, 60) for p in ("x", "y", "z")))
    assert len(set(results)) == 1


def test_redis_keys_share_a_hash_tag(redis_store: RedisStore) -> None:
    keys = redis_store._session_keys("sess")
    assert all("{sess}" in k for k in keys) and "{sess}" in redis_store._spend_key("sess")
