"""The adapters driving the real SDKs over HTTP against the emulator (routed_llm.testing)."""

from __future__ import annotations

import base64
from collections.abc import AsyncIterator, Callable, Iterator

import pytest

from routed_llm.catalog import Catalog
from routed_llm.errors import (
    AuthenticationError,
    ContextWindowError,
    MalformedResponseError,
    ProviderBadRequestError,
    ProviderConnectionError,
    ProviderTimeoutError,
    RateLimitError,
    ServerError,
)
from routed_llm.messages import (
    ImagePart,
    Message,
    NamedTool,
    ProviderChunk,
    ProviderResponse,
    Request,
    ResponseFormat,
    TextPart,
    Thinking,
    ToolSpec,
)
from routed_llm.providers import ProviderAdapter
from routed_llm.testing import Emulator, Fault
from routed_llm.testing.behaviour import REDACTED_MAGIC

KEY = "sk-test-SECRET-0123456789abcdef"  # the key conftest.adapter uses

Build = Callable[..., ProviderAdapter]
TARGETS = [("openai", "gpt-5-mini"), ("anthropic", "claude-haiku-4-5"), ("deepseek", "deepseek-chat")]
WIRES = [("openai", "gpt-5-mini"), ("anthropic", "claude-haiku-4-5")]
TOOLS = (
    ToolSpec("search", "Web search", {"type": "object", "properties": {"query": {"type": "string"}}, "required": ["query"]}),
    ToolSpec("get_time", "Local time", {"type": "object", "properties": {"tz": {"type": "string"}}, "required": ["tz"]}),
)
PNG_1PX = base64.b64encode(bytes.fromhex(
    "89504e470d0a1a0a0000000d49484452000000010000000108060000001f15c489"
    "0000000b49444154789c6360000200000500017a5eab3f0000000049454e44ae426082"
)).decode()


def _final(chunks: list[ProviderChunk]) -> ProviderResponse:
    assert chunks and chunks[-1].final is not None
    assert all(c.final is None for c in chunks[:-1])
    return chunks[-1].final


def _collect(it: Iterator[ProviderChunk]) -> list[ProviderChunk]:
    return list(it)


async def _acollect(it: AsyncIterator[ProviderChunk]) -> list[ProviderChunk]:
    return [c async for c in it]


@pytest.mark.parametrize(("name", "model_name"), TARGETS)
async def test_four_ways_agree(adapter: Build, catalog: Catalog, name: str, model_name: str) -> None:
    a, model = adapter(name), catalog.model(model_name)
    req = Request((Message.system("Be brief."), Message.user("Tell me about tides")), max_tokens=300)
    sync = a.complete(req, model)
    asyn = await a.acomplete(req, model)
    streamed = _collect(a.stream(req, model))
    astreamed = await _acollect(a.astream(req, model))
    for r in (sync, asyn, _final(streamed), _final(astreamed)):
        assert r.message.text.startswith(f"[{model.wire_name}]")
        assert r.finish_reason == "stop" and r.provider == name and r.model == model_name
        assert r.usage.input_tokens > 0 and r.usage.output_tokens > 0
    assert sync.message.text == asyn.message.text == _final(streamed).message.text
    assert "".join(c.text for c in streamed) == sync.message.text
    assert "".join(c.text for c in astreamed) == sync.message.text
    await a.aclose()


@pytest.mark.parametrize(("name", "model_name"), TARGETS)
@pytest.mark.parametrize("mode", ["sync", "stream"])
def test_parallel_tool_calls_round_trip(adapter: Build, catalog: Catalog, emulator: Emulator, name: str,
                                        model_name: str, mode: str) -> None:
    a, model = adapter(name), catalog.model(model_name)
    req = Request((Message.user("use search and get_time in parallel for Paris"),), tools=TOOLS)
    r = a.complete(req, model) if mode == "sync" else _final(_collect(a.stream(req, model)))
    assert [c.name for c in r.message.tool_calls] == ["search", "get_time"]
    assert r.finish_reason == "tool_calls"
    for call in r.message.tool_calls:
        assert emulator.issuer(call.id) == name  # ids intact, as the provider issued them
        assert isinstance(call.arguments, dict)
    results = [Message.tool(c.id, f"{c.name} says ok") for c in r.message.tool_calls]
    follow = a.complete(req.with_messages([*req.messages, r.message, *results]), model)
    assert "search" in follow.message.text and follow.finish_reason == "stop"


@pytest.mark.parametrize(("name", "model_name"), WIRES)
def test_forced_and_sequential_tools(adapter: Build, catalog: Catalog, name: str, model_name: str) -> None:
    a, model = adapter(name), catalog.model(model_name)
    named = Request((Message.user("hello there"),), tools=TOOLS, tool_choice=NamedTool("get_time"))
    r = a.complete(named, model)
    assert [c.name for c in r.message.tool_calls] == ["get_time"]
    required = Request((Message.user("hello there"),), tools=TOOLS, tool_choice="required")
    assert len(a.complete(required, model).message.tool_calls) == 1
    single = Request((Message.user("use search and get_time in parallel"),), tools=TOOLS, parallel_tool_calls=False)
    assert len(a.complete(single, model).message.tool_calls) == 1
    none = Request((Message.user("use search"),), tools=TOOLS, tool_choice="none")
    assert a.complete(none, model).message.tool_calls == ()


@pytest.mark.parametrize(("name", "model_name"), WIRES)
async def test_async_stream_tool_deltas(adapter: Build, catalog: Catalog, name: str, model_name: str) -> None:
    a, model = adapter(name), catalog.model(model_name)
    req = Request((Message.user("please use search for tide tables"),), tools=TOOLS)
    chunks = await _acollect(a.astream(req, model))
    deltas = [c.tool_call for c in chunks if c.tool_call is not None]
    final = _final(chunks)
    call = final.message.tool_calls[0]
    assert deltas[0].id == call.id and deltas[0].name == "search"
    assert "".join(d.arguments for d in deltas) not in ("",)
    assert call.arguments and "query" in call.arguments
    await a.aclose()


def test_anthropic_thinking_signatures_replay(adapter: Build, catalog: Catalog) -> None:
    a, model = adapter("anthropic"), catalog.model("claude-haiku-4-5")
    req = Request((Message.user("use search for moon phases"),), tools=TOOLS, thinking=Thinking(budget_tokens=1024))
    for r in (a.complete(req, model), _final(_collect(a.stream(req, model)))):
        (part,) = r.message.reasoning
        assert part.signature and part.text and part.provider == "anthropic" and part.model == "claude-haiku-4-5"
        results = [Message.tool(c.id, "full moon") for c in r.message.tool_calls]
        # the emulator verifies the signature: a wrong one is a 400
        follow = a.complete(req.with_messages([*req.messages, r.message, *results]), model)
        assert follow.finish_reason == "stop"


def test_anthropic_redacted_thinking(adapter: Build, catalog: Catalog) -> None:
    a, model = adapter("anthropic"), catalog.model("claude-haiku-4-5")
    req = Request((Message.user(f"{REDACTED_MAGIC} use search"),), tools=TOOLS, thinking=Thinking())
    r = a.complete(req, model)
    (part,) = r.message.reasoning
    assert part.redacted and part.data
    results = [Message.tool(c.id, "done") for c in r.message.tool_calls]
    assert a.complete(req.with_messages([*req.messages, r.message, *results]), model).finish_reason == "stop"


def test_openai_reasoning_content(adapter: Build, catalog: Catalog) -> None:
    a, model = adapter("openai"), catalog.model("gpt-5-mini")
    r = a.complete(Request((Message.user("why is the sky blue"),), thinking=Thinking(effort="low")), model)
    assert r.message.reasoning and r.usage.reasoning_tokens > 0
    assert r.usage.output_tokens >= r.usage.reasoning_tokens


def _long(n_words: int) -> str:
    return " ".join(f"word{i}" for i in range(n_words))


def test_openai_cache_usage(adapter: Build, catalog: Catalog) -> None:
    a, model = adapter("openai"), catalog.model("gpt-4.1")
    first = (Message.system(_long(1500)), Message.user("first question"))
    a.complete(Request(first), model)
    r = a.complete(Request((*first, Message.assistant("answer"), Message.user("second question"))), model)
    assert r.usage.cache_read_tokens > 0 and r.usage.input_tokens > r.usage.cache_read_tokens


@pytest.mark.parametrize("mode", ["sync", "stream"])
def test_anthropic_cache_usage(adapter: Build, catalog: Catalog, mode: str) -> None:
    a, model = adapter("anthropic"), catalog.model("claude-haiku-4-5")
    first = Request((Message.system(_long(1500)), Message.user("first question")))

    def call(r: Request) -> ProviderResponse:
        return a.complete(r, model) if mode == "sync" else _final(_collect(a.stream(r, model)))

    r1 = call(first)
    assert r1.usage.cache_write_tokens > 0 and r1.usage.input_tokens >= r1.usage.cache_write_tokens
    r2 = call(first.with_messages([*first.messages, Message.assistant("answer"), Message.user("second")]))
    assert r2.usage.cache_read_tokens > 0
    assert r2.usage.input_tokens >= r2.usage.cache_read_tokens + r2.usage.cache_write_tokens


@pytest.mark.parametrize(("name", "model_name"), WIRES)
def test_images(adapter: Build, catalog: Catalog, name: str, model_name: str) -> None:
    a, model = adapter(name), catalog.model(model_name)
    msg = Message.user([TextPart("what is in this picture"), ImagePart(data=PNG_1PX, media_type="image/png"),
                        ImagePart(url="https://example.com/cat.png")])
    assert a.complete(Request((msg,)), model).message.text


def test_structured_output(adapter: Build, catalog: Catalog) -> None:
    schema = {"type": "object", "properties": {"city": {"type": "string"}}, "required": ["city"],
              "additionalProperties": False}
    fmt = ResponseFormat(schema, name="place")
    import json

    for name, model_name in WIRES:
        a, model = adapter(name), catalog.model(model_name)
        req = Request((Message.user("Which city is the capital of France? Answer as json"),), response_format=fmt)
        for r in (a.complete(req, model), _final(_collect(a.stream(req, model)))):
            value = json.loads(r.message.text)
            assert isinstance(value, dict) and "city" in value, (name, r.message.text)
            assert r.finish_reason == "stop" and r.message.tool_calls == ()


# ------------------------------------------------------------------------------------------- errors


def _req() -> Request:
    return Request((Message.user("hello"),))


@pytest.mark.parametrize(("name", "model_name"), TARGETS)
def test_rate_limit_with_retry_after(adapter: Build, catalog: Catalog, emulator: Emulator, name: str, model_name: str) -> None:
    a, model = adapter(name), catalog.model(model_name)
    emulator.fault(model.wire_name, Fault.rate_limit(retry_after=1.5))
    with pytest.raises(RateLimitError) as info:
        a.complete(_req(), model)
    err = info.value
    assert err.retry_after == 1.5 and err.status == 429 and err.provider == name and err.model == model_name
    assert isinstance(err.__cause__, Exception)


@pytest.mark.parametrize(("name", "model_name"), WIRES)
@pytest.mark.parametrize(("fault", "status"), [(Fault.server_error(500), 500), (Fault.server_error(503), 503),
                                               (Fault.overloaded(), None)])
async def test_server_errors(adapter: Build, catalog: Catalog, emulator: Emulator, name: str, model_name: str,
                             fault: Fault, status: int | None) -> None:
    a, model = adapter(name), catalog.model(model_name)
    emulator.fault(model_name, fault, times=2)
    with pytest.raises(ServerError) as info:
        a.complete(_req(), model)
    expected = status or (529 if name == "anthropic" else 503)
    assert info.value.status == expected and info.value.retryable
    with pytest.raises(ServerError):
        await a.acomplete(_req(), model)
    await a.aclose()


@pytest.mark.parametrize(("name", "model_name"), TARGETS)
def test_auth_error_names_env_not_key(adapter: Build, catalog: Catalog, emulator: Emulator, name: str, model_name: str) -> None:
    a, model = adapter(name), catalog.model(model_name)
    emulator.fault(model_name, Fault.auth(), times=2)
    for call in (lambda: a.complete(_req(), model), lambda: _collect(a.stream(_req(), model))):
        with pytest.raises(AuthenticationError) as info:
            call()
        text = str(info.value)
        assert catalog.provider(name).api_key_env in text and name in text
        assert KEY not in text and "Bearer" not in text and not info.value.retryable
        assert info.value.status == 401


def test_wrong_key_from_real_check(catalog: Catalog) -> None:
    from dataclasses import replace

    from pydantic import SecretStr

    from routed_llm.providers import make_adapter

    with Emulator(api_keys={"openai": "sk-right", "anthropic": "sk-ant-right"}) as emu:
        for name, model_name in WIRES:
            spec = replace(catalog.provider(name), base_url=emu.base_url(name))
            a = make_adapter(spec, SecretStr("sk-wrong-key-123456789"))
            with pytest.raises(AuthenticationError) as info:
                a.complete(_req(), catalog.model(model_name))
            assert "sk-wrong-key-123456789" not in str(info.value) and spec.api_key_env in str(info.value)
            a.close()


@pytest.mark.parametrize(("name", "model_name"), WIRES)
async def test_dropped_stream(adapter: Build, catalog: Catalog, emulator: Emulator, name: str, model_name: str) -> None:
    a, model = adapter(name), catalog.model(model_name)
    emulator.fault(model_name, Fault.drop_stream(after_chunks=2), times=3)
    got: list[ProviderChunk] = []
    with pytest.raises(ProviderConnectionError):
        for chunk in a.stream(_req(), model):
            got.append(chunk)
    assert got and all(c.final is None for c in got)
    with pytest.raises(ProviderConnectionError):
        await _acollect(a.astream(_req(), model))
    with pytest.raises(ProviderConnectionError):
        a.complete(_req(), model)  # a JSON call gets a reset
    await a.aclose()


@pytest.mark.parametrize(("name", "model_name"), TARGETS)
async def test_malformed_tool_json(adapter: Build, catalog: Catalog, emulator: Emulator, name: str, model_name: str) -> None:
    a, model = adapter(name), catalog.model(model_name)
    req = Request((Message.user("use search for tides"),), tools=TOOLS)
    emulator.fault(model_name, Fault.malformed_tool_json(), times=3)
    with pytest.raises(MalformedResponseError) as info:
        a.complete(req, model)
    assert "search" in str(info.value) and model_name in str(info.value) and info.value.retryable
    assert info.value.usage is not None and info.value.usage.input_tokens > 0
    with pytest.raises(MalformedResponseError):
        _collect(a.stream(req, model))
    with pytest.raises(MalformedResponseError):
        await _acollect(a.astream(req, model))
    await a.aclose()


@pytest.mark.parametrize(("name", "model_name"), WIRES)
def test_timeout(adapter: Build, catalog: Catalog, emulator: Emulator, name: str, model_name: str) -> None:
    a, model = adapter(name), catalog.model(model_name)
    emulator.fault(model_name, Fault.timeout(seconds=3))
    with pytest.raises(ProviderTimeoutError):
        a.complete(_req(), model, timeout=0.3)


@pytest.mark.parametrize(("name", "model_name"), WIRES)
def test_bad_request_and_unknown_model(adapter: Build, catalog: Catalog, name: str, model_name: str) -> None:
    from dataclasses import replace

    a, model = adapter(name), catalog.model(model_name)
    with pytest.raises(ProviderBadRequestError) as info:
        a.complete(_req(), replace(model, api_model="no-such-model"))
    assert info.value.status == 404 and "no-such-model" in str(info.value)
    with pytest.raises(ProviderBadRequestError) as info:
        a.complete(Request((Message.user("hi"),), max_tokens=model.max_output_tokens + 1), model)
    assert info.value.status == 400


@pytest.mark.parametrize(("name", "model_name"), [("deepseek", "deepseek-chat"), ("anthropic", "claude-haiku-4-5")])
def test_context_window(adapter: Build, catalog: Catalog, name: str, model_name: str) -> None:
    a, model = adapter(name), catalog.model(model_name)
    huge = "x" * (model.context_window * 4 + 1000)
    with pytest.raises(ContextWindowError) as info:
        a.complete(Request((Message.user(huge),)), model)
    assert info.value.status == 400 and not info.value.retryable


