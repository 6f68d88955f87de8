"""The emulator's OpenAI wire, driven through the real openai SDK."""

from __future__ import annotations

import json
import re
from typing import Any, Literal

import openai
import pytest
from emulator_helpers import OPENAI_TOOLS, PNG_1PX, client_for
from pydantic import BaseModel

from routed_llm.testing import Emulator

HELLO: list[Any] = [{"role": "user", "content": "Tell me about green tea in Japan"}]


def test_text_answer_names_the_model_and_reports_usage(oai: openai.OpenAI) -> None:
    r = oai.chat.completions.create(model="gpt-4.1-mini", messages=HELLO)
    text = r.choices[0].message.content
    assert text is not None and text.startswith("[gpt-4.1-mini] ")
    assert "tea" in text
    assert r.model == "gpt-4.1-mini" and r.choices[0].finish_reason == "stop"
    assert r.usage is not None and r.usage.prompt_tokens > 0
    assert 20 <= r.usage.completion_tokens <= 200
    assert r.usage.total_tokens == r.usage.prompt_tokens + r.usage.completion_tokens
    assert r.usage.prompt_tokens_details is not None and r.usage.prompt_tokens_details.cached_tokens == 0


def test_deterministic_given_the_request(oai: openai.OpenAI) -> None:
    a = oai.chat.completions.create(model="gpt-4.1-mini", messages=HELLO)
    b = oai.chat.completions.create(model="gpt-4.1-mini", messages=HELLO)
    c = oai.chat.completions.create(model="gpt-4.1", messages=HELLO)
    assert a.choices[0].message.content == b.choices[0].message.content
    assert a.usage == b.usage
    assert c.choices[0].message.content != a.choices[0].message.content


def test_long_prompts_get_longer_answers(oai: openai.OpenAI) -> None:
    r = oai.chat.completions.create(model="gpt-4.1-mini", messages=[{"role": "user", "content": "Explain in detail how tides work"}])
    assert r.usage is not None and r.usage.completion_tokens >= 150


def test_stream_matches_non_stream(oai: openai.OpenAI) -> None:
    full = oai.chat.completions.create(model="gpt-5-mini", messages=HELLO)
    chunks = list(oai.chat.completions.create(model="gpt-5-mini", messages=HELLO, stream=True, stream_options={"include_usage": True}))
    text = "".join(c.choices[0].delta.content or "" for c in chunks if c.choices)
    reasoning = "".join(getattr(c.choices[0].delta, "reasoning_content", None) or "" for c in chunks if c.choices)
    assert text == full.choices[0].message.content
    assert reasoning == getattr(full.choices[0].message, "reasoning_content", None)
    assert len(chunks) > 5
    assert all(c.usage is None for c in chunks[:-1])
    assert chunks[-1].choices == [] and chunks[-1].usage == full.usage
    assert [c.choices[0].finish_reason for c in chunks if c.choices][-1] == "stop"


def test_stream_without_include_usage_has_no_usage_chunk(oai: openai.OpenAI) -> None:
    chunks = list(oai.chat.completions.create(model="gpt-4.1-mini", messages=HELLO, stream=True))
    assert all(c.choices for c in chunks) and all(c.usage is None for c in chunks)


def test_reasoning_model_reports_reasoning(oai: openai.OpenAI) -> None:
    r = oai.chat.completions.create(model="gpt-5-mini", messages=HELLO)
    assert r.usage is not None and r.usage.completion_tokens_details is not None
    reasoning = r.usage.completion_tokens_details.reasoning_tokens
    assert reasoning is not None and reasoning > 0 and r.usage.completion_tokens > reasoning
    assert getattr(r.choices[0].message, "reasoning_content", "")
    none = oai.chat.completions.create(model="gpt-5-mini", messages=HELLO, reasoning_effort="minimal")
    assert none.usage is not None and none.usage.completion_tokens_details is not None
    assert none.usage.completion_tokens_details.reasoning_tokens == 0
    plain = oai.chat.completions.create(model="gpt-4.1", messages=HELLO)
    assert plain.usage is not None and plain.usage.completion_tokens_details is not None
    assert plain.usage.completion_tokens_details.reasoning_tokens == 0


def test_deepseek_reasoner_streams_reasoning_content(emu: Emulator) -> None:
    ds = client_for(emu, "deepseek")
    chunks = list(ds.chat.completions.create(model="deepseek-reasoner", messages=HELLO, stream=True))
    assert any(getattr(c.choices[0].delta, "reasoning_content", None) for c in chunks)


def test_max_tokens_truncates(oai: openai.OpenAI) -> None:
    r = oai.chat.completions.create(model="gpt-4.1-mini", messages=HELLO, max_tokens=5)
    assert r.choices[0].finish_reason == "length"
    assert r.usage is not None and r.usage.completion_tokens == 5


def test_single_tool_call_then_next_tool_then_text(oai: openai.OpenAI) -> None:
    msgs: list[Any] = [{"role": "user", "content": "Use get_time for Tokyo, then get_weather for Paris"}]
    r1 = oai.chat.completions.create(model="gpt-4.1", messages=msgs, tools=OPENAI_TOOLS)
    calls = r1.choices[0].message.tool_calls
    assert r1.choices[0].finish_reason == "tool_calls" and calls is not None and len(calls) == 1
    first = calls[0]
    assert first.type == "function" and first.function.name == "get_time"
    assert re.fullmatch(r"call_[A-Za-z0-9]{24}", first.id)
    assert json.loads(first.function.arguments) == {"tz": "Tokyo"}
    msgs += [r1.choices[0].message.model_dump(exclude_none=True), {"role": "tool", "tool_call_id": first.id, "content": "09:30 JST"}]
    r2 = oai.chat.completions.create(model="gpt-4.1", messages=msgs, tools=OPENAI_TOOLS)
    calls2 = r2.choices[0].message.tool_calls
    assert calls2 is not None and [c.function.name for c in calls2] == ["get_weather"]
    args = json.loads(calls2[0].function.arguments)
    assert args["city"] in ("Tokyo", "Paris") and args["unit"] in ("celsius", "fahrenheit")
    msgs += [r2.choices[0].message.model_dump(exclude_none=True), {"role": "tool", "tool_call_id": calls2[0].id, "content": "Sunny, 21C"}]
    r3 = oai.chat.completions.create(model="gpt-4.1", messages=msgs, tools=OPENAI_TOOLS)
    text = r3.choices[0].message.content
    assert r3.choices[0].message.tool_calls is None and text is not None
    assert 'get_time returned "09:30 JST"' in text and 'get_weather returned "Sunny, 21C"' in text


def test_parallel_tool_calls(oai: openai.OpenAI) -> None:
    msgs: list[Any] = [{"role": "user", "content": "In parallel: search for Kyoto temples, get_weather and get_time"}]
    r = oai.chat.completions.create(model="gpt-4.1", messages=msgs, tools=OPENAI_TOOLS)
    calls = r.choices[0].message.tool_calls
    assert calls is not None and [c.function.name for c in calls] == ["search", "get_weather", "get_time"]
    assert len({c.id for c in calls}) == 3
    search = json.loads(calls[0].function.arguments)
    assert isinstance(search["query"], str) and isinstance(search["filters"]["recent"], bool)
    assert len(search["tags"]) == 2
    one = oai.chat.completions.create(model="gpt-4.1", messages=msgs, tools=OPENAI_TOOLS, parallel_tool_calls=False)
    assert one.choices[0].message.tool_calls is not None and len(one.choices[0].message.tool_calls) == 1


def test_streamed_parallel_tool_calls_match(oai: openai.OpenAI) -> None:
    msgs: list[Any] = [{"role": "user", "content": "parallel please: get_weather in Oslo and get_time in Oslo"}]
    full = oai.chat.completions.create(model="gpt-4.1", messages=msgs, tools=OPENAI_TOOLS)
    with oai.chat.completions.stream(model="gpt-4.1", messages=msgs, tools=OPENAI_TOOLS) as stream:
        final = stream.get_final_completion()
    want = [(c.id, c.function.name, c.function.arguments) for c in full.choices[0].message.tool_calls or []]
    got = [(c.id, c.function.name, c.function.arguments) for c in final.choices[0].message.tool_calls or []]
    assert got == want and len(got) == 2
    assert final.choices[0].finish_reason == "tool_calls"


def test_forced_and_named_and_none_tool_choice(oai: openai.OpenAI) -> None:
    plain: list[Any] = [{"role": "user", "content": "Hello there"}]
    auto = oai.chat.completions.create(model="gpt-4.1", messages=plain, tools=OPENAI_TOOLS)
    assert auto.choices[0].message.tool_calls is None
    forced = oai.chat.completions.create(model="gpt-4.1", messages=plain, tools=OPENAI_TOOLS, tool_choice="required")
    assert [c.function.name for c in forced.choices[0].message.tool_calls or []] == ["get_weather"]
    named = oai.chat.completions.create(
        model="gpt-4.1", messages=plain, tools=OPENAI_TOOLS, tool_choice={"type": "function", "function": {"name": "search"}}
    )
    assert [c.function.name for c in named.choices[0].message.tool_calls or []] == ["search"]
    mentioned: list[Any] = [{"role": "user", "content": "use get_time"}]
    none = oai.chat.completions.create(model="gpt-4.1", messages=mentioned, tools=OPENAI_TOOLS, tool_choice="none")
    assert none.choices[0].message.tool_calls is None and none.choices[0].message.content


@pytest.mark.parametrize(
    ("provider", "model", "pattern"),
    [
        ("openai", "gpt-4.1", r"call_[A-Za-z0-9]{24}"),
        ("deepseek", "deepseek-chat", r"call_0_[0-9a-f]{32}"),
        ("mistral", "mistral-small-latest", r"[A-Za-z0-9]{9}"),
        ("gemini", "gemini-2.5-flash", r"function-call-[0-9]{16}"),
    ],
)
def test_tool_call_ids_in_each_providers_format(emu: Emulator, provider: str, model: str, pattern: str) -> None:
    client = client_for(emu, provider)
    r = client.chat.completions.create(model=model, messages=[{"role": "user", "content": "get_time please"}], tools=OPENAI_TOOLS)
    call_id = (r.choices[0].message.tool_calls or [])[0].id
    assert re.fullmatch(pattern, call_id)
    assert emu.issuer(call_id) == provider


class City(BaseModel):
    name: str
    country: str
    population: int
    capital: bool
    kind: Literal["city", "town"]
    districts: list[str]
    mayor: str | None


def test_structured_output_parses_into_the_schema(oai: openai.OpenAI) -> None:
    r = oai.chat.completions.parse(model="gpt-4.1", messages=[{"role": "user", "content": "Describe Lyon"}], response_format=City)
    city = r.choices[0].message.parsed
    assert isinstance(city, City) and city.kind == "city" and len(city.districts) >= 1


def test_json_object_mode(oai: openai.OpenAI) -> None:
    r = oai.chat.completions.create(
        model="gpt-4.1", messages=[{"role": "user", "content": "answer in json about tea"}], response_format={"type": "json_object"}
    )
    assert json.loads(r.choices[0].message.content or "")["model"] == "gpt-4.1"
    with pytest.raises(openai.BadRequestError, match="json"):
        oai.chat.completions.create(model="gpt-4.1", messages=HELLO, response_format={"type": "json_object"})


def test_images_accepted_and_bad_images_refused(oai: openai.OpenAI) -> None:
    ok: list[Any] = [{"role": "user", "content": [
        {"type": "text", "text": "what is this"},
        {"type": "image_url", "image_url": {"url": f"data:image/png;base64,{PNG_1PX}"}},
    ]}]
    with_image = oai.chat.completions.create(model="gpt-4.1", messages=ok)
    without = oai.chat.completions.create(model="gpt-4.1", messages=[{"role": "user", "content": "what is this"}])
    assert with_image.usage is not None and without.usage is not None
    assert with_image.usage.prompt_tokens - without.usage.prompt_tokens == 765
    bad: list[Any] = [{"role": "user", "content": [{"type": "image_url", "image_url": {"url": "data:image/png;base64,bm90IGFuIGltYWdl"}}]}]
    with pytest.raises(openai.BadRequestError) as err:
        oai.chat.completions.create(model="gpt-4.1", messages=bad)
    assert err.value.code == "invalid_image_format"


def test_prompt_cache_reports_cached_prefix(oai: openai.OpenAI) -> None:
    system = {"role": "system", "content": "You are a careful assistant. " * 200}
    first = oai.chat.completions.create(model="gpt-4.1", messages=[system, {"role": "user", "content": "question one"}])
    second = oai.chat.completions.create(model="gpt-4.1", messages=[system, {"role": "user", "content": "question two"}])
    assert first.usage is not None and second.usage is not None
    assert first.usage.prompt_tokens >= 1024
    assert first.usage.prompt_tokens_details is not None and first.usage.prompt_tokens_details.cached_tokens == 0
    cached = second.usage.prompt_tokens_details.cached_tokens if second.usage.prompt_tokens_details else None
    assert cached is not None and cached > 1024 and cached % 128 == 0 and cached < second.usage.prompt_tokens
    short = [{"role": "system", "content": "short"}, {"role": "user", "content": "q"}]
    oai.chat.completions.create(model="gpt-4.1", messages=short)  # type: ignore[arg-type]
    again = oai.chat.completions.create(model="gpt-4.1", messages=short)  # type: ignore[arg-type]
    assert again.usage is not None and again.usage.prompt_tokens_details is not None
    assert again.usage.prompt_tokens_details.cached_tokens == 0


async def test_async_client_and_stream(emu: Emulator) -> None:
    client = openai.AsyncOpenAI(base_url=emu.base_url("openai"), api_key="x", max_retries=0)
    r = await client.chat.completions.create(model="gpt-5-nano", messages=HELLO)
    stream = await client.chat.completions.create(model="gpt-5-nano", messages=HELLO, stream=True)
    text = "".join([c.choices[0].delta.content or "" async for c in stream])
    assert text == r.choices[0].message.content
    await client.close()


def test_models_listing(oai: openai.OpenAI) -> None:
    names = {m.id for m in oai.models.list()}
    assert {"gpt-5", "gpt-5-mini", "gpt-4.1"} <= names and "claude-haiku-4-5" not in names
