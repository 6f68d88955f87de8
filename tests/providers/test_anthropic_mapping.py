"""Pure Anthropic Messages mapping: request payload, response, stream assembly."""

from __future__ import annotations

import base64
import dataclasses
from typing import Any

import pytest

from routed_llm.catalog import Catalog
from routed_llm.errors import InvalidRequestError, MalformedResponseError, ProviderConnectionError
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
from routed_llm.providers.anthropic import (
    AnthropicStream,
    from_anthropic_response,
    structured_tool_name,
    to_anthropic_payload,
)

PNG = base64.b64encode(b"\x89PNG\r\n\x1a\nfake").decode()
SEARCH = ToolSpec("search", "Web search", {"type": "object", "properties": {"q": {"type": "string"}}})
HAIKU = "claude-haiku-4-5"


def _conversation() -> tuple[Message, ...]:
    calls = [ToolCall("toolu_1", "search", {"q": "a"}), ToolCall("toolu_2", "search", {"q": "b"})]
    return (
        Message.system("sys one"),
        Message.user([TextPart("look"), ImagePart(data=PNG, media_type="image/png"), ImagePart(url="https://x.test/i.png")]),
        Message.assistant(
            [
                ReasoningPart("mine", "anthropic", HAIKU, signature="sig1"),
                ReasoningPart("", "anthropic", HAIKU, redacted=True, data="opaque"),
                ReasoningPart("other model", "anthropic", "claude-sonnet-4-5", signature="sig2"),
                ReasoningPart("other provider", "openai", HAIKU, signature="sig3"),
                ReasoningPart("unsigned", "anthropic", HAIKU),
                TextPart("calling"),
            ],
            calls,
        ),
        Message.tool("toolu_1", "result a"),
        Message.tool("toolu_2", "boom", is_error=True),
        Message.user("and now?"),
        Message.system("sys two"),
    )


def test_payload_messages(catalog: Catalog) -> None:
    p = to_anthropic_payload(Request(_conversation(), tools=(SEARCH,)), catalog.model(HAIKU), cache=False)
    assert p["model"] == HAIKU
    assert p["system"] == [{"type": "text", "text": "sys one"}, {"type": "text", "text": "sys two"}]
    user, assistant, results = p["messages"]
    assert user["role"] == "user"
    assert user["content"][1] == {"type": "image", "source": {"type": "base64", "media_type": "image/png", "data": PNG}}
    assert user["content"][2] == {"type": "image", "source": {"type": "url", "url": "https://x.test/i.png"}}
    assert assistant["content"] == [
        {"type": "thinking", "thinking": "mine", "signature": "sig1"},
        {"type": "redacted_thinking", "data": "opaque"},
        {"type": "text", "text": "calling"},
        {"type": "tool_use", "id": "toolu_1", "name": "search", "input": {"q": "a"}},
        {"type": "tool_use", "id": "toolu_2", "name": "search", "input": {"q": "b"}},
    ]
    # consecutive tool results and the user message after them: one user turn, results first
    assert results == {"role": "user", "content": [
        {"type": "tool_result", "tool_use_id": "toolu_1", "content": "result a"},
        {"type": "tool_result", "tool_use_id": "toolu_2", "content": "boom", "is_error": True},
        {"type": "text", "text": "and now?"},
    ]}
    assert p["tools"] == [{"name": "search", "input_schema": dict(SEARCH.parameters), "description": "Web search"}]
    assert p["max_tokens"] == 4096 and "thinking" not in p and "tool_choice" not in p


def test_cache_breakpoints(catalog: Catalog) -> None:
    p = to_anthropic_payload(Request(_conversation(), tools=(SEARCH,)), catalog.model(HAIKU))
    assert p["system"][-1]["cache_control"] == {"type": "ephemeral"}
    assert p["messages"][-1]["content"][-1]["cache_control"] == {"type": "ephemeral"}
    assert "cache_control" not in p["system"][0]


@pytest.mark.parametrize(
    ("choice", "parallel", "wire"),
    [
        ("auto", None, {"type": "auto"}),
        ("none", None, {"type": "none"}),
        ("required", None, {"type": "any"}),
        (NamedTool("search"), None, {"type": "tool", "name": "search"}),
        ("required", False, {"type": "any", "disable_parallel_tool_use": True}),
        (None, False, {"type": "auto", "disable_parallel_tool_use": True}),
    ],
)
def test_tool_choice(catalog: Catalog, choice: Any, parallel: bool | None, wire: dict[str, Any]) -> None:
    req = Request((Message.user("hi"),), tools=(SEARCH,), tool_choice=choice, parallel_tool_calls=parallel)
    assert to_anthropic_payload(req, catalog.model(HAIKU))["tool_choice"] == wire


def test_thinking(catalog: Catalog) -> None:
    model = catalog.model(HAIKU)
    req = Request((Message.user("hi"),), thinking=Thinking(budget_tokens=2000), temperature=0.5)
    p = to_anthropic_payload(req, model)
    assert p["thinking"] == {"type": "enabled", "budget_tokens": 2000}
    assert "temperature" not in p and p["max_tokens"] == 4096
    p = to_anthropic_payload(Request((Message.user("hi"),), thinking=Thinking(budget_tokens=500), max_tokens=800), model)
    assert p["thinking"]["budget_tokens"] == 1024 and p["max_tokens"] > 1024
    # a forced tool choice and thinking cannot go together: thinking is left off
    forced = Request((Message.user("hi"),), tools=(SEARCH,), tool_choice="required", thinking=Thinking())
    assert "thinking" not in to_anthropic_payload(forced, model)
    # a non-reasoning target ignores thinking and keeps temperature
    p = to_anthropic_payload(req, dataclasses.replace(model, capabilities=frozenset()))
    assert "thinking" not in p and p["temperature"] == 0.5


def test_thinking_off_when_tool_turn_lost_its_thinking(catalog: Catalog) -> None:
    msgs = (
        Message.user("search cats"),
        Message.assistant([ReasoningPart("t", "anthropic", "claude-sonnet-4-5", signature="s")],
                          [ToolCall("toolu_1", "search", {})]),
        Message.tool("toolu_1", "ok"),
    )
    p = to_anthropic_payload(Request(msgs, tools=(SEARCH,), thinking=Thinking()), catalog.model(HAIKU))
    assert "thinking" not in p


def test_structured_output_forced_tool(catalog: Catalog) -> None:
    schema = {"type": "object", "properties": {"city": {"type": "string"}}, "required": ["city"]}
    req = Request((Message.user("where?"),), response_format=ResponseFormat(schema, name="place info"))
    assert structured_tool_name(req) == "place_info"
    p = to_anthropic_payload(req, catalog.model(HAIKU))
    assert p["tools"][-1]["name"] == "place_info" and p["tools"][-1]["input_schema"] == schema
    assert p["tool_choice"] == {"type": "tool", "name": "place_info"}
    obj = {"id": "msg_1", "content": [{"type": "tool_use", "id": "toolu_x", "name": "place_info", "input": {"city": "Oslo"}}],
           "stop_reason": "tool_use", "usage": {"input_tokens": 3, "output_tokens": 4}}
    r = from_anthropic_response(obj, catalog.provider("anthropic"), catalog.model(HAIKU), structured_tool="place_info")
    assert r.message.text == '{"city":"Oslo"}' and r.message.tool_calls == () and r.finish_reason == "stop"
    with pytest.raises(InvalidRequestError):
        to_anthropic_payload(Request((Message.user("x"),), tools=(ToolSpec("response"),),
                                     response_format=ResponseFormat()), catalog.model(HAIKU))


def test_response_blocks_and_usage(catalog: Catalog) -> None:
    obj = {
        "id": "msg_1",
        "content": [
            {"type": "thinking", "thinking": "hmm", "signature": "SIG"},
            {"type": "redacted_thinking", "data": "DATA"},
            {"type": "text", "text": "Hi"},
            {"type": "tool_use", "id": "toolu_1", "name": "search", "input": {"q": "x"}},
        ],
        "stop_reason": "tool_use",
        "usage": {"input_tokens": 10, "cache_creation_input_tokens": 1000, "cache_read_input_tokens": 2000,
                  "output_tokens": 50, "output_tokens_details": {"thinking_tokens": 20}},
    }
    r = from_anthropic_response(obj, catalog.provider("anthropic"), catalog.model(HAIKU))
    assert r.message.reasoning == (
        ReasoningPart("hmm", "anthropic", HAIKU, signature="SIG"),
        ReasoningPart("", "anthropic", HAIKU, redacted=True, data="DATA"),
    )
    assert r.message.text == "Hi"
    assert r.message.tool_calls == (ToolCall("toolu_1", "search", {"q": "x"}),)
    assert r.usage.input_tokens == 3010 and r.usage.cache_write_tokens == 1000 and r.usage.cache_read_tokens == 2000
    assert r.usage.output_tokens == 50 and r.usage.reasoning_tokens == 20
    assert r.finish_reason == "tool_calls" and r.response_id == "msg_1"


@pytest.mark.parametrize(("wire", "ours"), [("end_turn", "stop"), ("stop_sequence", "stop"), ("max_tokens", "length"),
                                            ("tool_use", "tool_calls"), ("refusal", "content_filter")])
def test_finish(catalog: Catalog, wire: str, ours: str) -> None:
    obj = {"content": [{"type": "text", "text": "x"}], "stop_reason": wire, "usage": {"input_tokens": 1, "output_tokens": 1}}
    assert from_anthropic_response(obj, catalog.provider("anthropic"), catalog.model(HAIKU)).finish_reason == ours


def test_malformed_tool_input(catalog: Catalog) -> None:
    obj = {"content": [{"type": "tool_use", "id": "t", "name": "search", "input": '{"q": ,,}'}], "stop_reason": "tool_use",
           "usage": {"input_tokens": 1, "output_tokens": 1}}
    with pytest.raises(MalformedResponseError, match="search"):
        from_anthropic_response(obj, catalog.provider("anthropic"), catalog.model(HAIKU))


def _events() -> list[dict[str, Any]]:
    return [
        {"type": "message_start", "message": {"id": "msg_s", "usage": {"input_tokens": 5, "cache_read_input_tokens": 100,
                                                                      "cache_creation_input_tokens": 0, "output_tokens": 1}}},
        {"type": "content_block_start", "index": 0, "content_block": {"type": "thinking", "thinking": "", "signature": ""}},
        {"type": "content_block_delta", "index": 0, "delta": {"type": "thinking_delta", "thinking": "deep "}},
        {"type": "content_block_delta", "index": 0, "delta": {"type": "thinking_delta", "thinking": "thought"}},
        {"type": "content_block_delta", "index": 0, "delta": {"type": "signature_delta", "signature": "SIG"}},
        {"type": "content_block_stop", "index": 0},
        {"type": "content_block_start", "index": 1, "content_block": {"type": "text", "text": ""}},
        {"type": "content_block_delta", "index": 1, "delta": {"type": "text_delta", "text": "Hi "}},
        {"type": "content_block_delta", "index": 1, "delta": {"type": "text_delta", "text": "there"}},
        {"type": "content_block_stop", "index": 1},
        {"type": "content_block_start", "index": 2, "content_block": {"type": "tool_use", "id": "toolu_9", "name": "search", "input": {}}},
        {"type": "content_block_delta", "index": 2, "delta": {"type": "input_json_delta", "partial_json": ""}},
        {"type": "content_block_delta", "index": 2, "delta": {"type": "input_json_delta", "partial_json": '{"q"'}},
        {"type": "content_block_delta", "index": 2, "delta": {"type": "input_json_delta", "partial_json": ': "z"}'}},
        {"type": "content_block_stop", "index": 2},
        {"type": "message_delta", "delta": {"stop_reason": "tool_use"}, "usage": {"output_tokens": 42}},
        {"type": "message_stop"},
    ]


def test_stream_assembly(catalog: Catalog) -> None:
    s = AnthropicStream(catalog.provider("anthropic"), catalog.model(HAIKU))
    chunks = [c for e in _events() for c in s.feed(e)]
    assert "".join(c.text for c in chunks) == "Hi there"
    assert "".join(c.reasoning for c in chunks) == "deep thought"
    deltas = [c.tool_call for c in chunks if c.tool_call is not None]
    assert deltas[0].index == 0 and deltas[0].id == "toolu_9" and deltas[0].name == "search"
    assert "".join(d.arguments for d in deltas) == '{"q": "z"}'
    final = s.finish()
    assert final.message.reasoning == (ReasoningPart("deep thought", "anthropic", HAIKU, signature="SIG"),)
    assert final.message.text == "Hi there"
    assert final.message.tool_calls == (ToolCall("toolu_9", "search", {"q": "z"}),)
    assert final.usage.input_tokens == 105 and final.usage.cache_read_tokens == 100 and final.usage.output_tokens == 42
    assert final.finish_reason == "tool_calls" and final.response_id == "msg_s"


def test_stream_cut_before_message_stop(catalog: Catalog) -> None:
    s = AnthropicStream(catalog.provider("anthropic"), catalog.model(HAIKU))
    for e in _events()[:8]:
        s.feed(e)
    with pytest.raises(ProviderConnectionError):
        s.finish()


def test_stream_structured_output_as_text(catalog: Catalog) -> None:
    s = AnthropicStream(catalog.provider("anthropic"), catalog.model(HAIKU), structured_tool="answer")
    events = [
        {"type": "message_start", "message": {"id": "m", "usage": {"input_tokens": 1, "output_tokens": 1}}},
        {"type": "content_block_start", "index": 0, "content_block": {"type": "tool_use", "id": "t", "name": "answer", "input": {}}},
        {"type": "content_block_delta", "index": 0, "delta": {"type": "input_json_delta", "partial_json": '{"a":'}},
        {"type": "content_block_delta", "index": 0, "delta": {"type": "input_json_delta", "partial_json": "1}"}},
        {"type": "content_block_stop", "index": 0},
        {"type": "message_delta", "delta": {"stop_reason": "tool_use"}, "usage": {"output_tokens": 5}},
        {"type": "message_stop"},
    ]
    chunks = [c for e in events for c in s.feed(e)]
    assert "".join(c.text for c in chunks) == '{"a":1}' and not any(c.tool_call for c in chunks)
    final = s.finish()
    assert final.message.text == '{"a":1}' and final.message.tool_calls == () and final.finish_reason == "stop"


def test_a_body_that_is_not_a_json_object_is_malformed(catalog: Catalog) -> None:
    with pytest.raises(MalformedResponseError, match="anthropic/claude-haiku-4-5 answered with list"):
        from_anthropic_response([], catalog.provider("anthropic"), catalog.model("claude-haiku-4-5"))
