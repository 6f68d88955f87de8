"""Message conversions in both directions: LlamaIndex blocks <-> routed-llm neutral types."""

from __future__ import annotations

import base64
from decimal import Decimal
from typing import Any

import pytest
from llama_index.core.base.llms.types import (
    AudioBlock,
    CacheControl,
    CachePoint,
    ChatMessage,
    ImageBlock,
    MessageRole,
    TextBlock,
    ThinkingBlock,
    ToolCallBlock,
)
from llama_index.core.callbacks.token_counting import get_tokens_from_response
from llama_index.core.tools import FunctionTool
from routed_llm.errors import InvalidRequestError
from routed_llm.events import Attempt, RoutingDecision, StepCost
from routed_llm.messages import (
    ImagePart,
    Message,
    NamedTool,
    ReasoningPart,
    TextPart,
    ToolCall,
    ToolCallDelta,
    ToolSpec,
    Usage,
)
from routed_llm.response import Response

from llama_index.llms.routed.convert import (
    StreamAccumulator,
    parse_arguments,
    parse_partial_json,
    to_chat_message,
    to_chat_response,
    to_core_message,
    to_core_messages,
    to_tool_choice,
    to_tool_spec,
    tool_selections,
)

# A 1x1 PNG.
PNG = base64.b64decode(
    "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNk+M9QDwADhgGAWjR9awAAAABJRU5ErkJggg=="
)
PNG_B64 = base64.b64encode(PNG).decode()


# --------------------------------------------------------------------------- LlamaIndex -> core
def test_roles_and_text() -> None:
    msgs = to_core_messages(
        [
            ChatMessage(role="system", content="be brief"),
            ChatMessage(role="developer", content="dev rules"),
            ChatMessage(role="user", content="hi"),
            ChatMessage(role="assistant", content="hello"),
            ChatMessage(role="model", content="also assistant"),
        ]
    )
    assert [m.role for m in msgs] == ["system", "system", "user", "assistant", "assistant"]
    assert [m.text for m in msgs] == ["be brief", "dev rules", "hi", "hello", "also assistant"]


def test_multiple_text_blocks_stay_separate_parts() -> None:
    m = to_core_message(ChatMessage(role="user", blocks=[TextBlock(text="a"), TextBlock(text="b")]))
    assert m.content == (TextPart("a"), TextPart("b"))


def test_image_from_bytes_path_data_url_and_url(tmp_path: Any) -> None:
    path = tmp_path / "dot.png"
    path.write_bytes(PNG)
    m = to_core_message(
        ChatMessage(
            role="user",
            blocks=[
                TextBlock(text="what is this?"),
                ImageBlock(image=PNG),
                ImageBlock(path=path),
                ImageBlock(url=f"data:image/png;base64,{PNG_B64}"),
                ImageBlock(url="https://example.com/cat.jpg"),
            ],
        )
    )
    assert m.text == "what is this?"
    images = m.images
    assert len(images) == 4
    for image in images[:3]:
        assert image.data == PNG_B64
        assert image.media_type == "image/png"
    assert images[3] == ImagePart(url="https://example.com/cat.jpg")


def test_image_mimetype_is_kept() -> None:
    m = to_core_message(ChatMessage(role="user", blocks=[ImageBlock(image=PNG, image_mimetype="image/webp")]))
    assert m.images[0].media_type == "image/webp"


def test_assistant_tool_calls_from_blocks() -> None:
    m = to_core_message(
        ChatMessage(
            role="assistant",
            blocks=[
                TextBlock(text="let me look"),
                ToolCallBlock(tool_call_id="call_1", tool_name="search", tool_kwargs={"q": "x"}),
                ToolCallBlock(tool_call_id="call_2", tool_name="fetch", tool_kwargs='{"url": "u"}'),
            ],
        )
    )
    assert m.role == "assistant"
    assert m.text == "let me look"
    assert m.tool_calls == (
        ToolCall("call_1", "search", {"q": "x"}),
        ToolCall("call_2", "fetch", {"url": "u"}),
    )


def test_assistant_tool_calls_from_legacy_additional_kwargs() -> None:
    m = to_core_message(
        ChatMessage(
            role="assistant",
            content=None,
            additional_kwargs={
                "tool_calls": [
                    {"id": "c1", "type": "function", "function": {"name": "search", "arguments": '{"q": 1}'}}
                ]
            },
        )
    )
    assert m.tool_calls == (ToolCall("c1", "search", {"q": 1}),)


def test_blocks_win_over_legacy_tool_calls_no_duplicates() -> None:
    msg = to_chat_message(Message.assistant("", [ToolCall("c1", "search", {"q": "x"})]))
    assert msg.additional_kwargs["tool_calls"]  # the legacy mirror is present
    back = to_core_message(msg)
    assert back.tool_calls == (ToolCall("c1", "search", {"q": "x"}),)


def test_tool_call_with_non_object_arguments_keeps_raw() -> None:
    m = to_core_message(
        ChatMessage(role="assistant", blocks=[ToolCallBlock(tool_call_id="c", tool_name="t", tool_kwargs="[1, 2]")])
    )
    assert m.tool_calls[0].arguments == {}
    assert m.tool_calls[0].raw_arguments == "[1, 2]"


def test_tool_results_with_and_without_error() -> None:
    ok = to_core_message(
        ChatMessage(role="tool", content="42", additional_kwargs={"tool_call_id": "c1", "name": "calc"})
    )
    assert ok == Message("tool", (TextPart("42"),), tool_call_id="c1", is_error=False, name="calc")
    err = to_core_message(
        ChatMessage(role=MessageRole.TOOL, content="boom", additional_kwargs={"tool_call_id": "c2", "is_error": True})
    )
    assert err.role == "tool"
    assert err.is_error is True
    assert err.tool_call_id == "c2"
    assert err.text == "boom"


def test_tool_result_without_call_id_is_a_clear_error() -> None:
    with pytest.raises(InvalidRequestError, match="tool_call_id"):
        to_core_message(ChatMessage(role="tool", content="x"))


def test_thinking_block_with_origin_becomes_reasoning_part() -> None:
    m = to_core_message(
        ChatMessage(
            role="assistant",
            blocks=[
                ThinkingBlock(
                    content="step by step",
                    additional_information={"provider": "anthropic", "model": "claude-x", "signature": "sig"},
                ),
                TextBlock(text="answer"),
            ],
        )
    )
    assert m.reasoning == (ReasoningPart("step by step", "anthropic", "claude-x", signature="sig"),)
    assert m.text == "answer"


def test_thinking_block_without_origin_is_dropped() -> None:
    m = to_core_message(
        ChatMessage(role="assistant", blocks=[ThinkingBlock(content="hmm"), TextBlock(text="answer")])
    )
    assert m.reasoning == ()
    assert m.text == "answer"


def test_cache_points_are_skipped_and_audio_is_refused() -> None:
    m = to_core_message(
        ChatMessage(role="user", blocks=[TextBlock(text="x"), CachePoint(cache_control=CacheControl(type="ephemeral"))])
    )
    assert m.content == (TextPart("x"),)
    with pytest.raises(InvalidRequestError, match="AudioBlock"):
        to_core_message(ChatMessage(role="user", blocks=[AudioBlock(audio=b"RIFF0000WAVE")]))


def test_tool_specs_from_function_tool_dict_and_spec() -> None:
    def multiply(a: int, b: int) -> int:
        """Multiply two integers."""
        return a * b

    spec = to_tool_spec(FunctionTool.from_defaults(multiply))
    assert spec.name == "multiply"
    assert "Multiply" in spec.description
    assert set(spec.parameters["properties"]) == {"a", "b"}
    d = to_tool_spec(
        {"type": "function", "function": {"name": "f", "description": "d", "parameters": {"type": "object"}}}
    )
    assert d == ToolSpec("f", "d", {"type": "object"})
    assert to_tool_spec(d) is d


def test_tool_choice_forms() -> None:
    assert to_tool_choice(None) is None
    assert to_tool_choice(None, tool_required=True) == "required"
    assert to_tool_choice("auto") == "auto"
    assert to_tool_choice("none") == "none"
    assert to_tool_choice("any") == "required"
    assert to_tool_choice("search") == NamedTool("search")
    assert to_tool_choice({"type": "function", "function": {"name": "search"}}) == NamedTool("search")


# --------------------------------------------------------------------------- core -> LlamaIndex
def test_assistant_with_thinking_text_and_tool_calls() -> None:
    msg = to_chat_message(
        Message(
            "assistant",
            (ReasoningPart("think", "anthropic", "claude-x", signature="sig"), TextPart("calling")),
            (ToolCall("abc123def", "search", {"q": "x"}), ToolCall("xyz987uvw", "fetch", {})),
        )
    )
    assert msg.role == MessageRole.ASSISTANT
    kinds = [type(b).__name__ for b in msg.blocks]
    assert kinds == ["ThinkingBlock", "TextBlock", "ToolCallBlock", "ToolCallBlock"]
    thinking = msg.blocks[0]
    assert isinstance(thinking, ThinkingBlock)
    assert thinking.content == "think"
    assert thinking.additional_information == {"provider": "anthropic", "model": "claude-x", "signature": "sig"}
    call = msg.blocks[2]
    assert isinstance(call, ToolCallBlock)
    assert (call.tool_call_id, call.tool_name, call.tool_kwargs) == ("abc123def", "search", {"q": "x"})
    assert msg.content == "calling"
    assert [c["id"] for c in msg.additional_kwargs["tool_calls"]] == ["abc123def", "xyz987uvw"]


def test_round_trip_preserves_everything() -> None:
    original = (
        Message.system("sys"),
        Message.user([TextPart("look"), ImagePart(data=PNG_B64, media_type="image/png"), ImagePart(url="https://x/y.png")]),
        Message(
            "assistant",
            (ReasoningPart("r", "anthropic", "claude-x", signature="s", redacted=True, data="opaque"), TextPart("t")),
            (ToolCall("id1", "search", {"q": "x"}), ToolCall("id2", "bad", {}, raw_arguments="[1")),
        ),
        Message.tool("id1", "result"),
        Message.tool("id2", "failed!", is_error=True, name="bad"),
    )
    back = to_core_messages([to_chat_message(m) for m in original])
    assert back == original


def test_tool_message_to_llama_index() -> None:
    msg = to_chat_message(Message.tool("c1", "oops", is_error=True, name="calc"))
    assert msg.role == MessageRole.TOOL
    assert msg.content == "oops"
    assert msg.additional_kwargs == {"tool_call_id": "c1", "is_error": True, "name": "calc"}


def test_image_part_to_block() -> None:
    msg = to_chat_message(Message.user([ImagePart(data=PNG_B64, media_type="image/png")]))
    block = msg.blocks[0]
    assert isinstance(block, ImageBlock)
    assert block.image_mimetype == "image/png"
    assert block.resolve_image().read() == PNG


def _response(message: Message, usage: Usage) -> Response:
    decision = RoutingDecision(
        step_id="s1", session_id="sess", label="code", confidence=0.9, path="rules", model="gpt-5-mini",
        provider="openai", chain=("openai/gpt-5-mini", "openai/gpt-5"),
        attempts=(Attempt("openai", "gpt-5-mini", True, 12.5, usage=usage, cost=Decimal("0.001")),),
        cost=Decimal("0.001"), baseline_cost=Decimal("0.005"), baseline_model="gpt-5", latency_ms=20.0,
        usage=usage, dial=0.5,
    )
    cost = StepCost(
        step_id="s1", session_id="sess", label="code", provider="openai", model="gpt-5-mini", usage=usage,
        cost=Decimal("0.001"), failed_attempts_cost=Decimal(0), baseline_cost=Decimal("0.005"),
        baseline_model="gpt-5", session_total=Decimal("0.001"), session_baseline_total=Decimal("0.005"),
    )
    return Response(message, usage, "stop", "gpt-5-mini", "openai", decision, cost)


def test_chat_response_carries_usage_and_routing() -> None:
    usage = Usage(input_tokens=100, output_tokens=20, cache_read_tokens=10, reasoning_tokens=5)
    chat = to_chat_response(_response(Message.assistant("done"), usage))
    assert chat.message.content == "done"
    assert chat.raw["usage"]["input_tokens"] == 100
    assert chat.raw["usage"]["output_tokens"] == 20
    assert chat.additional_kwargs["prompt_tokens"] == 100
    assert chat.additional_kwargs["completion_tokens"] == 20
    assert chat.additional_kwargs["total_tokens"] == 120
    routing = chat.additional_kwargs["routing"]
    assert routing["model"] == "gpt-5-mini"
    assert routing["label"] == "code"
    assert routing["cost"] == "0.001"
    assert chat.additional_kwargs["step_cost"]["baseline_cost"] == "0.005"
    # what TokenCountingHandler reads
    assert get_tokens_from_response(chat) == (100, 20)


# --------------------------------------------------------------------------- tool calls and partial JSON
@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ('{"city": "Par', {"city": "Par"}),
        ('{"a": 1, "b": [1, 2', {"a": 1, "b": [1, 2]}),
        ('{"a": {"b": "c\\', {"a": {"b": "c"}}),
        ('{"a": ', {}),
        ('{"a": 1,', {"a": 1}),
        ("{", {}),
        ('{"a": "x"}', {"a": "x"}),
        ("", None),
    ],
)
def test_parse_partial_json(text: str, expected: Any) -> None:
    assert parse_partial_json(text) == expected


def test_parse_arguments() -> None:
    assert parse_arguments({"a": 1}) == ({"a": 1}, None)
    assert parse_arguments('{"a": 1') == ({"a": 1}, None)
    assert parse_arguments("") == ({}, None)
    assert parse_arguments(None) == ({}, None)
    assert parse_arguments("not json") == ({}, "not json")


def test_tool_selections_tolerate_partial_json() -> None:
    msg = ChatMessage(
        role="assistant",
        blocks=[ToolCallBlock(tool_call_id="c1", tool_name="search", tool_kwargs='{"query": "llama')],
    )
    [sel] = tool_selections(msg)
    assert (sel.tool_id, sel.tool_name, sel.tool_kwargs) == ("c1", "search", {"query": "llama"})


def test_stream_accumulator_builds_running_message() -> None:
    acc = StreamAccumulator()
    acc.add("", "thinking...", None)
    acc.add("Hel", "", None)
    acc.add("lo", "", None)
    acc.add("", "", ToolCallDelta(0, id="id000001a", name="search", arguments='{"q": '))
    acc.add("", "", ToolCallDelta(1, id="id000002b", name="fetch", arguments="{"))
    acc.add("", "", ToolCallDelta(0, arguments='"x"}'))
    msg = acc.message()
    assert msg.content == "Hello"
    assert isinstance(msg.blocks[0], ThinkingBlock)
    calls = tool_selections(msg)
    assert [(c.tool_id, c.tool_name, c.tool_kwargs) for c in calls] == [
        ("id000001a", "search", {"q": "x"}),
        ("id000002b", "fetch", {}),
    ]
    assert len(msg.additional_kwargs["tool_calls"]) == 2
