"""The emulator's Anthropic wire, driven through the real anthropic SDK."""

from __future__ import annotations

import re
from typing import Any

import anthropic
import pytest
from emulator_helpers import ANTHROPIC_TOOLS, PNG_1PX, anthropic_for

from routed_llm.testing import EmulatedModel, Emulator

HELLO: list[Any] = [{"role": "user", "content": "Tell me about green tea in Japan"}]
THINK: Any = {"type": "enabled", "budget_tokens": 1024}


def test_text_answer_and_usage(claude: anthropic.Anthropic) -> None:
    m = claude.messages.create(model="claude-haiku-4-5", max_tokens=500, messages=HELLO)
    assert m.type == "message" and m.role == "assistant" and m.model == "claude-haiku-4-5"
    assert re.fullmatch(r"msg_01[A-Za-z0-9]{22}", m.id)
    assert m.stop_reason == "end_turn" and len(m.content) == 1
    block = m.content[0]
    assert block.type == "text" and block.text.startswith("[claude-haiku-4-5] ")
    assert m.usage.input_tokens > 0 and 20 <= m.usage.output_tokens <= 200
    assert m.usage.cache_read_input_tokens == 0 and m.usage.cache_creation_input_tokens == 0


def test_stream_event_sequence_and_consistency(claude: anthropic.Anthropic) -> None:
    full = claude.messages.create(model="claude-sonnet-4-5", max_tokens=2000, messages=HELLO, thinking=THINK)
    events = list(claude.messages.create(model="claude-sonnet-4-5", max_tokens=2000, messages=HELLO, thinking=THINK, stream=True))
    kinds = [e.type for e in events]
    assert kinds[0] == "message_start" and kinds[-2:] == ["message_delta", "message_stop"]
    deltas = {e.delta.type for e in events if e.type == "content_block_delta"}
    assert deltas == {"thinking_delta", "signature_delta", "text_delta"}
    assert kinds.count("content_block_start") == kinds.count("content_block_stop") == 2
    with claude.messages.stream(model="claude-sonnet-4-5", max_tokens=2000, messages=HELLO, thinking=THINK) as stream:
        final = stream.get_final_message()
    assert [b.model_dump() for b in final.content] == [b.model_dump() for b in full.content]
    assert final.usage.output_tokens == full.usage.output_tokens
    assert final.usage.input_tokens == full.usage.input_tokens
    assert final.stop_reason == full.stop_reason == "end_turn"


def test_thinking_block_comes_first_and_is_signed(claude: anthropic.Anthropic) -> None:
    m = claude.messages.create(model="claude-sonnet-4-5", max_tokens=2000, messages=HELLO, thinking=THINK)
    assert [b.type for b in m.content] == ["thinking", "text"]
    thinking = m.content[0]
    assert thinking.type == "thinking" and thinking.thinking and thinking.signature
    omitted = claude.messages.create(
        model="claude-sonnet-4-5", max_tokens=2000, messages=HELLO, thinking={**THINK, "display": "omitted"}
    )
    assert omitted.content[0].type == "thinking" and omitted.content[0].thinking == "" and omitted.content[0].signature


def _tool_turn(claude: anthropic.Anthropic, model: str, prompt: str, **kw: Any) -> tuple[list[Any], anthropic.types.Message]:
    msgs: list[Any] = [{"role": "user", "content": prompt}]
    m = claude.messages.create(model=model, max_tokens=2000, messages=msgs, tools=ANTHROPIC_TOOLS, **kw)
    return msgs, m


def _results(m: anthropic.types.Message) -> list[Any]:
    return [{"type": "tool_result", "tool_use_id": b.id, "content": f"result of {b.name}"} for b in m.content if b.type == "tool_use"]


def test_tool_use_loop_with_thinking_replays(claude: anthropic.Anthropic) -> None:
    msgs, m = _tool_turn(claude, "claude-sonnet-4-5", "Use get_weather for Paris then get_time", thinking=THINK)
    assert [b.type for b in m.content] == ["thinking", "tool_use"] and m.stop_reason == "tool_use"
    use = m.content[1]
    assert use.type == "tool_use" and use.name == "get_weather" and use.input["city"] == "Paris"
    assert re.fullmatch(r"toolu_01[A-Za-z0-9]{22}", use.id)
    msgs += [{"role": "assistant", "content": m.content}, {"role": "user", "content": _results(m)}]
    m2 = claude.messages.create(model="claude-sonnet-4-5", max_tokens=2000, messages=msgs, tools=ANTHROPIC_TOOLS, thinking=THINK)
    assert [b.name for b in m2.content if b.type == "tool_use"] == ["get_time"]
    msgs += [{"role": "assistant", "content": m2.content}, {"role": "user", "content": _results(m2)}]
    m3 = claude.messages.create(model="claude-sonnet-4-5", max_tokens=2000, messages=msgs, tools=ANTHROPIC_TOOLS, thinking=THINK)
    text = next(b for b in m3.content if b.type == "text")
    assert text.type == "text" and 'get_time returned "result of get_time"' in text.text


def test_thinking_signature_is_bound_to_its_model(claude: anthropic.Anthropic) -> None:
    msgs, m = _tool_turn(claude, "claude-sonnet-4-5", "get_time now", thinking=THINK)
    history = [*msgs, {"role": "assistant", "content": m.content}, {"role": "user", "content": _results(m)}]
    with pytest.raises(anthropic.BadRequestError) as err:
        claude.messages.create(model="claude-haiku-4-5", max_tokens=2000, messages=history, tools=ANTHROPIC_TOOLS, thinking=THINK)
    assert err.value.body["error"]["type"] == "invalid_request_error"  # type: ignore[index]
    assert "messages.1.content.0: Invalid `signature` in `thinking` block" in str(err.value)
    forged = [dict(b.model_dump(exclude_none=True)) for b in m.content]
    forged[0]["thinking"] += " (edited)"
    tampered = [*msgs, {"role": "assistant", "content": forged}, {"role": "user", "content": _results(m)}]
    with pytest.raises(anthropic.BadRequestError, match="Invalid `signature`"):
        claude.messages.create(model="claude-sonnet-4-5", max_tokens=2000, messages=tampered, tools=ANTHROPIC_TOOLS, thinking=THINK)


def test_missing_thinking_block_with_thinking_enabled(claude: anthropic.Anthropic) -> None:
    msgs, m = _tool_turn(claude, "claude-haiku-4-5", "get_time now")
    history = [*msgs, {"role": "assistant", "content": m.content}, {"role": "user", "content": _results(m)}]
    ok = claude.messages.create(model="claude-haiku-4-5", max_tokens=2000, messages=history, tools=ANTHROPIC_TOOLS)
    assert ok.stop_reason == "end_turn"
    with pytest.raises(anthropic.BadRequestError) as err:
        claude.messages.create(model="claude-haiku-4-5", max_tokens=2000, messages=history, tools=ANTHROPIC_TOOLS, thinking=THINK)
    assert "Expected `thinking` or `redacted_thinking`, but found `tool_use`" in str(err.value)
    assert "a final `assistant` message must start with a thinking block" in str(err.value)


def test_thinking_rules(emu: Emulator, claude: anthropic.Anthropic) -> None:
    with pytest.raises(anthropic.BadRequestError, match="greater than or equal to 1024"):
        claude.messages.create(model="claude-haiku-4-5", max_tokens=2000, messages=HELLO, thinking={"type": "enabled", "budget_tokens": 100})
    with pytest.raises(anthropic.BadRequestError, match=r"must be greater than `thinking\.budget_tokens`"):
        claude.messages.create(model="claude-haiku-4-5", max_tokens=1024, messages=HELLO, thinking=THINK)
    with pytest.raises(anthropic.BadRequestError, match="forces tool use"):
        claude.messages.create(model="claude-haiku-4-5", max_tokens=2000, messages=HELLO, thinking=THINK,
                               tools=ANTHROPIC_TOOLS, tool_choice={"type": "any"})


def test_thinking_on_a_model_without_reasoning() -> None:
    plain = EmulatedModel("claude-plain", "anthropic", "anthropic", 200_000, 8192, reasoning=False)
    with Emulator([plain]) as emu:
        client = anthropic_for(emu)
        with pytest.raises(anthropic.BadRequestError, match="does not support thinking"):
            client.messages.create(model="claude-plain", max_tokens=2000, messages=HELLO, thinking=THINK)


def test_redacted_thinking_magic_string(claude: anthropic.Anthropic) -> None:
    magic = "ANTHROPIC_MAGIC_STRING_TRIGGER_REDACTED_THINKING_46C9A13E193C177646C7398A98432ECCCE4C1253"
    msgs: list[Any] = [{"role": "user", "content": f"{magic} use get_time"}]
    m = claude.messages.create(model="claude-haiku-4-5", max_tokens=2000, messages=msgs, tools=ANTHROPIC_TOOLS, thinking=THINK)
    assert m.content[0].type == "redacted_thinking"
    history = [*msgs, {"role": "assistant", "content": m.content}, {"role": "user", "content": _results(m)}]
    claude.messages.create(model="claude-haiku-4-5", max_tokens=2000, messages=history, tools=ANTHROPIC_TOOLS, thinking=THINK)
    with pytest.raises(anthropic.BadRequestError, match="Invalid `data` in `redacted_thinking`"):
        claude.messages.create(model="claude-sonnet-4-5", max_tokens=2000, messages=history, tools=ANTHROPIC_TOOLS, thinking=THINK)


def test_parallel_and_forced_tool_choice(claude: anthropic.Anthropic) -> None:
    _, par = _tool_turn(claude, "claude-haiku-4-5", "Run get_time and get_weather for Rome in parallel")
    assert [b.name for b in par.content if b.type == "tool_use"] == ["get_time", "get_weather"]
    _, single = _tool_turn(claude, "claude-haiku-4-5", "Run get_time and get_weather in parallel",
                           tool_choice={"type": "auto", "disable_parallel_tool_use": True})
    assert [b.name for b in single.content if b.type == "tool_use"] == ["get_time"]
    _, anyc = _tool_turn(claude, "claude-haiku-4-5", "hello", tool_choice={"type": "any"})
    assert [b.name for b in anyc.content if b.type == "tool_use"] == ["get_weather"]
    _, named = _tool_turn(claude, "claude-haiku-4-5", "hello", tool_choice={"type": "tool", "name": "search"})
    assert [b.name for b in named.content if b.type == "tool_use"] == ["search"]
    _, none = _tool_turn(claude, "claude-haiku-4-5", "use get_time", tool_choice={"type": "none"})
    assert [b.type for b in none.content] == ["text"]


def test_streamed_tool_use_input_json(claude: anthropic.Anthropic) -> None:
    msgs: list[Any] = [{"role": "user", "content": "search for Kyoto temples"}]
    full = claude.messages.create(model="claude-haiku-4-5", max_tokens=500, messages=msgs, tools=ANTHROPIC_TOOLS)
    with claude.messages.stream(model="claude-haiku-4-5", max_tokens=500, messages=msgs, tools=ANTHROPIC_TOOLS) as stream:
        kinds = [e.type for e in stream]
        final = stream.get_final_message()
    assert "input_json" in kinds
    assert [b.model_dump() for b in final.content] == [b.model_dump() for b in full.content]


def test_prompt_cache_write_then_read(claude: anthropic.Anthropic) -> None:
    system: Any = [{"type": "text", "text": "You are a meticulous research assistant. " * 150, "cache_control": {"type": "ephemeral"}}]
    first = claude.messages.create(model="claude-haiku-4-5", max_tokens=300, system=system, messages=HELLO)
    second = claude.messages.create(model="claude-haiku-4-5", max_tokens=300, system=system,
                                    messages=[{"role": "user", "content": "Another question about coffee"}])
    written = first.usage.cache_creation_input_tokens
    assert written is not None and written >= 1024 and first.usage.cache_read_input_tokens == 0
    assert second.usage.cache_read_input_tokens == written and second.usage.cache_creation_input_tokens == 0
    total_first = first.usage.input_tokens + written
    assert total_first > written > 0
    other_model = claude.messages.create(model="claude-sonnet-4-5", max_tokens=300, system=system, messages=HELLO)
    assert other_model.usage.cache_read_input_tokens == 0 and other_model.usage.cache_creation_input_tokens == written
    with claude.messages.stream(model="claude-haiku-4-5", max_tokens=300, system=system, messages=HELLO) as stream:
        streamed = stream.get_final_message()
    assert streamed.usage.cache_read_input_tokens == written and streamed.usage.input_tokens == first.usage.input_tokens


def test_images_and_bad_images(claude: anthropic.Anthropic) -> None:
    good: Any = [{"role": "user", "content": [
        {"type": "image", "source": {"type": "base64", "media_type": "image/png", "data": PNG_1PX}},
        {"type": "text", "text": "What is in this image?"},
    ]}]
    claude.messages.create(model="claude-haiku-4-5", max_tokens=300, messages=good)
    wrong_type: Any = [{"role": "user", "content": [
        {"type": "image", "source": {"type": "base64", "media_type": "image/jpeg", "data": PNG_1PX}},
    ]}]
    with pytest.raises(anthropic.BadRequestError, match="appears to be a image/png image"):
        claude.messages.create(model="claude-haiku-4-5", max_tokens=300, messages=wrong_type)


async def test_async_client(emu: Emulator) -> None:
    client = anthropic.AsyncAnthropic(base_url=emu.base_url("anthropic"), api_key="x", max_retries=0)
    m = await client.messages.create(model="claude-haiku-4-5", max_tokens=300, messages=HELLO)
    async with client.messages.stream(model="claude-haiku-4-5", max_tokens=300, messages=HELLO) as stream:
        text = "".join([t async for t in stream.text_stream])
    assert m.content[0].type == "text" and text == m.content[0].text
    await client.close()
