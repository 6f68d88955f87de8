"""Pure conversions between LangChain messages and routed-llm's neutral types.

Nothing here calls a provider or holds state beyond one stream; every function is unit-tested on
its own (``tests/test_convert.py``).

Shapes produced (so that ``AIMessage.content_blocks`` works with LangChain's per-provider
translators, which are chosen by ``response_metadata["model_provider"]``):

* every routed provider except Anthropic: ``content`` is a ``str``, tool calls live in
  ``tool_calls`` and reasoning text in ``additional_kwargs["reasoning_content"]`` (the
  OpenAI-compatible shape ``ChatOpenAI``/``ChatDeepSeek`` produce);
* Anthropic, when the answer has tool calls or thinking: ``content`` is a list of Anthropic blocks
  (``thinking`` with its signature, ``text``, ``tool_use``), as ``ChatAnthropic`` produces; a plain
  text answer is still a ``str``.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from decimal import Decimal
from typing import Any, cast

from langchain_core.messages import (
    AIMessage,
    AIMessageChunk,
    BaseMessage,
    ChatMessage,
    HumanMessage,
    SystemMessage,
    ToolMessage,
)
from langchain_core.messages.ai import InputTokenDetails, OutputTokenDetails, UsageMetadata
from langchain_core.messages.tool import invalid_tool_call, tool_call, tool_call_chunk
from langchain_core.utils.function_calling import convert_to_openai_tool
from routed_llm.errors import InvalidRequestError
from routed_llm.events import Attempt, RoutingDecision, StepCost
from routed_llm.messages import (
    ContentPart,
    ImagePart,
    Message,
    NamedTool,
    ReasoningPart,
    ResponseFormat,
    TextPart,
    ToolCall,
    ToolCallDelta,
    ToolChoice,
    ToolSpec,
    Usage,
)
from routed_llm.response import Response, StreamChunk

ANTHROPIC = "anthropic"

# ---------------------------------------------------------------------------------------------- input


def to_neutral_messages(messages: Sequence[BaseMessage]) -> tuple[Message, ...]:
    """Convert a LangChain message list into neutral ``Message`` objects (order kept)."""
    return tuple(to_neutral_message(m, i) for i, m in enumerate(messages))


def to_neutral_message(message: BaseMessage, index: int = 0) -> Message:
    where = f"messages[{index}]"
    if isinstance(message, SystemMessage):
        return Message("system", _text_only(message, where))
    if isinstance(message, HumanMessage):
        return Message("user", _user_parts(message, where), name=message.name)
    if isinstance(message, AIMessage):
        return _assistant(message, where)
    if isinstance(message, ToolMessage):
        return Message(
            "tool",
            _user_parts(message, where),
            tool_call_id=message.tool_call_id,
            is_error=message.status == "error",
            name=message.name,
        )
    if isinstance(message, ChatMessage):
        role = {"system": "system", "developer": "system", "user": "user", "human": "user",
                "assistant": "assistant", "ai": "assistant"}.get(message.role)
        if role == "system":
            return Message("system", _text_only(message, where))
        if role == "user":
            return Message("user", _user_parts(message, where), name=message.name)
        if role == "assistant":
            return _assistant(AIMessage(content=message.content, name=message.name), where)
        raise InvalidRequestError(
            f"{where}: ChatMessage role {message.role!r} is not supported; use system, user or assistant",
            field=f"{where}.role",
        )
    raise InvalidRequestError(
        f"{where}: {type(message).__name__} is not supported; use SystemMessage, HumanMessage, "
        "AIMessage (with tool_calls) and ToolMessage",
        field=where,
    )


def _blocks(message: BaseMessage) -> list[Any]:
    """``message.content_blocks``, without LangChain's per-provider block translation when the
    content is a plain string (the common case, and a tenth of the cost)."""
    if isinstance(message.content, str):
        return [{"type": "text", "text": message.content}] if message.content else []
    return cast(list[Any], message.content_blocks)


def _text_only(message: BaseMessage, where: str) -> tuple[ContentPart, ...]:
    parts: list[ContentPart] = []
    for block in _blocks(message):
        if block["type"] == "text":
            if block.get("text"):
                parts.append(TextPart(block["text"]))
        else:
            raise InvalidRequestError(
                f"{where}: a {type(message).__name__} may only hold text, got a {block['type']!r} block",
                field=f"{where}.content",
            )
    return tuple(parts)


def _user_parts(message: BaseMessage, where: str) -> tuple[ContentPart, ...]:
    parts: list[ContentPart] = []
    for block in _blocks(message):
        kind = block["type"]
        b = cast(Mapping[str, Any], block)
        if kind == "text":
            if b.get("text"):
                parts.append(TextPart(b["text"]))
        elif kind == "image":
            parts.append(_image(b, where))
        elif kind == "reasoning":
            continue
        else:
            raise InvalidRequestError(
                f"{where}: {kind!r} content blocks are not supported by routed-llm; send text and images",
                field=f"{where}.content",
            )
    return tuple(parts)


def _image(block: Mapping[str, Any], where: str) -> ImagePart:
    if block.get("base64"):
        return ImagePart(data=block["base64"], media_type=block.get("mime_type") or "image/png")
    url = block.get("url")
    if isinstance(url, str) and url:
        if url.startswith("data:"):
            header, _, data = url.partition(",")
            media = header[5:].split(";")[0] or "image/png"
            if ";base64" not in header:
                raise InvalidRequestError(f"{where}: image data URLs must be base64", field=f"{where}.content")
            return ImagePart(data=data, media_type=media)
        return ImagePart(url=url)
    raise InvalidRequestError(
        f"{where}: an image block needs base64 data or an url (file ids are not supported)",
        field=f"{where}.content",
    )


def _assistant(message: AIMessage, where: str) -> Message:
    provider = str(message.response_metadata.get("model_provider") or "")
    model = str(message.response_metadata.get("model_name") or "")
    parts: list[ContentPart] = []
    if isinstance(message.content, str):
        if message.content:
            parts.append(TextPart(message.content))
    else:
        for block in message.content:
            if isinstance(block, str):
                if block:
                    parts.append(TextPart(block))
                continue
            kind = block.get("type")
            if kind == "text" and block.get("text"):
                parts.append(TextPart(str(block["text"])))
            elif kind == "thinking":
                parts.append(ReasoningPart(text=str(block.get("thinking", "")), provider=provider or ANTHROPIC,
                                           model=model, signature=block.get("signature")))
            elif kind == "redacted_thinking":
                parts.append(ReasoningPart(text="", provider=provider or ANTHROPIC, model=model,
                                           redacted=True, data=block.get("data")))
            elif kind == "reasoning":
                extras = block.get("extras") or {}
                parts.append(ReasoningPart(text=str(block.get("reasoning", "")), provider=provider, model=model,
                                           signature=block.get("signature") or extras.get("signature")))
            # tool_use / tool_call / image / other blocks: tool calls come from ``tool_calls``
    reasoning = message.additional_kwargs.get("reasoning_content")
    if isinstance(reasoning, str) and reasoning and not any(isinstance(p, ReasoningPart) for p in parts):
        parts.insert(0, ReasoningPart(text=reasoning, provider=provider, model=model))
    calls: list[ToolCall] = []
    for call in message.tool_calls:
        calls.append(ToolCall(id=_call_id(call.get("id"), where), name=call["name"], arguments=dict(call["args"])))
    for bad in message.invalid_tool_calls:
        calls.append(ToolCall(id=_call_id(bad.get("id"), where), name=bad.get("name") or "",
                              arguments={}, raw_arguments=bad.get("args")))
    return Message("assistant", tuple(parts), tuple(calls), name=message.name)


def _call_id(value: str | None, where: str) -> str:
    if not value:
        raise InvalidRequestError(
            f"{where}: an AIMessage tool call has no id; give every tool call an id and answer it with a "
            "ToolMessage carrying that tool_call_id",
            field=f"{where}.tool_calls.id",
        )
    return value


# ---------------------------------------------------------------------------------------------- tools


def format_tool(tool: Any, *, strict: bool | None = None) -> dict[str, Any]:
    """Any tool form LangChain accepts (function, pydantic class, TypedDict, BaseTool, OpenAI or
    Anthropic dict, JSON schema) as an OpenAI ``{"type": "function", ...}`` dict."""
    if isinstance(tool, Mapping) and tool.get("type") == "function" and "function" in tool:
        out = dict(tool)
        if strict is not None:
            out["function"] = {**tool["function"], "strict": strict}
        return out
    if (isinstance(tool, Mapping) and "type" in tool and tool.get("type") != "object"
            and "function" not in tool and "name" not in tool and "title" not in tool):
        raise InvalidRequestError(
            f"built-in tool type {tool['type']!r} is not supported by routed-llm; bind functions, pydantic "
            "models, BaseTools or JSON-schema dicts",
            field="tools",
        )
    return convert_to_openai_tool(tool, strict=strict)


def to_tool_spec(tool: Mapping[str, Any]) -> ToolSpec:
    """An OpenAI-format tool dict (as stored by ``bind_tools``) as a neutral ``ToolSpec``."""
    if tool.get("type") != "function" or "function" not in tool:
        tool = format_tool(tool)
    fn = tool["function"]
    params = fn.get("parameters") or {"type": "object", "properties": {}}
    if "type" not in params:
        params = {"type": "object", **params}
    return ToolSpec(name=fn["name"], description=fn.get("description") or "", parameters=params,
                    strict=bool(fn.get("strict")))


def tool_names(tools: Sequence[Mapping[str, Any]]) -> list[str]:
    return [t["function"]["name"] for t in tools]


def normalize_tool_choice(choice: Any, names: Sequence[str]) -> str | dict[str, Any] | None:
    """Normalize every ``tool_choice`` form LangChain users pass into ``"auto"``, ``"none"``,
    ``"required"`` or ``{"type": "function", "function": {"name": ...}}``.

    ``"any"`` and ``True`` (with several tools) mean ``"required"``; ``True`` with one tool and a
    bare tool name force that tool. Raises ``ValueError`` for a name that is not bound.
    """
    if choice is None or choice is False:
        return None
    name: str | None = None
    if choice is True:
        if len(names) == 1:
            name = names[0]
        else:
            return "required"
    elif isinstance(choice, str):
        if choice in ("auto", "none", "required"):
            return choice
        if choice == "any":
            return "required"
        name = choice
    elif isinstance(choice, Mapping):
        kind = choice.get("type")
        if kind == "function":
            name = (choice.get("function") or {}).get("name") or choice.get("name")
        elif kind == "tool":
            name = choice.get("name")
        elif kind in ("any", "required"):
            return "required"
        elif kind in ("auto", "none"):
            return cast(str, kind)
    if not name:
        raise InvalidRequestError(
            f"tool_choice {choice!r} is not understood; use 'auto', 'none', 'any'/'required' or a tool name",
            field="tool_choice",
        )
    if name not in names:
        raise InvalidRequestError(
            f"tool_choice names {name!r}, which is not among the bound tools {list(names)}", field="tool_choice"
        )
    return {"type": "function", "function": {"name": name}}


def to_tool_choice(choice: Any) -> ToolChoice | None:
    """A normalized ``tool_choice`` (see ``normalize_tool_choice``) as the core's ``ToolChoice``."""
    if choice is None:
        return None
    if isinstance(choice, NamedTool):
        return choice
    if isinstance(choice, Mapping):
        fn = choice.get("function") or {}
        return NamedTool(fn.get("name") or choice["name"])
    if choice == "any":
        return "required"
    if choice in ("auto", "none", "required"):
        return cast(ToolChoice, choice)
    return NamedTool(str(choice))


def to_response_format(value: Any) -> ResponseFormat | None:
    """OpenAI-style ``response_format`` (json_schema / json_object) or a ResponseFormat."""
    if value is None or isinstance(value, ResponseFormat):
        return value
    if isinstance(value, Mapping):
        kind = value.get("type")
        if kind == "json_object":
            return ResponseFormat(schema=None)
        if kind == "json_schema":
            spec = value.get("json_schema") or {}
            return ResponseFormat(schema=spec.get("schema"), name=spec.get("name") or "response",
                                  strict=bool(spec.get("strict", True)))
        if "properties" in value or kind == "object":
            return ResponseFormat(schema=value, name=str(value.get("title") or "response"))
    raise InvalidRequestError(
        "response_format must be {'type': 'json_schema', 'json_schema': {...}} or {'type': 'json_object'}",
        field="response_format",
    )


# ---------------------------------------------------------------------------------------------- output


def usage_metadata(usage: Usage) -> UsageMetadata:
    """LangChain ``UsageMetadata``: input includes cache reads/writes, output includes reasoning."""
    return UsageMetadata(
        input_tokens=usage.input_tokens,
        output_tokens=usage.output_tokens,
        total_tokens=usage.total_tokens,
        input_token_details=InputTokenDetails(cache_read=usage.cache_read_tokens,
                                              cache_creation=usage.cache_write_tokens),
        output_token_details=OutputTokenDetails(reasoning=usage.reasoning_tokens),
    )


ROUTING_KEYS = (
    "step_id", "session_id", "label", "confidence", "path", "model", "provider", "chain", "attempts",
    "cost", "baseline_cost", "baseline_model", "latency_ms", "dial", "fallback", "pinned_provider",
    "provider_moved_from", "stream", "required_capabilities",
)


def routing_entry(decision: RoutingDecision, cost: StepCost) -> dict[str, Any]:
    """The compact, JSON-friendly ``response_metadata["routing"]`` entry (money as decimal strings)."""
    out = {k: _plain(getattr(decision, k)) for k in ROUTING_KEYS}
    out["savings"] = _plain(decision.savings)
    out["failed_attempts_cost"] = _plain(cost.failed_attempts_cost)
    out["session_total"] = _plain(cost.session_total)
    out["session_baseline_total"] = _plain(cost.session_baseline_total)
    return out


def _plain(value: Any) -> Any:
    """JSON types for the routing entry's values: money as decimal strings, tuples as lists,
    attempts as dicts (the same as ``RoutingDecision.to_dict``)."""
    if value is None or isinstance(value, (str, int, float, bool)):
        return value
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, tuple):
        return [v if isinstance(v, str) else _plain(v) for v in value]
    if isinstance(value, Attempt):
        return value.to_dict()
    return value


def response_metadata(response: Response) -> dict[str, Any]:
    return {
        "model_name": response.model,
        "model_provider": response.provider,
        "finish_reason": response.finish_reason,
        "routing": routing_entry(response.decision, response.cost),
    }


def _anthropic_shaped(provider: str | None, message: Message) -> bool:
    return provider == ANTHROPIC and bool(message.tool_calls or message.reasoning)


def _reasoning_block(part: ReasoningPart, index: int | None = None) -> dict[str, Any]:
    if part.redacted:
        block: dict[str, Any] = {"type": "redacted_thinking", "data": part.data or ""}
    else:
        block = {"type": "thinking", "thinking": part.text, "signature": part.signature or ""}
    if index is not None:
        block["index"] = index
    return block


def _split_calls(calls: Sequence[ToolCall]) -> tuple[list[Any], list[Any]]:
    valid, invalid = [], []
    for call in calls:
        if call.raw_arguments is not None:
            invalid.append(invalid_tool_call(name=call.name, args=call.raw_arguments, id=call.id,
                                             error="the model sent arguments that are not a JSON object"))
        else:
            valid.append(tool_call(name=call.name, args=dict(call.arguments), id=call.id))
    return valid, invalid


def to_ai_message(response: Response) -> AIMessage:
    """A routed ``Response`` as the ``AIMessage`` an OpenAI/Anthropic chat model would return."""
    message = response.message
    valid, invalid = _split_calls(message.tool_calls)
    additional: dict[str, Any] = {}
    content: str | list[str | dict[str, Any]]
    if _anthropic_shaped(response.provider, message):
        blocks: list[str | dict[str, Any]] = [_reasoning_block(p) for p in message.reasoning]
        if message.text:
            blocks.append({"type": "text", "text": message.text})
        for call in message.tool_calls:
            blocks.append({"type": "tool_use", "id": call.id, "name": call.name, "input": dict(call.arguments)})
        content = blocks
    else:
        content = message.text
        if message.reasoning:
            additional["reasoning_content"] = "".join(p.text for p in message.reasoning)
    return AIMessage(
        content=content,
        additional_kwargs=additional,
        tool_calls=valid,
        invalid_tool_calls=invalid,
        usage_metadata=usage_metadata(response.usage),
        response_metadata=response_metadata(response),
    )


class ChunkConverter:
    """Turns one stream of ``StreamChunk`` into ``AIMessageChunk`` objects that merge (``+``) into
    the same message ``to_ai_message`` returns for the non-streamed call.

    ``provider`` chooses the shape (see the module docstring): pass it when it is known before the
    stream starts (a pinned model); a ``provider`` attribute on the first delta is used too.
    When it is only learnt from the final chunk and turns out to be Anthropic, the final chunk
    adds the Anthropic blocks (thinking signatures, ``tool_use``) to the merged content, so tool
    calls are in ``content_blocks`` and thinking can be replayed; text streamed before them stays a
    ``str`` element of the list (``.text`` is right; Anthropic's block translator skips it).
    """

    def __init__(self, provider: str | None = None) -> None:
        self.provider = provider
        self._blocks: dict[object, int] = {}
        self._seen_ids: set[str] = set()
        self._seen_text = False
        self._seen_reasoning = False

    @property
    def _list_shape(self) -> bool:
        return self.provider == ANTHROPIC

    def _block_index(self, key: object) -> int:
        if key not in self._blocks:
            self._blocks[key] = len(self._blocks)
        return self._blocks[key]

    def convert(self, chunk: StreamChunk) -> AIMessageChunk:
        if self.provider is None and not (self._blocks or self._seen_text or self._seen_reasoning):
            hinted = getattr(chunk, "provider", None)
            if isinstance(hinted, str):
                self.provider = hinted
        if chunk.response is not None:
            return self._final(chunk.response, chunk)
        return self._delta(chunk.text, chunk.reasoning, chunk.tool_call)

    def _delta(self, text: str, reasoning: str, call: ToolCallDelta | None) -> AIMessageChunk:
        blocks: list[str | dict[str, Any]] = []
        additional: dict[str, Any] = {}
        calls = []
        if reasoning:
            self._seen_reasoning = True
            if self._list_shape:
                blocks.append({"type": "thinking", "thinking": reasoning, "index": self._block_index("reasoning")})
            else:
                additional["reasoning_content"] = reasoning
        if text:
            self._seen_text = True
            if self._list_shape:
                blocks.append({"type": "text", "text": text, "index": self._block_index("text")})
        if call is not None:
            index = self._block_index(("tool", call.index))
            if call.id is not None:
                self._seen_ids.add(call.id)
                if self._list_shape:
                    blocks.append({"type": "tool_use", "id": call.id, "name": call.name or "", "input": {},
                                   "index": index})
            calls.append(tool_call_chunk(name=call.name, args=call.arguments, id=call.id,
                                         index=index if self._list_shape else call.index))
        content: str | list[str | dict[str, Any]] = blocks if self._list_shape else text
        return AIMessageChunk(content=content, additional_kwargs=additional, tool_call_chunks=calls)

    def _final(self, response: Response, chunk: StreamChunk) -> AIMessageChunk:
        head = self._delta(chunk.text, chunk.reasoning, chunk.tool_call) if (
            chunk.text or chunk.reasoning or chunk.tool_call) else None
        message = response.message
        blocks: list[str | dict[str, Any]] = []
        text = ""
        additional: dict[str, Any] = {}
        if message.text and not self._seen_text:
            text = message.text
            if self._list_shape:
                blocks.append({"type": "text", "text": text, "index": self._block_index("text")})
        if self._list_shape:
            # signatures of thinking blocks arrive with the whole message
            for i, part in enumerate(message.reasoning):
                key = "reasoning" if i == 0 else ("reasoning", i)
                block = _reasoning_block(part, self._block_index(key))
                if i == 0 and self._seen_reasoning and block["type"] == "thinking":
                    block["thinking"] = ""
                blocks.append(block)
        elif message.reasoning and not self._seen_reasoning:
            additional["reasoning_content"] = "".join(p.text for p in message.reasoning)
        calls = []
        invalid = []
        next_index = max((k[1] for k in self._blocks if isinstance(k, tuple) and k[0] == "tool"
                          and isinstance(k[1], int)), default=-1) + 1
        for call in message.tool_calls:
            if call.id in self._seen_ids:
                continue
            if call.raw_arguments is not None:
                invalid.append(invalid_tool_call(name=call.name, args=call.raw_arguments, id=call.id,
                                                 error="the model sent arguments that are not a JSON object"))
                continue
            index = self._block_index(("tool", next_index))
            if self._list_shape:
                blocks.append({"type": "tool_use", "id": call.id, "name": call.name, "input": {}, "index": index})
            calls.append(tool_call_chunk(name=call.name, args=json.dumps(dict(call.arguments)), id=call.id,
                                         index=index if self._list_shape else next_index))
            next_index += 1
        content: str | list[str | dict[str, Any]] = blocks if self._list_shape else text
        if not self._list_shape and _anthropic_shaped(response.provider, message):
            # The provider was only learnt now: add the Anthropic blocks (thinking with signatures,
            # tool_use) so content_blocks and replay work. Streamed text stays a str element.
            late: list[str | dict[str, Any]] = [text] if text else []
            late += [_reasoning_block(p) for p in message.reasoning]
            late += [{"type": "tool_use", "id": c.id, "name": c.name, "input": dict(c.arguments)}
                     for c in message.tool_calls if c.raw_arguments is None]
            content = late
        last = AIMessageChunk(
            content=content,
            additional_kwargs=additional,
            tool_call_chunks=calls,
            invalid_tool_calls=invalid,
            usage_metadata=usage_metadata(response.usage),
            response_metadata=response_metadata(response),
            chunk_position="last",
        )
        return last if head is None else head + last
