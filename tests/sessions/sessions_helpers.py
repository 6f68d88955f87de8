"""Shared helpers for the session tests: a fake strict provider that issues ids in its own format
and checks outgoing requests the way the emulator does."""

from __future__ import annotations

import itertools
import shutil
import socket
import subprocess
import time
from collections.abc import Sequence
from typing import Any

from routed_llm.catalog import Catalog, ModelSpec
from routed_llm.messages import Message, ProviderResponse, ReasoningPart, Request, TextPart, ToolCall, Usage
from routed_llm.testing.ids import IdRegistry

CATALOG = Catalog.load_default()
GPT5 = CATALOG.model("gpt-5")
GPT5_MINI = CATALOG.model("gpt-5-mini")
SONNET = CATALOG.model("claude-sonnet-4-5")
HAIKU = CATALOG.model("claude-haiku-4-5")
MISTRAL = CATALOG.model("mistral-large-latest")
DEEPSEEK = CATALOG.model("deepseek-chat")


class FakeProviders:
    """Issues provider ids (deterministic per counter) and checks ids strictly."""

    def __init__(self) -> None:
        self.registry = IdRegistry()
        self._counter = itertools.count()

    def issue(self, model: ModelSpec) -> str:
        wire = CATALOG.provider(model.provider).wire
        return self.registry.issue(model.provider, wire, str(next(self._counter)).encode())

    def check(self, request: Request, model: ModelSpec) -> None:
        """Raise AssertionError for any id ``model``'s provider would refuse."""
        wire = CATALOG.provider(model.provider).wire
        calls: set[str] = set()
        for m in request.messages:
            for call in m.tool_calls:
                problem = self.registry.check(model.provider, wire, call.id, strict=True)
                assert problem is None, f"{model.key} refuses call id {call.id!r}: {problem}"
                calls.add(call.id)
            if m.role == "tool":
                assert m.tool_call_id in calls, f"{model.key}: result {m.tool_call_id!r} has no call"
            for part in m.reasoning:
                assert part.provider == model.provider and part.model == model.name, (
                    f"{model.key} got a reasoning block of {part.provider}/{part.model}"
                )

    def respond(self, model: ModelSpec, n_calls: int, *, reasoning: bool = False) -> ProviderResponse:
        ids = [self.issue(model) for _ in range(n_calls)]
        calls = tuple(ToolCall(pid, "search", {"q": pid}) for pid in ids)  # q: unique per call
        content: tuple[TextPart | ReasoningPart, ...] = ()
        if reasoning:
            content = (ReasoningPart("thinking...", model.provider, model.name, signature="sig"),)
        message = Message("assistant", content, calls)
        return ProviderResponse(message, Usage(10, 5), "tool_calls" if calls else "stop", model.name, model.provider)


def tool_results(message: Message, order: Sequence[int] | None = None) -> list[Message]:
    calls = message.tool_calls
    idx = range(len(calls)) if order is None else order
    return [Message.tool(calls[i].id, f"result {calls[i].arguments.get('q')}") for i in idx]


# ---------------------------------------------------------------------------- a real redis-server


def redis_server_binary() -> str | None:
    return shutil.which("redis-server")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class RedisServer:
    """A throwaway redis-server on 127.0.0.1 and a free port, no persistence."""

    def __init__(self, binary: str, password: str | None = None) -> None:
        self.binary = binary
        self.password = password
        self.port = free_port()
        self.proc: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        auth = f":{self.password}@" if self.password else ""
        return f"redis://{auth}127.0.0.1:{self.port}/0"

    def start(self) -> None:
        args = [self.binary, "--port", str(self.port), "--bind", "127.0.0.1", "--save", "",
                "--appendonly", "no", "--protected-mode", "no"]
        if self.password:
            args += ["--requirepass", self.password]
        self.proc = subprocess.Popen(args, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"redis-server exited with {self.proc.returncode} on port {self.port}")
            try:
                with socket.create_connection(("127.0.0.1", self.port), timeout=0.2) as conn:
                    conn.sendall(b"PING\r\n")
                    if conn.recv(64):
                        return
            except OSError:
                time.sleep(0.02)
        raise RuntimeError(f"redis-server did not answer on port {self.port} within 10 s")

    def stop(self) -> None:
        """Kill the server (SIGKILL: as abrupt as a crash)."""
        if self.proc is not None and self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait(timeout=10)
        self.proc = None


# ---------------------------------------------------------------------------- multiprocess workers
PROVIDER_MODELS = {
    "openai": GPT5,
    "anthropic": SONNET,
    "mistral": MISTRAL,
    "deepseek": DEEPSEEK,
    "gemini": CATALOG.model("gemini-2.5-flash"),
}
RACERS = ("openai", "anthropic", "mistral", "deepseek")
MOVE_TO = "gemini"


def _step_response(model: ModelSpec, pids: Sequence[str]) -> ProviderResponse:
    calls = tuple(ToolCall(pid, "search", {"q": pid}) for pid in pids)
    return ProviderResponse(Message("assistant", (), calls), Usage(10, 5), "tool_calls", model.name, model.provider)


def race_worker(url: str, prefix: str, index: int, sessions: Sequence[str], steps: int,
                barrier: Any, out: Any) -> None:
    """One of four processes running interleaved steps of the same sessions.

    Each process prefers another provider, so the first step of every session is a real race for
    the pin. Every step commits one provider id that all processes see (a deterministic provider
    re-issuing it) and one of its own. Half way, every process tries to move each pin to gemini.
    """
    from routed_llm.messages import Request
    from routed_llm.sessions import RedisStore, SessionManager

    store = RedisStore(url, prefix=prefix)
    mgr = SessionManager(store, catalog=CATALOG)
    mine = RACERS[index]
    pins: dict[str, list[str]] = {}
    ids: dict[str, dict[str, str]] = {}  # sid -> "provider|pid" -> caller
    request = Request((Message.user("go"),))
    order = list(sessions[index:]) + list(sessions[:index])
    barrier.wait()
    for step in range(steps):
        for sid in order:
            pin = mgr.pinned_provider(sid, request) or mgr.pin(sid, mine)
            if step == steps // 2 and pin != MOVE_TO:
                pin = mgr.move(sid, pin, MOVE_TO)
            pins.setdefault(sid, []).append(pin)
            model = PROVIDER_MODELS[pin]
            pids = [f"shared-{sid}-{step}", f"own-{index}-{sid}-{step}"]
            resp = mgr.commit(sid, _step_response(model, pids), model)
            for pid, call in zip(pids, resp.message.tool_calls, strict=True):
                ids.setdefault(sid, {})[f"{pin}|{pid}"] = call.id
    store.close()
    out.put((index, pins, ids))


def outage_worker(url: str, prefix: str, index: int, fallback: bool, sessions: Sequence[str],
                  killed: Any, out: Any) -> None:
    """Runs steps until told Redis is dead, then runs more; reports what happened."""
    from routed_llm.errors import SessionStoreError
    from routed_llm.messages import Request
    from routed_llm.sessions import RedisStore, SessionManager

    store = RedisStore(url, prefix=prefix, fallback_to_memory=fallback)
    mgr = SessionManager(store, catalog=CATALOG)
    request = Request((Message.user("go"),))
    before: dict[str, str] = {}
    after: dict[str, str] = {}
    error = None
    steps_after = 0
    try:
        for sid in sessions:
            before[sid] = mgr.pinned_provider(sid, request) or mgr.pin(sid, RACERS[index])
            mgr.commit(sid, _step_response(PROVIDER_MODELS[before[sid]], [f"c-{index}-{sid}"]), PROVIDER_MODELS[before[sid]])
        out.put(("ready", index))
        killed.wait(30)
        for _ in range(3):
            for sid in sessions:
                after[sid] = mgr.pinned_provider(sid, request) or mgr.pin(sid, RACERS[index])
                model = PROVIDER_MODELS[after[sid]]
                mgr.commit(sid, _step_response(model, [f"d-{index}-{sid}-{steps_after}"]), model)
                steps_after += 1
    except SessionStoreError as exc:
        error = str(exc)
    out.put(("done", index, fallback, error, store.degraded, before, after, steps_after))
