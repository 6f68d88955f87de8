"""Added latency per agent step of the session layer, for the memory and the Redis store.

One step = what the router asks of the session layer on every call: read the pin
(``pinned_provider``), rewrite the outgoing request (``prepare``) on a realistic 20-message
tool-calling history (system, user, 9 assistant tool turns, 3 of them with parallel calls, and
their results), map the response's new tool calls (``commit``) and add the step's spend.

    .venv/bin/python benchmarks/sessions.py                    # memory + a throwaway redis-server
    .venv/bin/python benchmarks/sessions.py --redis-url redis://127.0.0.1:6379/0 --steps 5000
"""

from __future__ import annotations

import argparse
import shutil
import socket
import statistics
import subprocess
import sys
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from routed_llm.catalog import Catalog, ModelSpec
from routed_llm.messages import Message, ProviderResponse, Request, ToolCall, ToolSpec, Usage
from routed_llm.sessions import MemoryStore, RedisStore, SessionManager, SessionStore

CATALOG = Catalog.load_default()
MODEL = CATALOG.model("gpt-5-mini")
OTHER = CATALOG.model("gpt-5")


def _response(model: ModelSpec, ids: list[str]) -> ProviderResponse:
    calls = tuple(ToolCall(i, "search", {"q": i}) for i in ids)
    return ProviderResponse(Message("assistant", (), calls), Usage(900, 40), "tool_calls", model.name, model.provider)


def build_history(mgr: SessionManager, sid: str) -> list[Message]:
    """20 messages: system, user, then 9 tool turns (turns 2, 5, 8 with two parallel calls)."""
    messages = [Message.system("You are a research agent. Use the tools."),
                Message.user("Compare lithium-iron-phosphate and NMC cells for grid storage.")]
    n = 0
    for turn in range(9):
        if len(messages) >= 20:
            break
        width = 2 if turn in (2, 5, 8) and len(messages) <= 17 else 1
        ids = [f"call_{uuid.uuid4().hex[:24]}" for _ in range(width)]
        committed = mgr.commit(sid, _response(MODEL, ids), MODEL)
        messages.append(committed.message)
        for call in committed.message.tool_calls:
            n += 1
            messages.append(Message.tool(call.id, f"result {n}: " + "lorem ipsum " * 40))
    return messages[:20]


def run(store: SessionStore, steps: int) -> dict[str, list[float]]:
    mgr = SessionManager(store, catalog=CATALOG)
    tools = (ToolSpec("search", "web search"),)
    timings: dict[str, list[float]] = {"pinned_provider": [], "prepare": [], "commit": [], "add_spend": [],
                                        "total": []}
    sessions = [f"bench-{uuid.uuid4().hex[:12]}" for _ in range(50)]
    histories = {}
    for sid in sessions:
        mgr.pin(sid, MODEL.provider)
        histories[sid] = Request(tuple(build_history(mgr, sid)), tools=tools, session_id=sid)
    for i in range(steps + 100):
        sid = sessions[i % len(sessions)]
        request = histories[sid]
        t0 = time.perf_counter()
        mgr.pinned_provider(sid, request)
        t1 = time.perf_counter()
        mgr.prepare(sid, request, OTHER if i % 2 else MODEL)
        t2 = time.perf_counter()
        mgr.commit(sid, _response(MODEL, [f"call_{uuid.uuid4().hex[:24]}"]), MODEL)
        t3 = time.perf_counter()
        store.add_spend(sid, 1234, 5678)
        t4 = time.perf_counter()
        if i >= 100:  # warm-up
            for key, value in zip(timings, (t1 - t0, t2 - t1, t3 - t2, t4 - t3, t4 - t0), strict=True):
                value_us = value * 1e6
                timings[key].append(value_us)
    return timings


def report(name: str, timings: dict[str, list[float]]) -> None:
    print(f"\n{name}: added latency per step (microseconds), {len(timings['total'])} steps")
    print(f"  {'':16} {'mean':>9} {'p50':>9} {'p95':>9} {'p99':>9}")
    for key, values in timings.items():
        q = statistics.quantiles(values, n=100)
        print(f"  {key:16} {statistics.fmean(values):9.1f} {q[49]:9.1f} {q[94]:9.1f} {q[98]:9.1f}")


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@contextmanager
def throwaway_redis() -> Iterator[str | None]:
    binary = shutil.which("redis-server")
    if binary is None:
        yield None
        return
    port = _free_port()
    proc = subprocess.Popen([binary, "--port", str(port), "--bind", "127.0.0.1", "--save", "",
                             "--appendonly", "no"], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            try:
                socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
                break
            except OSError:
                time.sleep(0.05)
        yield f"redis://127.0.0.1:{port}/0"
    finally:
        proc.kill()
        proc.wait()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--steps", type=int, default=2000)
    parser.add_argument("--redis-url", default=None, help="an existing Redis (default: start redis-server)")
    args = parser.parse_args(argv)
    report("memory store", run(MemoryStore(), args.steps))

    def redis_run(url: str) -> None:
        store = RedisStore(url, prefix=f"bench{uuid.uuid4().hex[:6]}:")
        try:
            report(f"redis store ({url})", run(store, args.steps))
        finally:
            store.close()

    runner: Callable[[str], None] = redis_run
    if args.redis_url:
        runner(args.redis_url)
    else:
        with throwaway_redis() as url:
            if url is None:
                print("\nredis store: skipped (redis-server not installed; pass --redis-url)")
            else:
                runner(url)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
