"""Secret leaks: every path (success, each error, streaming, callbacks, traces, reprs, DEBUG logging
of routed_llm / openai / anthropic / httpx, the LangChain and LlamaIndex adapters, the CLI) is driven
with a recognisable API key, and the key appears nowhere: not whole, not its distinctive core."""

from __future__ import annotations

import asyncio
import logging
import os
import subprocess
import sys
import traceback
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from pydantic import SecretStr

from routed_llm import Message, Request, ToolSpec
from routed_llm.catalog import load_catalog
from routed_llm.errors import RoutedLLMError
from routed_llm.events import RoutingDecision, ShadowResult, StepCost
from routed_llm.execute import RetryPolicy
from routed_llm.router import Router
from routed_llm.testing import Emulator, Fault
from routed_llm.trace import TraceWriter

CORE = "LEAKCANARY9f3a7c2e5b1d"
KEY = f"sk-proj-{CORE}4f8aQx"
FRAGMENTS = (KEY, CORE, CORE[:12], KEY[-16:])
LOGGERS = ("routed_llm", "openai", "anthropic", "httpx", "httpcore")
PROVIDERS = tuple(load_catalog().providers)
SEARCH = ToolSpec("search", "Search the web", {"type": "object", "properties": {"query": {"type": "string"}},
                                               "required": ["query"]})
FAULTS = {
    "auth": Fault.auth(),
    "rate_limit": Fault.rate_limit(retry_after=0.01),
    "server_error": Fault.server_error(503),
    "overloaded": Fault.overloaded(),
    "timeout": Fault.timeout(0.3),
    "drop_stream": Fault.drop_stream(0),
    "malformed_tool_json": Fault.malformed_tool_json(),
}


def assert_clean(*things: object, where: str = "") -> None:
    for thing in things:
        text = thing if isinstance(thing, str) else (
            thing.decode("latin-1") if isinstance(thing, bytes) else f"{thing!r}\n{thing!s}")
        for fragment in FRAGMENTS:
            assert fragment not in text, f"the API key leaked {where}: ...{_around(text, fragment)}..."


def _around(text: str, fragment: str) -> str:
    i = text.find(fragment)
    return text[max(0, i - 120): i + len(fragment) + 40]


def exception_text(exc: BaseException) -> str:
    parts = ["".join(traceback.format_exception(exc)), repr(exc), str(exc)]
    seen: set[int] = set()
    current: BaseException | None = exc
    while current is not None and id(current) not in seen:  # the whole chain, with each one's attributes
        seen.add(id(current))
        parts.append(repr(current.args))
        parts.extend(f"{k}={v!r}" for k, v in vars(current).items())
        current = current.__cause__ or current.__context__
    return "\n".join(parts)


class Everything:
    """A listener recording every event, including shadows."""

    def __init__(self) -> None:
        self.events: list[object] = []

    def on_decision(self, decision: RoutingDecision) -> None:
        self.events.append(decision)

    def on_step_cost(self, cost: StepCost) -> None:
        self.events.append(cost)

    def on_shadow(self, result: ShadowResult) -> None:
        self.events.append(result)


@pytest.fixture
def debug_logs(caplog: pytest.LogCaptureFixture) -> Iterator[pytest.LogCaptureFixture]:
    caplog.set_level(logging.DEBUG)
    for name in LOGGERS:
        caplog.set_level(logging.DEBUG, logger=name)
    yield caplog
    assert_clean("\n".join(f"{r.name} {r.getMessage()} {r.args!r} {r.exc_text or ''}" for r in caplog.records)
                 + caplog.text, where="in DEBUG logs")


@pytest.fixture
def keyed(emulator: Emulator, tmp_path: Path) -> Iterator[tuple[Router, Everything, Path]]:
    events = Everything()
    trace = tmp_path / "trace.jsonl"
    router = Router.for_emulator(
        emulator, api_keys=dict.fromkeys(PROVIDERS, KEY), classifier="rules", timeout=0.1,
        listeners=[events, TraceWriter(trace)],
        retry=RetryPolicy(max_retries=1, base_delay_s=0.001, max_delay_s=0.005, max_retry_after_s=0.05),
    )
    yield router, events, trace
    router.close()


def ask(text: str, sid: str, **kw: Any) -> Request:
    return Request((Message.user(text),), session_id=sid, **kw)


def test_core_success_paths(keyed: tuple[Router, Everything, Path], debug_logs: Any) -> None:
    router, events, trace = keyed
    outputs: list[object] = [router.invoke(ask("Summarize: the meeting moved to Tuesday.", "ok-1"))]
    outputs.append(router.invoke(ask("Use search to find the population of Paris", "ok-2", tools=(SEARCH,))))
    outputs.extend(router.stream(ask("Tell me a short story about a cat", "ok-3")))
    outputs.append(asyncio.run(router.ainvoke(ask("Translate to French: good morning", "ok-4"))))

    async def astream() -> list[object]:
        return [c async for c in router.astream(ask("Write a poem about the sea", "ok-5"))]

    outputs.extend(asyncio.run(astream()))
    assert events.events and trace.read_text()
    assert_clean(*outputs, *events.events, trace.read_text(), where="in responses/events/trace")
    assert_clean(router, router.sessions, router.sessions.store, router.executor, router.catalog,
                 router.listeners, *router._adapters.values(), where="in reprs")
    assert_clean(str(vars(router)), *(str(vars(a)) for a in router._adapters.values()), where="in vars()")


@pytest.mark.parametrize("kind", sorted(FAULTS))
@pytest.mark.parametrize("mode", ["invoke", "stream"])
def test_core_error_paths(emulator: Emulator, keyed: tuple[Router, Everything, Path], debug_logs: Any,
                          kind: str, mode: str) -> None:
    router, events, trace = keyed
    sid = f"err-{kind}-{mode}"
    prompt = "Use search to find the population of Paris"
    tools = (SEARCH,)
    first = router.invoke(ask(prompt, sid, tools=tools))
    for name in router.catalog.models:
        emulator.fault(name, FAULTS[kind], times=None)
    outcome: list[object] = []
    try:
        if mode == "invoke":
            outcome.append(router.invoke(ask(prompt, sid, tools=tools)))
        else:
            outcome.extend(router.stream(ask(prompt, sid, tools=tools)))
    except RoutedLLMError as exc:
        outcome.append(exception_text(exc))
        for attempt in getattr(exc, "attempts", ()):
            outcome.append(attempt)
    finally:
        emulator.clear_faults()
    assert_clean(first, *outcome, *events.events, trace.read_text(), where=f"after a {kind} fault ({mode})")


def test_missing_and_wrong_env_keys(emulator: Emulator, monkeypatch: pytest.MonkeyPatch, debug_logs: Any) -> None:
    """The key comes from the environment; the provider refuses it; the error names the env var only."""
    strict = Emulator(api_keys={"openai": "the-right-key"})
    with strict:
        monkeypatch.setenv("OPENAI_API_KEY", KEY)
        router = Router(catalog=strict.catalog(), base_urls={"openai": strict.base_url("openai")},
                        classifier="rules", retry=RetryPolicy(max_retries=0))
        with pytest.raises(RoutedLLMError) as info:
            router.invoke(ask("hello there", "env"))
        text = exception_text(info.value)
        assert "OPENAI_API_KEY" in text
        assert_clean(text, router, *router._adapters.values(), where="in an auth error from an env key")
        router.close()


def test_langchain_adapter(emulator: Emulator, tmp_path: Path, debug_logs: Any) -> None:
    lc = pytest.importorskip("langchain_routed_llm")
    from langchain_core.callbacks import BaseCallbackHandler
    from langchain_core.messages import HumanMessage

    class Capture(BaseCallbackHandler):
        def __init__(self) -> None:
            self.seen: list[str] = []

        def __getattribute__(self, name: str) -> Any:
            if name.startswith("on_"):
                return lambda *a, **k: object.__getattribute__(self, "seen").append(f"{name} {a!r} {k!r}")
            return object.__getattribute__(self, name)

    urls = emulator.base_urls()
    model = lc.RoutedChatModel(api_keys={p: SecretStr(KEY) for p in urls}, base_urls=urls, classifier="rules",
                               timeout=0.5, router_kwargs={"retry": RetryPolicy(max_retries=0)})
    single = lc.RoutedChatModel(api_key=KEY, provider="openai", base_url=urls["openai"], classifier="rules")
    capture = Capture()
    out: list[object] = []
    trace = tmp_path / "lc.jsonl"
    with lc.get_routing_callback(trace) as handler:
        cfg: Any = {"callbacks": [capture]}
        out.append(model.invoke("Summarize: the meeting moved to Tuesday.", config=cfg))
        out.append(single.invoke("Translate to French: good morning", config=cfg))
        out.extend(model.stream("Tell me a short story about a cat", config=cfg))
        out.append(asyncio.run(model.ainvoke([HumanMessage("Write a haiku about rain")], config=cfg)))
        bound = model.bind_tools([{
            "type": "function", "function": {"name": "search", "description": "Search",
                                             "parameters": {"type": "object", "properties": {"query": {"type": "string"}},
                                                            "required": ["query"]}}}])
        out.append(bound.invoke("Use search to find the population of Paris", config=cfg))
        for name in model.get_router().catalog.models:
            emulator.fault(name, Fault.auth(), times=None)
        try:
            with pytest.raises(RoutedLLMError) as info:
                model.invoke("hello again", config=cfg)
            out.append(exception_text(info.value))
            with pytest.raises(RoutedLLMError) as info:
                list(model.stream("hello again", config=cfg))
            out.append(exception_text(info.value))
        finally:
            emulator.clear_faults()
        out.extend([handler, handler.summary(), handler.steps])
    assert capture.seen and trace.read_text()
    for m in (model, single, bound):
        out.extend([m, m.model_dump() if hasattr(m, "model_dump") else m, getattr(m, "model_dump_json", str)()])
    out.extend([model.to_json(), model._identifying_params, model.get_router(), single.get_router()])
    assert_clean(*out, *capture.seen, trace.read_text(), where="in the LangChain adapter")


def test_llama_index_adapter(emulator: Emulator, debug_logs: Any) -> None:
    routed = pytest.importorskip("llama_index.llms.routed")
    from llama_index.core.base.llms.types import ChatMessage
    from llama_index.core.instrumentation import get_dispatcher  # type: ignore[attr-defined]
    from llama_index.core.instrumentation.event_handlers import BaseEventHandler
    from llama_index.core.instrumentation.events import BaseEvent

    seen: list[str] = []

    class Capture(BaseEventHandler):
        @classmethod
        def class_name(cls) -> str:
            return "LeakCapture"

        def handle(self, event: BaseEvent, **kwargs: Any) -> None:
            seen.append(f"{event!r} {kwargs!r}")

    dispatcher = get_dispatcher()
    capture = Capture()
    dispatcher.add_event_handler(capture)
    urls = emulator.base_urls()
    llm = routed.RoutedLLM(api_keys={p: SecretStr(KEY) for p in urls}, base_urls=urls, classifier="rules",
                           max_retries=0, request_timeout=0.5)
    out: list[object] = []
    try:
        msgs = [ChatMessage(role="user", content="Summarize: the meeting moved to Tuesday.")]
        out.append(llm.chat(msgs))
        out.extend(llm.stream_chat([ChatMessage(role="user", content="Tell me a short story about a dog")]))
        out.append(llm.complete("Translate to French: good morning"))
        out.append(asyncio.run(llm.achat([ChatMessage(role="user", content="Write a haiku about snow")])))
        for name in load_catalog().models:
            emulator.fault(name, Fault.auth(), times=None)
        try:
            with pytest.raises(RoutedLLMError) as info:
                llm.chat([ChatMessage(role="user", content="hello again")])
            out.append(exception_text(info.value))
        finally:
            emulator.clear_faults()
    finally:
        dispatcher.event_handlers.remove(capture)
    assert seen
    out.extend([llm, llm.model_dump(), llm.model_dump_json(), llm.to_json(), llm.to_dict(), llm.metadata])
    assert_clean(*out, *seen, where="in the LlamaIndex adapter")


def _cli_env() -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.endswith("_API_KEY")}
    env.update({p.api_key_env: KEY for p in load_catalog().providers.values()})
    env["MPLBACKEND"] = "Agg"
    return env


def _cli(*args: str) -> subprocess.CompletedProcess[bytes]:
    code = "import sys; from routed_llm.cli import main; raise SystemExit(main(sys.argv[1:]))"
    return subprocess.run([sys.executable, "-c", code, *args], env=_cli_env(), capture_output=True, timeout=120,
                          check=False)


def test_cli_demo_and_report(tmp_path: Path) -> None:
    out = tmp_path / "demo"
    demo = _cli("-vv", "demo", "--out", str(out), "--emulator", "--time-scale", "0", "--classifier", "rules")
    assert demo.returncode == 0, demo.stderr.decode()[-2000:]
    report = _cli("-vv", "report", str(out / "trace.jsonl"), "--no-chart", "--steps")
    assert report.returncode == 0, report.stderr.decode()[-2000:]
    failed = _cli("-vv", "demo", "--out", str(tmp_path / "bad"), "--emulator", "--flagship", "gpt-99")
    assert failed.returncode != 0
    files = [p.read_bytes() for p in tmp_path.rglob("*") if p.is_file()]
    assert files
    assert_clean(demo.stdout, demo.stderr, report.stdout, report.stderr, failed.stdout, failed.stderr, *files,
                 where="in the CLI's output or files")


def test_the_detector_itself_catches_a_leak() -> None:
    """Negative control: the checks above would see the key in any of these forms."""
    for leaked in (KEY, f"Bearer {KEY}", f"key={CORE[:12]}...", {"api_key": KEY}, KEY.encode()):
        with pytest.raises(AssertionError, match="leaked"):
            assert_clean(leaked)
