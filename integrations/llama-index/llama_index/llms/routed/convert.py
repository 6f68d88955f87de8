"""Pure conversions between LlamaIndex chat types and routed-llm's neutral types.

No network, no Router: these functions are what the unit tests pin down.

LlamaIndex -> core
    ``ChatMessage`` (roles system/developer, user, assistant/model/chatbot, tool/function) with
    ``TextBlock``, ``ImageBlock``, ``ThinkingBlock``, ``ToolCallBlock`` (or the legacy OpenAI-style
    ``additional_kwargs["tool_calls"]``) -> ``Message``; tool results read ``tool_call_id``,
    ``is_error`` and ``name`` from ``additional_kwargs``. Tools (``BaseTool``, OpenAI-style dicts,
    ``ToolSpec``) -> ``ToolSpec``; ``tool_choice`` / ``tool_required`` -> core tool choice.

core -> LlamaIndex
    ``Message`` -> ``ChatMessage`` whose blocks are ``ThinkingBlock`` (the provider, model and
    signature in ``additional_information`` so the block can be replayed), ``TextBlock``,
    ``ImageBlock`` and ``ToolCallBlock``; a ``Response`` -> ``ChatResponse`` with ``raw["usage"]``,
    OpenAI-style token counts in ``additional_kwargs`` and the routing record in
    ``additional_kwargs["routing"]``.
"""

from __future__ import annotations

import base64
import binascii
import json
import logging
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, cast

import filetype  # type: ignore[import-untyped]
from llama_index.core.base.llms.types import (
    AudioBlock,
    CachePoint,
    ChatMessage,
    ChatResponse,
    CitableBlock,
    CitationBlock,
    DocumentBlock,
    ImageBlock,
    MessageRole,
    TextBlock,
    ThinkingBlock,
    ToolCallBlock,
    VideoBlock,
)
from llama_index.core.llms.llm import ToolSelection
from routed_llm.errors import InvalidRequestError
from routed_llm.messages import (
    ContentPart,
    ImagePart,
    Message,
    NamedTool,
    ReasoningPart,
    Role,
    TextPart,
    ToolCall,
    ToolCallDelta,
    ToolChoice,
    ToolSpec,
    Usage,
)
from routed_llm.response import Response

log = logging.getLogger("routed_llm.llama_index")

_ROLES: Mapping[str, Role] = {
    "system": "system",
    "developer": "system",
    "user": "user",
    "assistant": "assistant",
    "model": "assistant",
    "chatbot": "assistant",
    "tool": "tool",
    "function": "tool",
}


# --------------------------------------------------------------------------- partial JSON
def parse_partial_json(text: str) -> Any:
    """Parse ``text`` as JSON, closing what a stream has not closed yet.

    Returns None when nothing sensible can be recovered. ``'{"city": "Par'`` -> ``{"city": "Par"}``.
    """
    if not text.strip():
        return None
    try:
        return json.loads(text)
    except json.JSONDecodeError:
        pass
    chars: list[str] = []
    stack: list[str] = []
    in_string = False
    escaped = False
    for char in text:
        out = char
        if in_string:
            if char == '"' and not escaped:
                in_string = False
            elif char == "\n" and not escaped:
                out = "\\n"
            if char == "\\" and not escaped:
                escaped = True
            else:
                escaped = False
        elif char == '"':
            in_string = True
            escaped = False
        elif char == "{":
            stack.append("}")
        elif char == "[":
            stack.append("]")
        elif char in "}]":
            if not stack or stack[-1] != char:
                return None
            stack.pop()
        chars.append(out)
    if in_string:
        if escaped:
            chars.pop()
        chars.append('"')
    closing = "".join(reversed(stack))
    while chars:
        try:
            return json.loads("".join(chars) + closing)
        except json.JSONDecodeError:
            chars.pop()
    return None


def parse_arguments(value: Mapping[str, Any] | str | None) -> tuple[dict[str, Any], str | None]:
    """(arguments, raw) of a tool call's arguments: a dict, a complete or a partial JSON string.

    ``raw`` is the original string when it does not hold a JSON object (kept, never dropped).
    """
    if value is None:
        return {}, None
    if isinstance(value, Mapping):
        return dict(value), None
    if not value.strip():
        return {}, None
    try:
        parsed = json.loads(value)
    except json.JSONDecodeError:
        parsed = parse_partial_json(value)
        if isinstance(parsed, dict):
            return parsed, None
        return {}, value
    if isinstance(parsed, dict):
        return parsed, None
    return {}, value


# --------------------------------------------------------------------------- LlamaIndex -> core
def _role(message: ChatMessage) -> Role:
    value = message.role.value if isinstance(message.role, MessageRole) else str(message.role)
    role = _ROLES.get(value)
    if role is None:
        raise InvalidRequestError(
            f"message role {value!r} has no routed-llm equivalent; use one of {sorted(_ROLES)}",
            field="messages.role",
        )
    return role


def _media_type(block: ImageBlock, data: bytes) -> str:
    if block.image_mimetype and block.image_mimetype.startswith("image/"):
        return block.image_mimetype
    guess = filetype.guess(data)
    if guess is not None and str(guess.mime).startswith("image/"):
        return str(guess.mime)
    return "image/png"


def image_part(block: ImageBlock) -> ImagePart:
    """An ``ImageBlock`` (bytes, path, data URL or remote URL) as an ``ImagePart``."""
    if block.image is None and block.path is None and block.url is not None:
        url = str(block.url)
        if not url.startswith("data:"):
            return ImagePart(url=url)
        header, _, payload = url.partition(",")
        media_type = header[len("data:"):].split(";")[0] or block.image_mimetype or "image/png"
        if ";base64" not in header:
            raise InvalidRequestError(
                "image data URLs must be base64-encoded (data:image/png;base64,...)",
                field="content.image.url",
            )
        return ImagePart(data=payload, media_type=media_type)
    try:
        b64 = block.resolve_image(as_base64=True).read()
    except (ValueError, OSError) as exc:
        raise InvalidRequestError(f"cannot read the image of an ImageBlock: {exc}", field="content.image") from exc
    try:
        raw = base64.b64decode(b64, validate=True)
    except (binascii.Error, ValueError) as exc:  # pragma: no cover - resolve_image always encodes
        raise InvalidRequestError("ImageBlock data is not valid base64", field="content.image") from exc
    return ImagePart(data=b64.decode("ascii"), media_type=_media_type(block, raw))


def reasoning_part(block: ThinkingBlock) -> ReasoningPart | None:
    """A ``ThinkingBlock`` that names the provider and model that wrote it; None otherwise.

    Thinking is provider-bound: a block without its origin cannot be replayed to any provider,
    so it is dropped here rather than sent as text.
    """
    info = block.additional_information or {}
    provider, model = info.get("provider"), info.get("model")
    if not provider or not model:
        return None
    return ReasoningPart(
        text=block.content or "",
        provider=str(provider),
        model=str(model),
        signature=info.get("signature"),
        redacted=bool(info.get("redacted", False)),
        data=info.get("data"),
    )


def _legacy_tool_calls(raw_calls: Any) -> list[ToolCall]:
    """OpenAI-style ``additional_kwargs["tool_calls"]`` (dicts or SDK objects) as ToolCalls."""
    calls: list[ToolCall] = []
    for item in raw_calls or ():
        data = item if isinstance(item, Mapping) else getattr(item, "model_dump", lambda: {})()
        fn = data.get("function") or {}
        name = fn.get("name") or data.get("name")
        if not name:
            continue
        args, raw = parse_arguments(fn.get("arguments", data.get("arguments")))
        calls.append(ToolCall(id=str(data.get("id") or ""), name=str(name), arguments=args, raw_arguments=raw))
    return calls


def _parts(blocks: Iterable[Any], where: str) -> tuple[list[ContentPart], list[ToolCall]]:
    parts: list[ContentPart] = []
    calls: list[ToolCall] = []
    for block in blocks:
        if isinstance(block, TextBlock):
            if block.text:
                parts.append(TextPart(block.text))
        elif isinstance(block, ImageBlock):
            parts.append(image_part(block))
        elif isinstance(block, ThinkingBlock):
            part = reasoning_part(block)
            if part is not None:
                parts.append(part)
        elif isinstance(block, ToolCallBlock):
            args, raw = parse_arguments(block.tool_kwargs)
            calls.append(
                ToolCall(id=block.tool_call_id or "", name=block.tool_name, arguments=args, raw_arguments=raw)
            )
        elif isinstance(block, CachePoint):
            continue
        elif isinstance(block, CitableBlock):
            nested, _ = _parts(block.content, where)
            parts.extend(nested)
        elif isinstance(block, CitationBlock):
            nested, _ = _parts([block.cited_content], where)
            parts.extend(nested)
        elif isinstance(block, (AudioBlock, VideoBlock, DocumentBlock)):
            raise InvalidRequestError(
                f"{where} holds a {type(block).__name__}; routed-llm sends text, images and tool calls "
                "only. Extract the text (or pass it as an image) before calling the model.",
                field=f"{where}.blocks",
            )
        else:
            raise InvalidRequestError(
                f"{where} holds an unsupported block {type(block).__name__}", field=f"{where}.blocks"
            )
    return parts, calls


def to_core_message(message: ChatMessage, index: int = 0) -> Message:
    """One LlamaIndex ``ChatMessage`` as a neutral ``Message``."""
    where = f"messages[{index}]"
    role = _role(message)
    kwargs = message.additional_kwargs or {}
    parts, calls = _parts(message.blocks, where)
    if role == "assistant":
        if not calls and kwargs.get("tool_calls"):
            calls = _legacy_tool_calls(kwargs["tool_calls"])
        return Message("assistant", tuple(parts), tuple(calls), name=kwargs.get("name"))
    if calls:
        raise InvalidRequestError(f"{where} is a {role} message with tool calls", field=f"{where}.blocks")
    parts = [p for p in parts if not isinstance(p, ReasoningPart)]
    if role == "tool":
        call_id = kwargs.get("tool_call_id")
        if not call_id:
            raise InvalidRequestError(
                f"{where} is a tool result without additional_kwargs['tool_call_id']; set it to the id "
                "of the ToolCallBlock it answers",
                field=f"{where}.tool_call_id",
            )
        return Message(
            "tool",
            tuple(parts) or (TextPart(""),),
            tool_call_id=str(call_id),
            is_error=bool(kwargs.get("is_error", False)),
            name=kwargs.get("name") or kwargs.get("tool_name"),
        )
    return Message(role, tuple(parts), name=kwargs.get("name"))


def to_core_messages(messages: Sequence[ChatMessage]) -> tuple[Message, ...]:
    return tuple(to_core_message(m, i) for i, m in enumerate(messages))


def to_tool_spec(tool: Any) -> ToolSpec:
    """A ``BaseTool``, an OpenAI-style tool dict, a ``ToolMetadata`` or a ``ToolSpec``."""
    if isinstance(tool, ToolSpec):
        return tool
    metadata = getattr(tool, "metadata", None)
    if metadata is None and hasattr(tool, "get_parameters_dict"):
        metadata = tool
    if metadata is not None:
        return ToolSpec(
            name=metadata.get_name(),
            description=metadata.description or "",
            parameters=metadata.get_parameters_dict(),
        )
    if isinstance(tool, Mapping):
        fn = tool.get("function", tool)
        return ToolSpec(
            name=str(fn["name"]),
            description=str(fn.get("description") or ""),
            parameters=fn.get("parameters") or {"type": "object", "properties": {}},
            strict=bool(fn.get("strict", False)),
        )
    raise InvalidRequestError(f"cannot use {type(tool).__name__} as a tool", field="tools")


def to_tool_choice(tool_choice: Any, tool_required: bool = False) -> ToolChoice | None:
    """LlamaIndex / OpenAI tool_choice forms (``"auto"``, a tool name, ``{"function": {"name"}}``)."""
    if tool_choice is None:
        return "required" if tool_required else None
    if isinstance(tool_choice, NamedTool):
        return tool_choice
    if isinstance(tool_choice, str):
        if tool_choice in ("auto", "none", "required"):
            return cast(ToolChoice, tool_choice)
        if tool_choice == "any":
            return "required"
        return NamedTool(tool_choice)
    if isinstance(tool_choice, Mapping):
        fn = tool_choice.get("function")
        name = fn.get("name") if isinstance(fn, Mapping) else tool_choice.get("name")
        if name:
            return NamedTool(str(name))
        kind = tool_choice.get("type")
        if kind in ("auto", "none", "required"):
            return cast(ToolChoice, kind)
        if kind == "any":
            return "required"
    raise InvalidRequestError(f"unsupported tool_choice {tool_choice!r}", field="tool_choice")


# --------------------------------------------------------------------------- core -> LlamaIndex
def thinking_block(part: ReasoningPart) -> ThinkingBlock:
    info: dict[str, Any] = {"provider": part.provider, "model": part.model}
    if part.signature is not None:
        info["signature"] = part.signature
    if part.redacted:
        info["redacted"] = True
    if part.data is not None:
        info["data"] = part.data
    return ThinkingBlock(content=part.text, additional_information=info)


def image_block(part: ImagePart) -> ImageBlock:
    if part.url is not None:
        return ImageBlock(url=part.url)
    return ImageBlock(image=(part.data or "").encode("ascii"), image_mimetype=part.media_type)


def tool_call_block(call: ToolCall) -> ToolCallBlock:
    kwargs: dict[str, Any] | str = dict(call.arguments)
    if not call.arguments and call.raw_arguments is not None:
        kwargs = call.raw_arguments
    return ToolCallBlock(tool_call_id=call.id, tool_name=call.name, tool_kwargs=kwargs)


def openai_tool_calls(blocks: Iterable[Any]) -> list[dict[str, Any]]:
    """The OpenAI-style ``additional_kwargs["tool_calls"]`` mirror of ToolCallBlocks.

    LlamaIndex's streaming structured output (``process_streaming_objects``) still looks for it.
    """
    out = []
    for block in blocks:
        if isinstance(block, ToolCallBlock):
            args = block.tool_kwargs if isinstance(block.tool_kwargs, str) else json.dumps(block.tool_kwargs)
            out.append(
                {
                    "id": block.tool_call_id,
                    "type": "function",
                    "function": {"name": block.tool_name, "arguments": args},
                }
            )
    return out


def to_chat_message(message: Message) -> ChatMessage:
    """A neutral ``Message`` as a LlamaIndex ``ChatMessage``."""
    blocks: list[Any] = []
    for part in message.content:
        if isinstance(part, ReasoningPart):
            blocks.append(thinking_block(part))
    for part in message.content:
        if isinstance(part, TextPart):
            blocks.append(TextBlock(text=part.text))
        elif isinstance(part, ImagePart):
            blocks.append(image_block(part))
    blocks.extend(tool_call_block(c) for c in message.tool_calls)
    kwargs: dict[str, Any] = {}
    if message.tool_calls:
        kwargs["tool_calls"] = openai_tool_calls(blocks)
    if message.role == "tool":
        kwargs["tool_call_id"] = message.tool_call_id
        if message.is_error:
            kwargs["is_error"] = True
    if message.name:
        kwargs["name"] = message.name
    return ChatMessage(role=MessageRole(message.role), blocks=blocks, additional_kwargs=kwargs)


def usage_dict(usage: Usage) -> dict[str, int]:
    """The core usage plus its OpenAI-style names (what ``TokenCountingHandler`` reads)."""
    return {
        "prompt_tokens": usage.input_tokens,
        "completion_tokens": usage.output_tokens,
        "total_tokens": usage.total_tokens,
        "input_tokens": usage.input_tokens,
        "output_tokens": usage.output_tokens,
        "cache_read_tokens": usage.cache_read_tokens,
        "cache_write_tokens": usage.cache_write_tokens,
        "reasoning_tokens": usage.reasoning_tokens,
    }


def response_raw(response: Response) -> dict[str, Any]:
    return {
        "id": response.decision.step_id,
        "model": response.model,
        "provider": response.provider,
        "finish_reason": response.finish_reason,
        "usage": usage_dict(response.usage),
    }


def response_kwargs(response: Response) -> dict[str, Any]:
    usage = response.usage
    return {
        "prompt_tokens": usage.input_tokens,
        "completion_tokens": usage.output_tokens,
        "total_tokens": usage.total_tokens,
        "model": response.model,
        "provider": response.provider,
        "finish_reason": response.finish_reason,
        "routing": response.decision.to_dict(),
        "step_cost": response.cost.to_dict(),
    }


def to_chat_response(response: Response) -> ChatResponse:
    return ChatResponse(
        message=to_chat_message(response.message),
        raw=response_raw(response),
        additional_kwargs=response_kwargs(response),
    )


def tool_selections(message: ChatMessage) -> list[ToolSelection]:
    """The tool calls of an assistant message, parsing partial JSON arguments leniently."""
    selections = []
    for block in message.blocks:
        if isinstance(block, ToolCallBlock):
            args, _ = parse_arguments(block.tool_kwargs)
            selections.append(
                ToolSelection(tool_id=block.tool_call_id or "", tool_name=block.tool_name, tool_kwargs=args)
            )
    if not selections and message.additional_kwargs.get("tool_calls"):
        for call in _legacy_tool_calls(message.additional_kwargs["tool_calls"]):
            selections.append(ToolSelection(tool_id=call.id, tool_name=call.name, tool_kwargs=dict(call.arguments)))
    return selections


# --------------------------------------------------------------------------- streaming
@dataclass
class _PendingCall:
    id: str = ""
    name: str = ""
    arguments: str = ""


@dataclass
class StreamAccumulator:
    """Builds the running ``ChatMessage`` of a stream from core deltas."""

    text: str = ""
    reasoning: str = ""
    calls: dict[int, _PendingCall] = field(default_factory=dict)

    def add(self, text: str, reasoning: str, delta: ToolCallDelta | None) -> None:
        self.text += text
        self.reasoning += reasoning
        if delta is not None:
            call = self.calls.setdefault(delta.index, _PendingCall())
            if delta.id:
                call.id = delta.id
            if delta.name:
                call.name = delta.name
            call.arguments += delta.arguments

    def message(self) -> ChatMessage:
        blocks: list[Any] = []
        if self.reasoning:
            blocks.append(ThinkingBlock(content=self.reasoning))
        if self.text:
            blocks.append(TextBlock(text=self.text))
        for index in sorted(self.calls):
            call = self.calls[index]
            if call.name:
                blocks.append(ToolCallBlock(tool_call_id=call.id or None, tool_name=call.name,
                                            tool_kwargs=call.arguments))
        kwargs: dict[str, Any] = {}
        if any(isinstance(b, ToolCallBlock) for b in blocks):
            kwargs["tool_calls"] = openai_tool_calls(blocks)
        return ChatMessage(role=MessageRole.ASSISTANT, blocks=blocks, additional_kwargs=kwargs)


__all__ = [
    "StreamAccumulator",
    "image_block",
    "image_part",
    "openai_tool_calls",
    "parse_arguments",
    "parse_partial_json",
    "reasoning_part",
    "response_kwargs",
    "response_raw",
    "thinking_block",
    "to_chat_message",
    "to_chat_response",
    "to_core_message",
    "to_core_messages",
    "to_tool_choice",
    "to_tool_spec",
    "tool_call_block",
    "tool_selections",
    "usage_dict",
]
