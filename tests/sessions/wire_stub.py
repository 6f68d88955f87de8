"""A minimal test-only mapping of neutral Requests to the OpenAI / Anthropic wire and back, so the
session layer can be driven against the strict emulator before the real provider adapters exist.
Not a provider adapter: no streaming, no images, no errors beyond the status code."""

from __future__ import annotations

import json
from typing import Any

import httpx

from routed_llm.catalog import Catalog, ModelSpec
from routed_llm.messages import Message, ProviderResponse, ReasoningPart, Request, TextPart, ToolCall, Usage


class WireError(Exception):
    def __init__(self, status: int, body: str) -> None:
        super().__init__(f"{status}: {body}")
        self.status = status
        self.body = body


def _openai_body(request: Request, model: ModelSpec) -> dict[str, Any]:
    messages: list[dict[str, Any]] = []
    for m in request.messages:
        if m.role == "tool":
            messages.append({"role": "tool", "tool_call_id": m.tool_call_id, "content": m.text})
        elif m.role == "assistant":
            out: dict[str, Any] = {"role": "assistant", "content": m.text or None}
            if m.tool_calls:
                out["tool_calls"] = [{"id": c.id, "type": "function",
                                      "function": {"name": c.name, "arguments": json.dumps(dict(c.arguments))}}
                                     for c in m.tool_calls]
            messages.append(out)
        else:
            messages.append({"role": m.role, "content": m.text})
    body: dict[str, Any] = {"model": model.wire_name, "messages": messages}
    if request.tools:
        body["tools"] = [{"type": "function", "function": {"name": t.name, "description": t.description,
                                                           "parameters": dict(t.parameters)}} for t in request.tools]
    return body


def _anthropic_body(request: Request, model: ModelSpec) -> dict[str, Any]:
    system = "\n".join(m.text for m in request.messages if m.role == "system")
    messages: list[dict[str, Any]] = []
    for m in request.messages:
        if m.role == "system":
            continue
        if m.role == "tool":
            block = {"type": "tool_result", "tool_use_id": m.tool_call_id, "content": m.text}
            if messages and messages[-1]["role"] == "user" and messages[-1]["content"][0]["type"] == "tool_result":
                messages[-1]["content"].append(block)
            else:
                messages.append({"role": "user", "content": [block]})
            continue
        blocks: list[dict[str, Any]] = []
        for part in m.content:
            if isinstance(part, ReasoningPart):
                if part.redacted:
                    blocks.append({"type": "redacted_thinking", "data": part.data})
                else:
                    blocks.append({"type": "thinking", "thinking": part.text, "signature": part.signature})
        if m.text:
            blocks.append({"type": "text", "text": m.text})
        blocks.extend({"type": "tool_use", "id": c.id, "name": c.name, "input": dict(c.arguments)}
                      for c in m.tool_calls)
        messages.append({"role": m.role, "content": blocks})
    body: dict[str, Any] = {"model": model.wire_name, "max_tokens": 4096, "messages": messages}
    if system:
        body["system"] = system
    if request.tools:
        body["tools"] = [{"name": t.name, "description": t.description, "input_schema": dict(t.parameters)}
                         for t in request.tools]
    if request.thinking is not None:
        body["thinking"] = {"type": "enabled", "budget_tokens": request.thinking.budget_tokens}
    return body


def call(client: httpx.Client, catalog: Catalog, request: Request, model: ModelSpec) -> ProviderResponse:
    spec = catalog.provider(model.provider)
    if spec.wire == "openai":
        r = client.post(f"{spec.base_url}/chat/completions", json=_openai_body(request, model),
                        headers={"Authorization": "Bearer k"})
        if r.status_code != 200:
            raise WireError(r.status_code, r.text)
        msg = r.json()["choices"][0]["message"]
        calls = tuple(ToolCall(c["id"], c["function"]["name"], json.loads(c["function"]["arguments"] or "{}"))
                      for c in msg.get("tool_calls") or ())
        content: tuple[TextPart | ReasoningPart, ...] = (TextPart(msg["content"]),) if msg.get("content") else ()
    else:
        r = client.post(f"{spec.base_url}/v1/messages", json=_anthropic_body(request, model),
                        headers={"x-api-key": "k", "anthropic-version": "2023-06-01"})
        if r.status_code != 200:
            raise WireError(r.status_code, r.text)
        parts: list[TextPart | ReasoningPart] = []
        tool_calls: list[ToolCall] = []
        for block in r.json()["content"]:
            if block["type"] == "thinking":
                parts.append(ReasoningPart(block["thinking"], model.provider, model.name, signature=block["signature"]))
            elif block["type"] == "redacted_thinking":
                parts.append(ReasoningPart("", model.provider, model.name, redacted=True, data=block["data"]))
            elif block["type"] == "text":
                parts.append(TextPart(block["text"]))
            elif block["type"] == "tool_use":
                tool_calls.append(ToolCall(block["id"], block["name"], block["input"]))
        calls, content = tuple(tool_calls), tuple(parts)
    message = Message("assistant", content, calls)
    return ProviderResponse(message, Usage(1, 1), "tool_calls" if calls else "stop", model.name, model.provider)
