"""Scripted and random faults, outages and the request record."""

from __future__ import annotations

import json
import time
from typing import Any

import anthropic
import openai
import pytest
from emulator_helpers import ANTHROPIC_TOOLS, OPENAI_TOOLS

from routed_llm.testing import Emulator, Fault

HI: list[Any] = [{"role": "user", "content": "Tell me about tea"}]


def _ask(oai: openai.OpenAI, model: str = "gpt-5-mini") -> str:
    r = oai.chat.completions.create(model=model, messages=HI)
    return r.choices[0].message.content or ""


def test_rate_limit_with_retry_after(emu: Emulator, oai: openai.OpenAI, claude: anthropic.Anthropic) -> None:
    emu.fault("gpt-5-mini", Fault.rate_limit(retry_after=1), times=1)
    with pytest.raises(openai.RateLimitError) as err:
        _ask(oai)
    assert err.value.status_code == 429 and err.value.code == "rate_limit_exceeded"
    assert err.value.response.headers["retry-after"] == "1"
    assert err.value.response.headers["retry-after-ms"] == "1000"
    assert _ask(oai)  # times=1: the next call goes through
    emu.fault("claude-haiku-4-5", Fault.rate_limit(retry_after=0.25))
    with pytest.raises(anthropic.RateLimitError) as aerr:
        claude.messages.create(model="claude-haiku-4-5", max_tokens=100, messages=HI)
    assert aerr.value.response.headers["retry-after"] == "1"
    assert aerr.value.response.headers["retry-after-ms"] == "250"
    assert aerr.value.body["error"]["type"] == "rate_limit_error"  # type: ignore[index]


def test_sdk_retries_honour_retry_after_ms(emu: Emulator) -> None:
    client = openai.OpenAI(base_url=emu.base_url("openai"), api_key="x", max_retries=2)
    emu.fault("gpt-5-mini", Fault.rate_limit(retry_after=0.05), times=2)
    assert _ask(client)
    assert [r.status for r in emu.requests] == [429, 429, 200]


def test_server_errors_and_overloaded(emu: Emulator, oai: openai.OpenAI, claude: anthropic.Anthropic) -> None:
    emu.fault("claude-haiku-4-5", Fault.server_error(500), times=2)
    for _ in range(2):
        with pytest.raises(anthropic.InternalServerError) as err:
            claude.messages.create(model="claude-haiku-4-5", max_tokens=100, messages=HI)
        assert err.value.status_code == 500 and err.value.body["error"]["type"] == "api_error"  # type: ignore[index]
    claude.messages.create(model="claude-haiku-4-5", max_tokens=100, messages=HI)
    emu.fault("claude-haiku-4-5", Fault.overloaded())
    with pytest.raises(anthropic.OverloadedError) as over:
        claude.messages.create(model="claude-haiku-4-5", max_tokens=100, messages=HI)
    assert over.value.status_code == 529
    emu.fault("gpt-5-mini", Fault.server_error(502))
    with pytest.raises(openai.InternalServerError) as oerr:
        _ask(oai)
    assert oerr.value.status_code == 502
    emu.fault("gpt-5-mini", Fault.overloaded())
    with pytest.raises(openai.InternalServerError) as oover:
        _ask(oai)
    assert oover.value.status_code == 503


def test_faults_queue_in_order_and_until_cleared(emu: Emulator, oai: openai.OpenAI) -> None:
    emu.fault("gpt-5-mini", Fault.server_error(500), times=1)
    emu.fault("gpt-5-mini", Fault.rate_limit(), times=None)
    statuses = []
    for _ in range(4):
        try:
            _ask(oai)
            statuses.append(200)
        except openai.APIStatusError as exc:
            statuses.append(exc.status_code)
    assert statuses == [500, 429, 429, 429]
    assert _ask(oai, "gpt-5") # other models are unaffected
    emu.clear_faults()
    assert _ask(oai)


def test_provider_outage(emu: Emulator, oai: openai.OpenAI, claude: anthropic.Anthropic) -> None:
    emu.down("anthropic")
    for model in ("claude-haiku-4-5", "claude-sonnet-4-5"):
        with pytest.raises(anthropic.OverloadedError):
            claude.messages.create(model=model, max_tokens=100, messages=HI)
    assert _ask(oai)
    emu.down("openai")
    with pytest.raises(openai.InternalServerError) as err:
        _ask(oai)
    assert err.value.status_code == 503
    emu.up("anthropic")
    claude.messages.create(model="claude-haiku-4-5", max_tokens=100, messages=HI)
    emu.up()
    assert _ask(oai)


def test_slow_first_byte_and_timeout(emu: Emulator, oai: openai.OpenAI) -> None:
    emu.fault("gpt-5-mini", Fault.slow_first_byte(0.3))
    start = time.monotonic()
    assert _ask(oai)
    assert time.monotonic() - start >= 0.3
    emu.fault("gpt-5-mini", Fault.timeout(5))
    start = time.monotonic()
    with pytest.raises(openai.APITimeoutError):
        oai.with_options(timeout=0.2).chat.completions.create(model="gpt-5-mini", messages=HI)
    assert time.monotonic() - start < 2
    assert _ask(oai)


def test_timeout_fault_that_outlasts_its_wait_closes_the_connection(emu: Emulator, oai: openai.OpenAI) -> None:
    emu.fault("gpt-5-mini", Fault.timeout(0.1))
    with pytest.raises(openai.APIConnectionError):
        _ask(oai)
    assert emu.requests[-1].fault == "timeout" and emu.requests[-1].status == 0


def test_drop_stream_after_n_chunks(emu: Emulator, oai: openai.OpenAI, claude: anthropic.Anthropic) -> None:
    emu.fault("gpt-5-mini", Fault.drop_stream(after_chunks=2))
    received: list[str] = []
    with pytest.raises(openai.APIConnectionError):
        for chunk in oai.chat.completions.create(model="gpt-5-mini", messages=HI, stream=True):
            delta = chunk.choices[0].delta
            piece = getattr(delta, "reasoning_content", None) or delta.content
            if piece:
                received.append(piece)
    assert len(received) == 2
    emu.fault("claude-haiku-4-5", Fault.drop_stream(after_chunks=3))
    texts: list[str] = []
    with pytest.raises(Exception) as err:
        with claude.messages.stream(model="claude-haiku-4-5", max_tokens=300, messages=HI) as stream:
            texts.extend(stream.text_stream)
    assert len(texts) == 3
    assert "incomplete" in str(err.value) or isinstance(err.value, anthropic.APIConnectionError)


def test_drop_on_a_json_call_resets_the_connection(emu: Emulator, oai: openai.OpenAI) -> None:
    emu.fault("gpt-5-mini", Fault.drop_stream())
    with pytest.raises(openai.APIConnectionError):
        _ask(oai)
    assert _ask(oai)


def test_malformed_tool_json(emu: Emulator, oai: openai.OpenAI, claude: anthropic.Anthropic) -> None:
    msgs: list[Any] = [{"role": "user", "content": "get_weather for Paris"}]
    emu.fault("gpt-4.1", Fault.malformed_tool_json(), times=2)
    r = oai.chat.completions.create(model="gpt-4.1", messages=msgs, tools=OPENAI_TOOLS)
    args = (r.choices[0].message.tool_calls or [])[0].function.arguments
    with pytest.raises(json.JSONDecodeError):
        json.loads(args)
    chunks = list(oai.chat.completions.create(model="gpt-4.1", messages=msgs, tools=OPENAI_TOOLS, stream=True))
    streamed = "".join(c.choices[0].delta.tool_calls[0].function.arguments or ""  # type: ignore[union-attr]
                       for c in chunks if c.choices and c.choices[0].delta.tool_calls)
    assert streamed == args
    ok = oai.chat.completions.create(model="gpt-4.1", messages=msgs, tools=OPENAI_TOOLS)
    json.loads((ok.choices[0].message.tool_calls or [])[0].function.arguments)
    emu.fault("claude-haiku-4-5", Fault.malformed_tool_json())
    with pytest.raises(ValueError, match="Unable to parse tool parameter JSON"):
        with claude.messages.stream(model="claude-haiku-4-5", max_tokens=300, messages=msgs, tools=ANTHROPIC_TOOLS) as stream:
            stream.get_final_message()


def test_auth_fault(emu: Emulator, oai: openai.OpenAI) -> None:
    emu.fault("gpt-5-mini", Fault.auth())
    with pytest.raises(openai.AuthenticationError):
        _ask(oai)


def test_random_faults_are_reproducible(emu: Emulator, oai: openai.OpenAI) -> None:
    def run() -> list[int]:
        out = []
        for i in range(40):
            try:
                oai.chat.completions.create(model="gpt-4.1-mini", messages=[{"role": "user", "content": f"q{i}"}])
                out.append(200)
            except openai.APIStatusError as exc:
                out.append(exc.status_code)
        return out

    emu.random_faults(rate=0.3, seed=7, kinds=("rate_limit", "server_error"))
    first = run()
    emu.random_faults(rate=0.3, seed=7, kinds=("rate_limit", "server_error"))
    second = run()
    assert first == second
    assert 3 <= sum(s != 200 for s in first) <= 25 and {429, 500} <= set(first)
    emu.clear_faults()
    assert run() == [200] * 40


def test_requests_are_recorded(emu: Emulator, oai: openai.OpenAI, claude: anthropic.Anthropic) -> None:
    _ask(oai)
    list(claude.messages.create(model="claude-haiku-4-5", max_tokens=50, messages=HI, stream=True))
    emu.fault("gpt-5-mini", Fault.rate_limit())
    with pytest.raises(openai.RateLimitError):
        _ask(oai)
    recs = emu.requests
    assert [(r.provider, r.model, r.stream, r.status, r.fault) for r in recs] == [
        ("openai", "gpt-5-mini", False, 200, None),
        ("anthropic", "claude-haiku-4-5", True, 200, None),
        ("openai", "gpt-5-mini", False, 429, "rate_limit"),
    ]
    assert recs[0].path == "/openai/v1/chat/completions" and recs[0].body is not None
    assert recs[0].body["messages"] == HI
    emu.clear_requests()
    assert emu.requests == []
