"""The pure conversions: LangChain messages/tools in, neutral types; neutral responses out."""

from __future__ import annotations

import json
from dataclasses import replace
from decimal import Decimal
from typing import Any

import pytest
from langchain_core.messages import (
    AIMessage,
    AIMessageChunk,
    ChatMessage,
    FunctionMessage,
    HumanMessage,
    SystemMessage,
    ToolMessage,
)
from langchain_core.tools import tool
from pydantic import BaseModel, Field
from routed_llm.errors import InvalidRequestError
from routed_llm.events import Attempt, RoutingDecision, StepCost
from routed_llm.messages import (
    ImagePart,
    Message,
    NamedTool,
    ReasoningPart,
    ResponseFormat,
    TextPart,
    ToolCall,
    ToolCallDelta,
    Usage,
)
from routed_llm.policy.route import LazyExplanation
from routed_llm.response import Response, StreamChunk

from langchain_routed_llm.convert import (
    ChunkConverter,
    format_tool,
    normalize_tool_choice,
    routing_entry,
    to_ai_message,
    to_neutral_messages,
    to_response_format,
    to_tool_choice,
    to_tool_spec,
    usage_metadata,
)

PNG = "iVBORw0KGgo="


def make_response(
    message: Message,
    *,
    provider: str = "openai",
    model: str = "gpt-5-mini",
    usage: Usage | None = None,
    finish: str = "stop",
) -> Response:
    usage = usage or Usage(input_tokens=120, output_tokens=30, cache_read_tokens=100, cache_write_tokens=5,
                           reasoning_tokens=7)
    decision = RoutingDecision(
        step_id="step123", session_id="s1", label="chat", confidence=0.9, path="rules", model=model,
        provider=provider, chain=(f"{provider}/{model}", "openai/gpt-5"),
        attempts=(Attempt(provider, model, True, 12.5, usage=usage, cost=Decimal("0.0001")),),
        cost=Decimal("0.0001"), baseline_cost=Decimal("0.0010"), baseline_model="gpt-5", latency_ms=15.0,
        usage=usage, dial=0.5,
    )
    cost = StepCost(step_id="step123", session_id="s1", label="chat", provider=provider, model=model, usage=usage,
                    cost=Decimal("0.0001"), failed_attempts_cost=Decimal(0), baseline_cost=Decimal("0.0010"),
                    baseline_model="gpt-5", session_total=Decimal("0.0001"),
                    session_baseline_total=Decimal("0.0010"))
    return Response(message, usage, finish, model, provider, decision, cost)  # type: ignore[arg-type]


# ------------------------------------------------------------------------------------------ input


def test_roles_and_text() -> None:
    msgs = to_neutral_messages([
        SystemMessage("be brief"),
        HumanMessage("hi", name="ann"),
        AIMessage("hello"),
        ChatMessage(role="developer", content="dev rule"),
    ])
    assert [m.role for m in msgs] == ["system", "user", "assistant", "system"]
    assert msgs[0].text == "be brief" and msgs[1].name == "ann" and msgs[2].text == "hello"
    assert msgs[3].text == "dev rule"


def test_images_every_form() -> None:
    (m,) = to_neutral_messages([HumanMessage(content=[
        {"type": "text", "text": "what is this"},
        {"type": "image_url", "image_url": {"url": f"data:image/jpeg;base64,{PNG}"}},
        {"type": "image_url", "image_url": {"url": "https://example.com/a.png"}},
        {"type": "image", "base64": PNG, "mime_type": "image/png"},
        {"type": "image", "source": {"type": "base64", "media_type": "image/gif", "data": PNG}},
        {"type": "image", "url": "https://example.com/b.png"},
    ])])
    images = m.images
    assert m.text == "what is this"
    assert images[0] == ImagePart(data=PNG, media_type="image/jpeg")
    assert images[1] == ImagePart(url="https://example.com/a.png")
    assert images[2].media_type == "image/png" and images[3].media_type == "image/gif"
    assert images[4].url == "https://example.com/b.png"


def test_unsupported_blocks_and_messages_are_named() -> None:
    with pytest.raises(InvalidRequestError, match="'audio'"):
        to_neutral_messages([HumanMessage(content=[{"type": "audio", "base64": "AAAA", "mime_type": "audio/wav"}])])
    with pytest.raises(InvalidRequestError, match="FunctionMessage"):
        to_neutral_messages([FunctionMessage(content="x", name="f")])
    with pytest.raises(InvalidRequestError, match="ChatMessage role"):
        to_neutral_messages([ChatMessage(role="wizard", content="x")])


def test_tool_calls_and_results_round_trip_ids() -> None:
    ai = AIMessage("", tool_calls=[{"name": "add", "args": {"a": 1}, "id": "abcdefghi", "type": "tool_call"}],
                   invalid_tool_calls=[{"name": "bad", "args": "{oops", "id": "bcdefghij", "error": "x",
                                        "type": "invalid_tool_call"}])
    msgs = to_neutral_messages([HumanMessage("add"), ai,
                                ToolMessage("3", tool_call_id="abcdefghi"),
                                ToolMessage("boom", tool_call_id="bcdefghij", status="error")])
    assert msgs[1].tool_calls == (ToolCall("abcdefghi", "add", {"a": 1}),
                                  ToolCall("bcdefghij", "bad", {}, raw_arguments="{oops"))
    assert msgs[2].tool_call_id == "abcdefghi" and msgs[2].text == "3" and not msgs[2].is_error
    assert msgs[3].is_error
    with pytest.raises(InvalidRequestError, match="no id"):
        to_neutral_messages([AIMessage("", tool_calls=[{"name": "f", "args": {}, "id": None}])])


def test_tool_message_list_content_with_image() -> None:
    (m,) = to_neutral_messages([ToolMessage(content=[{"type": "text", "text": "see"},
                                                     {"type": "image", "base64": PNG, "mime_type": "image/png"}],
                                            tool_call_id="x")])
    assert m.text == "see" and len(m.images) == 1


def test_reasoning_is_replayed_with_its_provider_and_model() -> None:
    anthropic = AIMessage(
        content=[{"type": "thinking", "thinking": "hmm", "signature": "sig"}, {"type": "text", "text": "ok"},
                 {"type": "tool_use", "id": "abcdefghi", "name": "f", "input": {}}],
        tool_calls=[{"name": "f", "args": {}, "id": "abcdefghi"}],
        response_metadata={"model_provider": "anthropic", "model_name": "claude-haiku-4-5"},
    )
    openai = AIMessage("ok", additional_kwargs={"reasoning_content": "because"},
                       response_metadata={"model_provider": "deepseek", "model_name": "deepseek-reasoner"})
    a, o = to_neutral_messages([anthropic, openai])
    assert a.reasoning == (ReasoningPart("hmm", "anthropic", "claude-haiku-4-5", signature="sig"),)
    assert a.text == "ok" and a.tool_calls[0].id == "abcdefghi"
    assert o.reasoning == (ReasoningPart("because", "deepseek", "deepseek-reasoner"),)


# ------------------------------------------------------------------------------------------ tools


class Weather(BaseModel):
    """Get the weather of a city."""

    city: str = Field(description="the city")


@tool
def add(a: int, b: int) -> int:
    """Add two integers."""
    return a + b


def lookup(term: str) -> str:
    """Look a term up."""
    return term


@pytest.mark.parametrize("form", [
    Weather, add, lookup,
    {"type": "function", "function": {"name": "Weather", "description": "d",
                                      "parameters": {"type": "object", "properties": {"city": {"type": "string"}}}}},
    {"name": "Weather", "description": "d", "input_schema": {"type": "object", "properties": {"city": {"type": "string"}}}},
    {"title": "Weather", "description": "d", "type": "object", "properties": {"city": {"type": "string"}}},
])
def test_every_tool_form_becomes_a_tool_spec(form: Any) -> None:
    spec = to_tool_spec(format_tool(form))
    assert spec.name in ("Weather", "add", "lookup")
    assert spec.parameters["type"] == "object"


def test_builtin_tools_are_refused() -> None:
    with pytest.raises(InvalidRequestError, match="built-in"):
        format_tool({"type": "web_search_preview"})


def test_tool_choice_forms() -> None:
    names = ["a", "b"]
    assert normalize_tool_choice("auto", names) == "auto"
    assert normalize_tool_choice("any", names) == "required"
    assert normalize_tool_choice(True, names) == "required"
    assert normalize_tool_choice(True, ["a"]) == {"type": "function", "function": {"name": "a"}}
    assert normalize_tool_choice("b", names) == {"type": "function", "function": {"name": "b"}}
    assert normalize_tool_choice({"type": "tool", "name": "a"}, names) == {"type": "function", "function": {"name": "a"}}
    assert normalize_tool_choice(None, names) is None
    with pytest.raises(InvalidRequestError, match="not among"):
        normalize_tool_choice("c", names)
    assert to_tool_choice({"type": "function", "function": {"name": "b"}}) == NamedTool("b")
    assert to_tool_choice("required") == "required"


def test_response_formats() -> None:
    assert to_response_format({"type": "json_object"}) == ResponseFormat(schema=None)
    fmt = to_response_format({"type": "json_schema", "json_schema": {"name": "W", "schema": {"type": "object"},
                                                                      "strict": False}})
    assert fmt == ResponseFormat(schema={"type": "object"}, name="W", strict=False)


# ------------------------------------------------------------------------------------------ output


def test_usage_metadata_details() -> None:
    u = usage_metadata(Usage(100, 20, cache_read_tokens=60, cache_write_tokens=10, reasoning_tokens=5))
    assert u == {"input_tokens": 100, "output_tokens": 20, "total_tokens": 120,
                 "input_token_details": {"cache_read": 60, "cache_creation": 10},
                 "output_token_details": {"reasoning": 5}}


def test_ai_message_openai_shape() -> None:
    msg = Message.assistant("", [ToolCall("abcdefghi", "add", {"a": 1, "b": 2})])
    ai = to_ai_message(make_response(msg, finish="tool_calls"))
    assert ai.content == ""
    assert ai.tool_calls == [{"name": "add", "args": {"a": 1, "b": 2}, "id": "abcdefghi", "type": "tool_call"}]
    assert ai.response_metadata["model_name"] == "gpt-5-mini"
    assert ai.response_metadata["model_provider"] == "openai"
    assert [b["type"] for b in ai.content_blocks] == ["tool_call"]
    routing = ai.response_metadata["routing"]
    assert routing["label"] == "chat" and routing["cost"] == "0.0001" and routing["savings"] == "0.0009"
    assert routing["attempts"][0]["model"] == "gpt-5-mini"
    json.dumps(ai.response_metadata)  # JSON-friendly


def test_ai_message_anthropic_shape_keeps_content_blocks() -> None:
    msg = Message("assistant", (ReasoningPart("think", "anthropic", "claude-haiku-4-5", signature="s"),
                                TextPart("calling")), (ToolCall("abcdefghi", "add", {"a": 1}),))
    ai = to_ai_message(make_response(msg, provider="anthropic", model="claude-haiku-4-5"))
    assert isinstance(ai.content, list)
    assert [b["type"] for b in ai.content_blocks] == ["reasoning", "text", "tool_call"]
    assert ai.text == "calling"
    # and it goes back in as the same neutral message
    (back,) = to_neutral_messages([ai])
    assert back.reasoning[0].signature == "s" and back.tool_calls == msg.tool_calls


def test_ai_message_reasoning_openai_shape() -> None:
    msg = Message("assistant", (ReasoningPart("because", "deepseek", "deepseek-reasoner"), TextPart("42")))
    ai = to_ai_message(make_response(msg, provider="deepseek", model="deepseek-reasoner"))
    assert ai.content == "42" and ai.additional_kwargs["reasoning_content"] == "because"


def test_malformed_arguments_become_invalid_tool_calls() -> None:
    msg = Message.assistant("", [ToolCall("abcdefghi", "add", {}, raw_arguments="{bad")])
    ai = to_ai_message(make_response(msg))
    assert ai.tool_calls == [] and ai.invalid_tool_calls[0]["args"] == "{bad"


def _stream(provider: str, chunks: list[StreamChunk]) -> AIMessageChunk:
    conv = ChunkConverter(provider)
    full: AIMessageChunk | None = None
    for c in chunks:
        part = conv.convert(c)
        full = part if full is None else full + part  # type: ignore[assignment]
    assert full is not None
    return full


@pytest.mark.parametrize("provider", ["openai", "anthropic", None])
def test_stream_chunks_merge_into_the_invoke_message(provider: str | None) -> None:
    calls = (ToolCall("abcdefghi", "add", {"a": 1, "b": 2}), ToolCall("bcdefghij", "lookup", {"term": "x"}))
    final = Message("assistant", (TextPart("Let me add."),), calls)
    response = make_response(final, provider=provider or "openai", finish="tool_calls")
    full = _stream(provider or "openai", [
        StreamChunk(text="Let me "),
        StreamChunk(text="add."),
        StreamChunk(tool_call=ToolCallDelta(0, "abcdefghi", "add", '{"a": 1,')),
        StreamChunk(tool_call=ToolCallDelta(0, None, None, ' "b": 2}')),
        StreamChunk(tool_call=ToolCallDelta(1, "bcdefghij", "lookup", '{"term": "x"}')),
        StreamChunk(response=response),
    ])
    assert full.text == "Let me add."
    assert [(c["id"], c["name"], c["args"]) for c in full.tool_calls] == [
        ("abcdefghi", "add", {"a": 1, "b": 2}), ("bcdefghij", "lookup", {"term": "x"})]
    blocks = full.content_blocks
    assert [b["type"] for b in blocks].count("tool_call") == 2
    assert [b["type"] for b in blocks].count("text") == 1
    assert full.usage_metadata is not None and full.usage_metadata["input_tokens"] == 120
    assert full.response_metadata["routing"]["step_id"] == "step123"
    assert full.chunk_position == "last"


def test_stream_fills_in_what_was_not_streamed() -> None:
    final = Message("assistant", (TextPart("all at once"),), (ToolCall("abcdefghi", "add", {"a": 1}),))
    full = _stream("openai", [StreamChunk(response=make_response(final))])
    assert full.text == "all at once" and full.tool_calls[0]["args"] == {"a": 1}


def test_routing_entry_has_the_issue_fields() -> None:
    r = make_response(Message.assistant("x"))
    entry = routing_entry(r.decision, r.cost)
    for key in ("label", "confidence", "path", "model", "provider", "attempts", "cost", "baseline_cost",
                "latency_ms", "savings", "session_id"):
        assert key in entry


def test_routing_entry_is_the_decision_dict_without_the_explanation() -> None:
    """The in-band entry is built field by field (it runs on every step); it must say exactly what
    ``RoutingDecision.to_dict`` says, and never build the lazy explanation."""
    built: list[bool] = []
    r = make_response(Message.assistant("x"))
    decision = replace(r.decision, explanation=LazyExplanation(lambda: built.append(True) or {"x": 1}))
    entry = routing_entry(decision, r.cost)
    full = decision.to_dict(explanation=False)
    assert {k: entry[k] for k in full if k in entry} == {k: full[k] for k in full if k in entry}
    assert entry["attempts"] == full["attempts"] and isinstance(entry["chain"], list)
    assert entry["savings"] == "0.0009" and entry["session_total"] == "0.0001"
    assert json.loads(json.dumps(entry)) == entry
    assert built == []


def test_plain_string_content_skips_block_translation() -> None:
    """Plain-string content converts like its content_blocks would (and empty text is dropped)."""
    for content in ("hello", ""):
        fast = to_neutral_messages([HumanMessage(content)])[0]
        slow = to_neutral_messages([HumanMessage([{"type": "text", "text": content}])])[0]
        assert fast == slow


def test_stream_learns_anthropic_only_at_the_end() -> None:
    final = Message("assistant", (ReasoningPart("hmm", "anthropic", "claude-haiku-4-5", signature="sig"),),
                    (ToolCall("abcdefghi", "add", {"a": 1}),))
    full = _stream_with(ChunkConverter(None), [
        StreamChunk(reasoning="hmm"),
        StreamChunk(tool_call=ToolCallDelta(0, "abcdefghi", "add", '{"a": 1}')),
        StreamChunk(response=make_response(final, provider="anthropic", model="claude-haiku-4-5")),
    ])
    assert [b["type"] for b in full.content_blocks] == ["reasoning", "tool_call"]
    assert full.tool_calls[0]["args"] == {"a": 1}
    (back,) = to_neutral_messages([full])
    assert back.reasoning[0].signature == "sig" and back.tool_calls[0].id == "abcdefghi"


def _stream_with(conv: ChunkConverter, chunks: list[StreamChunk]) -> AIMessageChunk:
    full: AIMessageChunk | None = None
    for c in chunks:
        part = conv.convert(c)
        full = part if full is None else full + part  # type: ignore[assignment]
    assert full is not None
    return full
