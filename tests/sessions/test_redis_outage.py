"""Redis unreachable: a clear error by default (URL without password, the fallback option), or
one warning and local memory when configured. Never a silent wrong pin."""

from __future__ import annotations

import logging
import time

import pytest
from sessions_helpers import CATALOG, GPT5, FakeProviders, RedisServer, free_port, tool_results

from routed_llm.errors import SessionStoreError
from routed_llm.messages import Message, Request
from routed_llm.sessions import RedisStore, SessionManager, open_store


def test_unreachable_redis_raises_naming_the_url_without_password() -> None:
    port = free_port()
    store = open_store(f"redis://:hunter2secret@127.0.0.1:{port}/0")
    assert isinstance(store, RedisStore) and "hunter2secret" not in repr(store)
    started = time.monotonic()
    with pytest.raises(SessionStoreError) as info:
        store.get_pin("s")
    message = str(info.value)
    assert f"127.0.0.1:{port}" in message and "***" in message
    assert "hunter2secret" not in message
    assert "fallback_to_memory=True" in message
    assert time.monotonic() - started < 5
    assert not store.degraded


async def test_unreachable_redis_raises_in_async_calls_too() -> None:
    store = RedisStore(f"redis://127.0.0.1:{free_port()}/0")
    with pytest.raises(SessionStoreError, match="unreachable"):
        await store.apin_if_absent("s", "openai", 60)


def test_fallback_warns_once_and_keeps_what_it_knew(own_redis: RedisServer, caplog: pytest.LogCaptureFixture) -> None:
    store = RedisStore(own_redis.url, fallback_to_memory=True)
    mgr = SessionManager(store, catalog=CATALOG)
    fake = FakeProviders()
    request = Request((Message.user("go"),), session_id="s")
    assert mgr.pin("s", "openai") == "openai"
    resp = mgr.commit("s", fake.respond(GPT5, 2), GPT5)
    store.add_spend("s", 10, 20)
    own_redis.stop()
    with caplog.at_level(logging.WARNING, logger="routed_llm.sessions"):
        assert mgr.pinned_provider("s", request) == "openai"  # no re-pin after the switch
        history = request.with_messages([*request.messages, resp.message, *tool_results(resp.message)])
        fake.check(mgr.prepare("s", history, GPT5), GPT5)  # provider ids still known
        assert store.add_spend("s", 1, 1) == (11, 21)
        for _ in range(5):
            mgr.pin("other", "anthropic")
    warnings = [r for r in caplog.records if r.levelno == logging.WARNING]
    assert len(warnings) == 1 and "falling back to local memory" in warnings[0].getMessage()
    assert store.degraded and store.degraded_reason and own_redis.url in store.degraded_reason


def test_killing_redis_without_fallback_fails_every_call(own_redis: RedisServer) -> None:
    store = RedisStore(own_redis.url)
    mgr = SessionManager(store, catalog=CATALOG)
    request = Request((Message.user("go"),), session_id="s")
    assert mgr.pin("s", "openai") == "openai"
    own_redis.stop()
    for call in (lambda: mgr.pinned_provider("s", request), lambda: mgr.pin("s", "anthropic"),
                 lambda: store.add_spend("s", 1, 1), lambda: store.cooldown_until("openai/gpt-5")):
        with pytest.raises(SessionStoreError, match="fallback_to_memory=True"):
            call()
    assert not store.degraded
