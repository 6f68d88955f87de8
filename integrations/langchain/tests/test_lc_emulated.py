"""RoutedChatModel against the emulator: provider-shaped messages, thinking replay, images, pins."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from langchain_core.messages import AIMessage, AIMessageChunk, HumanMessage, ToolMessage
from langchain_core.tools import tool

from langchain_routed_llm import RoutedChatModel

# a 1x1 PNG
PNG = "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNk+M9QDwADhgGAWjR9awAAAABJRU5ErkJggg=="


@tool
def magic_function(input: int) -> int:
    """Apply a magic function to an input."""
    return input + 2


def _collect(chunks: Any) -> AIMessageChunk:
    full = None
    for chunk in chunks:
        full = chunk if full is None else full + chunk
    assert isinstance(full, AIMessageChunk)
    return full


@pytest.mark.parametrize("pin", ["claude-haiku-4-5", "gpt-5-mini", "deepseek-chat"])
@pytest.mark.parametrize("stream", [False, True])
def test_tool_round_trip_per_provider(emulated_model: Callable[..., RoutedChatModel], pin: str, stream: bool) -> None:
    llm = emulated_model(model=pin).bind_tools([magic_function])
    question = HumanMessage("Call magic_function with input=3")
    first = _collect(llm.stream([question])) if stream else llm.invoke([question])
    assert first.response_metadata["model_name"] == pin
    assert first.tool_calls[0]["args"] == {"input": 3}
    assert [b["type"] for b in first.content_blocks if b["type"] == "tool_call"] == ["tool_call"]
    result = magic_function.invoke(first.tool_calls[0])
    second = llm.invoke([question, first, result])
    assert isinstance(second, AIMessage) and "magic_function returned" in second.text


@pytest.mark.parametrize("stream", [False, True])
def test_anthropic_thinking_is_replayed_with_its_signature(
    emulated_model: Callable[..., RoutedChatModel], stream: bool
) -> None:
    llm = emulated_model(model="claude-sonnet-4-5", thinking={"budget_tokens": 1024}).bind_tools([magic_function])
    question = HumanMessage("Think, then call magic_function with input=5")
    first = _collect(llm.stream([question])) if stream else llm.invoke([question])
    assert any(b["type"] == "reasoning" for b in first.content_blocks)
    # the emulator validates the thinking signature on replay, as Anthropic does
    second = llm.invoke([question, first, ToolMessage("7", tool_call_id=first.tool_calls[0]["id"])])
    assert second.text


def test_image_input_routes_to_a_vision_model(emulated_model: Callable[..., RoutedChatModel]) -> None:
    ai = emulated_model().invoke([HumanMessage(content=[
        {"type": "text", "text": "Describe this image."},
        {"type": "image", "base64": PNG, "mime_type": "image/png"},
    ])])
    assert "vision" in ai.response_metadata["routing"]["required_capabilities"]
    assert ai.text.startswith(f"[{ai.response_metadata['model_name']}]")


def test_api_key_applies_to_the_flagship_provider(emulator: Any) -> None:
    urls = emulator.base_urls()
    llm = RoutedChatModel(api_key="sk-one", base_urls=urls, classifier="rules")
    router = llm.get_router()
    assert router is llm.get_router()  # built once
    assert "openai" in router.available_providers()
    pinned = RoutedChatModel(api_key="sk-one", model="claude-haiku-4-5", base_urls=urls, classifier="rules")
    assert "anthropic" in pinned.get_router().available_providers()
    explicit = RoutedChatModel(api_key="sk-one", providers=["mistral", "deepseek"], base_urls=urls, classifier="rules")
    assert {"mistral", "deepseek"} <= explicit.get_router().available_providers()
    with pytest.raises(Exception, match="unknown provider"):
        RoutedChatModel(api_key="sk-one", provider="nope", classifier="rules").get_router()
