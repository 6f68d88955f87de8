"""Pure OpenAI Chat Completions mapping: request payload, response, stream assembly."""

from __future__ import annotations

import base64
from typing import Any

import pytest

from routed_llm.catalog import Catalog
from routed_llm.errors import MalformedResponseError, ProviderConnectionError
from routed_llm.messages import (
    ImagePart,
    Message,
    NamedTool,
    ReasoningPart,
    Request,
    ResponseFormat,
    TextPart,
    Thinking,
    ToolCall,
    ToolSpec,
)
from routed_llm.providers.openai import OpenAIStream, from_openai_response, to_openai_payload

PNG = base64.b64encode(b"\x89PNG\r\n\x1a\nfake").decode()
SEARCH = ToolSpec("search", "Web search", {"type": "object", "properties": {"q": {"type": "string"}}})


def test_payload_messages_images_tools(catalog: Catalog) -> None:
    model = catalog.model("gpt-4.1")
    call = ToolCall("call_1", "search", {"q": "cats"})
    req = Request(
        (
            Message.system("be brief"),
            Message.user([TextPart("look"), ImagePart(data=PNG), ImagePart(url="https://x.test/a.png")]),
            Message.assistant("", [call]),
            Message.tool("call_1", "found", is_error=False),
            Message.assistant([ReasoningPart("hmm", "openai", "gpt-4.1"), TextPart("done")]),
        ),
        tools=(SEARCH, ToolSpec("strict_one", strict=True)),
        tool_choice=NamedTool("search"),
        parallel_tool_calls=False,
        temperature=0.3,
        max_tokens=100,
        stop=("END",),
    )
    p = to_openai_payload(req, model)
    assert p["model"] == "gpt-4.1"
    assert p["messages"][0] == {"role": "system", "content": "be brief"}
    user = p["messages"][1]["content"]
    assert user[0] == {"type": "text", "text": "look"}
    assert user[1]["image_url"]["url"] == f"data:image/png;base64,{PNG}"
    assert user[2]["image_url"]["url"] == "https://x.test/a.png"
    assert p["messages"][2] == {
        "role": "assistant",
        "content": None,
        "tool_calls": [{"id": "call_1", "type": "function", "function": {"name": "search", "arguments": '{"q":"cats"}'}}],
    }
    assert p["messages"][3] == {"role": "tool", "tool_call_id": "call_1", "content": "found"}
    assert p["messages"][4] == {"role": "assistant", "content": "done"}  # reasoning is never sent back
    assert p["tools"][0]["function"]["description"] == "Web search"
    assert p["tools"][1]["function"]["strict"] is True
    assert p["tool_choice"] == {"type": "function", "function": {"name": "search"}}
    assert p["parallel_tool_calls"] is False
    assert p["max_completion_tokens"] == 100 and "max_tokens" not in p
    assert p["temperature"] == 0.3
    assert p["stop"] == ["END"]
    assert "stream" not in p


@pytest.mark.parametrize(("choice", "wire"), [("auto", "auto"), ("none", "none"), ("required", "required")])
def test_tool_choice_strings(catalog: Catalog, choice: Any, wire: str) -> None:
    req = Request((Message.user("hi"),), tools=(SEARCH,), tool_choice=choice)
    assert to_openai_payload(req, catalog.model("gpt-4.1"))["tool_choice"] == wire


def test_reasoning_model_rules(catalog: Catalog) -> None:
    req = Request((Message.user("hi"),), temperature=0.2, thinking=Thinking(budget_tokens=4000), max_tokens=50)
    p = to_openai_payload(req, catalog.model("gpt-5-mini"))
    assert "temperature" not in p  # OpenAI reasoning models take only the default
    assert p["reasoning_effort"] == "medium"
    assert p["max_completion_tokens"] == 50
    p = to_openai_payload(Request((Message.user("hi"),), thinking=Thinking(effort="high")), catalog.model("gpt-5"))
    assert p["reasoning_effort"] == "high"
    # non-OpenAI servers: max_tokens and temperature as given; no effort for non-reasoning models
    p = to_openai_payload(req, catalog.model("deepseek-chat"))
    assert p["max_tokens"] == 50 and p["temperature"] == 0.2 and "reasoning_effort" not in p


def test_response_format_and_stream(catalog: Catalog) -> None:
    schema = {"type": "object", "properties": {"a": {"type": "string"}}, "required": ["a"], "additionalProperties": False}
    req = Request((Message.user("json please"),), response_format=ResponseFormat(schema, name="answer"))
    p = to_openai_payload(req, catalog.model("gpt-4.1"), stream=True)
    assert p["response_format"] == {"type": "json_schema", "json_schema": {"name": "answer", "schema": schema, "strict": True}}
    assert p["stream"] is True and p["stream_options"] == {"include_usage": True}
    p = to_openai_payload(Request((Message.user("json"),), response_format=ResponseFormat()), catalog.model("gpt-4.1"))
    assert p["response_format"] == {"type": "json_object"}


def _completion(message: dict[str, Any], finish: str = "stop", usage: dict[str, Any] | None = None) -> dict[str, Any]:
    return {
        "id": "chatcmpl-1",
        "choices": [{"index": 0, "message": {"role": "assistant", **message}, "finish_reason": finish}],
        "usage": usage,
    }


def test_response_text_reasoning_usage(catalog: Catalog) -> None:
    spec, model = catalog.provider("deepseek"), catalog.model("deepseek-reasoner")
    usage = {
        "prompt_tokens": 2000, "completion_tokens": 300, "total_tokens": 2300,
        "prompt_tokens_details": {"cached_tokens": 1536, "cache_write_tokens": 10},
        "completion_tokens_details": {"reasoning_tokens": 120},
    }
    r = from_openai_response(_completion({"content": "hello", "reasoning_content": "think"}, usage=usage), spec, model)
    assert r.message.text == "hello"
    assert r.message.reasoning == (ReasoningPart("think", "deepseek", "deepseek-reasoner"),)
    assert r.usage.input_tokens == 2000 and r.usage.cache_read_tokens == 1536 and r.usage.cache_write_tokens == 10
    assert r.usage.output_tokens == 300 and r.usage.reasoning_tokens == 120
    assert (r.finish_reason, r.provider, r.model, r.response_id) == ("stop", "deepseek", "deepseek-reasoner", "chatcmpl-1")


def test_response_deepseek_cache_fields(catalog: Catalog) -> None:
    usage = {"prompt_tokens": 100, "completion_tokens": 5, "prompt_cache_hit_tokens": 64, "prompt_cache_miss_tokens": 36}
    r = from_openai_response(_completion({"content": "x"}, usage=usage), catalog.provider("deepseek"), catalog.model("deepseek-chat"))
    assert r.usage.cache_read_tokens == 64 and r.usage.input_tokens == 100


@pytest.mark.parametrize(("wire", "ours"), [("stop", "stop"), ("length", "length"), ("tool_calls", "tool_calls"),
                                            ("content_filter", "content_filter"), ("function_call", "tool_calls")])
def test_finish_reasons(catalog: Catalog, wire: str, ours: str) -> None:
    r = from_openai_response(_completion({"content": "x"}, wire), catalog.provider("openai"), catalog.model("gpt-4.1"))
    assert r.finish_reason == ours


def test_response_tool_calls(catalog: Catalog) -> None:
    calls = [
        {"id": "call_a", "type": "function", "function": {"name": "search", "arguments": '{"q": "x"}'}},
        {"id": "call_b", "type": "function", "function": {"name": "noargs", "arguments": ""}},
    ]
    r = from_openai_response(_completion({"content": None, "tool_calls": calls}, "tool_calls"),
                             catalog.provider("openai"), catalog.model("gpt-4.1"))
    assert r.message.tool_calls == (ToolCall("call_a", "search", {"q": "x"}), ToolCall("call_b", "noargs", {}))
    assert r.finish_reason == "tool_calls" and r.message.text == ""


@pytest.mark.parametrize("args", ['{"q": ', "[1, 2]", '"str"'])
def test_malformed_tool_arguments(catalog: Catalog, args: str) -> None:
    calls = [{"id": "call_a", "type": "function", "function": {"name": "search", "arguments": args}}]
    with pytest.raises(MalformedResponseError) as info:
        from_openai_response(_completion({"tool_calls": calls}, "tool_calls", {"prompt_tokens": 5, "completion_tokens": 2}),
                             catalog.provider("openai"), catalog.model("gpt-4.1"))
    err = info.value
    assert "search" in str(err) and "gpt-4.1" in str(err) and err.retryable
    assert err.provider == "openai" and err.model == "gpt-4.1"
    assert err.usage is not None and err.usage.input_tokens == 5


def test_no_choices_is_malformed(catalog: Catalog) -> None:
    with pytest.raises(MalformedResponseError):
        from_openai_response({"id": "x", "choices": []}, catalog.provider("openai"), catalog.model("gpt-4.1"))


def _chunk(delta: dict[str, Any], finish: str | None = None) -> dict[str, Any]:
    return {"id": "chatcmpl-s", "choices": [{"index": 0, "delta": delta, "finish_reason": finish}]}


def test_stream_assembly(catalog: Catalog) -> None:
    s = OpenAIStream(catalog.provider("openai"), catalog.model("gpt-5-mini"))
    events = [
        _chunk({"role": "assistant", "content": ""}),
        _chunk({"reasoning_content": "th"}),
        _chunk({"reasoning_content": "ink"}),
        _chunk({"content": "Hel"}),
        _chunk({"content": "lo"}),
        _chunk({"tool_calls": [{"index": 0, "id": "call_1", "type": "function", "function": {"name": "search", "arguments": ""}}]}),
        _chunk({"tool_calls": [{"index": 1, "id": "call_2", "type": "function", "function": {"name": "fetch", "arguments": "{}"}}]}),
        _chunk({"tool_calls": [{"index": 0, "function": {"arguments": '{"q":'}}]}),
        _chunk({"tool_calls": [{"index": 0, "function": {"arguments": '"a"}'}}]}),
        _chunk({}, "tool_calls"),
        {"id": "chatcmpl-s", "choices": [], "usage": {"prompt_tokens": 10, "completion_tokens": 7,
                                                      "completion_tokens_details": {"reasoning_tokens": 2}}},
    ]
    chunks = [c for e in events for c in s.feed(e)]
    assert "".join(c.text for c in chunks) == "Hello"
    assert "".join(c.reasoning for c in chunks) == "think"
    deltas = [c.tool_call for c in chunks if c.tool_call is not None]
    assert deltas[0].id == "call_1" and deltas[0].name == "search"
    assert "".join(d.arguments for d in deltas if d.index == 0) == '{"q":"a"}'
    final = s.finish()
    assert final.message.tool_calls == (ToolCall("call_1", "search", {"q": "a"}), ToolCall("call_2", "fetch", {}))
    assert final.message.text == "Hello" and final.message.reasoning[0].text == "think"
    assert final.usage.input_tokens == 10 and final.usage.reasoning_tokens == 2
    assert final.finish_reason == "tool_calls" and final.response_id == "chatcmpl-s"


def test_stream_without_finish_is_a_dropped_connection(catalog: Catalog) -> None:
    s = OpenAIStream(catalog.provider("openai"), catalog.model("gpt-4.1"))
    s.feed(_chunk({"content": "partial"}))
    with pytest.raises(ProviderConnectionError):
        s.finish()


def test_stream_malformed_arguments(catalog: Catalog) -> None:
    s = OpenAIStream(catalog.provider("openai"), catalog.model("gpt-4.1"))
    s.feed(_chunk({"tool_calls": [{"index": 0, "id": "c", "function": {"name": "search", "arguments": "{,,}"}}]}))
    s.feed(_chunk({}, "tool_calls"))
    with pytest.raises(MalformedResponseError, match="search"):
        s.finish()


@pytest.mark.parametrize("body", [[1, 2], "<html>bad gateway</html>", None])
def test_a_body_that_is_not_a_json_object_is_malformed(catalog: Catalog, body: Any) -> None:
    """Whole responses arrive as the raw JSON body; a proxy's list or text is a clear, retryable
    MalformedResponseError naming the endpoint, not a TypeError."""
    with pytest.raises(MalformedResponseError, match=r"openai/gpt-4\.1 answered with"):
        from_openai_response(body, catalog.provider("openai"), catalog.model("gpt-4.1"))
