"""Fixtures: a real redis-server on a random free port (skipped without the binary, except on CI
where a missing binary fails), and a store fixture parametrized over memory and Redis."""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator

import pytest
from sessions_helpers import RedisServer, redis_server_binary

from routed_llm.sessions import MemoryStore, RedisStore, SessionStore


def _need_redis() -> str:
    binary = redis_server_binary()
    if binary is None:
        if os.environ.get("CI", "").lower() == "true":
            pytest.fail("redis-server is not installed, and CI=true requires the Redis tests to run "
                        "(scripts/test.sh installs it with apt-get)")
        pytest.skip("redis-server is not installed locally (apt-get install redis-server); "
                    "the Redis store tests need a real server")
    return binary


@pytest.fixture(scope="session")
def redis_server() -> Iterator[RedisServer]:
    server = RedisServer(_need_redis())
    server.start()
    yield server
    server.stop()


@pytest.fixture
def own_redis() -> Iterator[RedisServer]:
    """A private server a test may kill."""
    server = RedisServer(_need_redis())
    server.start()
    yield server
    server.stop()


@pytest.fixture
def redis_store(redis_server: RedisServer) -> Iterator[RedisStore]:
    store = RedisStore(redis_server.url, prefix=f"t{uuid.uuid4().hex[:8]}:")
    yield store
    store.close()


@pytest.fixture(params=["memory", "redis"])
def store(request: pytest.FixtureRequest) -> SessionStore:
    if request.param == "memory":
        return MemoryStore()
    redis_store: RedisStore = request.getfixturevalue("redis_store")
    return redis_store
