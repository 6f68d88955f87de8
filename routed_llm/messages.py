"""Neutral message types shared by every part of routed-llm.

Adapters convert framework messages (LangChain, LlamaIndex) into these, providers convert these
into wire payloads (OpenAI Chat Completions, Anthropic Messages). Everything is a frozen dataclass,
so a request can be rewritten (ids, reasoning blocks) without mutating what the caller passed in.
"""

from __future__ import annotations

import base64
import binascii
import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import Any, Literal

from routed_llm.errors import InvalidRequestError

Role = Literal["system", "user", "assistant", "tool"]
ROLES: tuple[Role, ...] = ("system", "user", "assistant", "tool")
FinishReason = Literal["stop", "length", "tool_calls", "content_filter", "error"]
Preference = Literal["quality", "balanced", "cost"]
PREFERENCE_DIAL: Mapping[str, float] = {"quality": 0.0, "balanced": 0.5, "cost": 1.0}


@dataclass(frozen=True, slots=True)
class TextPart:
    text: str
    type: Literal["text"] = "text"


@dataclass(frozen=True, slots=True)
class ImagePart:
    """An image, either inline base64 ``data`` with its ``media_type`` or an ``url``."""

    data: str | None = None
    media_type: str = "image/png"
    url: str | None = None
    type: Literal["image"] = "image"

    def __post_init__(self) -> None:
        if (self.data is None) == (self.url is None):
            raise InvalidRequestError(
                "ImagePart needs exactly one of `data` (base64) or `url`", field="content.image"
            )
        if self.data is not None:
            if not self.media_type.startswith("image/"):
                raise InvalidRequestError(
                    f"ImagePart.media_type must be an image type like 'image/png', got {self.media_type!r}",
                    field="content.image.media_type",
                )
            try:
                base64.b64decode(self.data, validate=True)
            except (binascii.Error, ValueError) as exc:
                raise InvalidRequestError(
                    "ImagePart.data is not valid base64; pass the image bytes base64-encoded",
                    field="content.image.data",
                ) from exc


@dataclass(frozen=True, slots=True)
class ReasoningPart:
    """A provider-bound reasoning/thinking block.

    It is only valid when replayed to the ``provider`` and ``model`` that produced it; the session
    layer drops it for any other target. ``signature`` is the provider's opaque signature
    (Anthropic thinking); ``redacted`` blocks carry their opaque payload in ``data``.
    """

    text: str
    provider: str
    model: str
    signature: str | None = None
    redacted: bool = False
    data: str | None = None
    type: Literal["reasoning"] = "reasoning"


ContentPart = TextPart | ImagePart | ReasoningPart


@dataclass(frozen=True, slots=True)
class ToolCall:
    """A call the model asked for. ``arguments`` is the parsed JSON object.

    When the model sent arguments that are not a JSON object, ``arguments`` is empty and
    ``raw_arguments`` keeps what it sent, so nothing is lost.
    """

    id: str
    name: str
    arguments: Mapping[str, Any] = field(default_factory=dict)
    raw_arguments: str | None = None


@dataclass(frozen=True, slots=True)
class ToolSpec:
    name: str
    description: str = ""
    parameters: Mapping[str, Any] = field(
        default_factory=lambda: {"type": "object", "properties": {}}
    )
    strict: bool = False

    def __post_init__(self) -> None:
        if not self.name or not all(c.isalnum() or c in "_-" for c in self.name) or len(self.name) > 64:
            raise InvalidRequestError(
                f"tool name {self.name!r} must be 1-64 characters of letters, digits, '_' or '-'",
                field="tools.name",
            )
        if not isinstance(self.parameters, Mapping) or self.parameters.get("type", "object") != "object":
            raise InvalidRequestError(
                f"tool {self.name!r}: parameters must be a JSON schema object with type 'object'",
                field="tools.parameters",
            )


@dataclass(frozen=True, slots=True)
class NamedTool:
    """``tool_choice`` forcing one named tool."""

    name: str


ToolChoice = Literal["auto", "none", "required"] | NamedTool


@dataclass(frozen=True, slots=True)
class ResponseFormat:
    """Structured output: a JSON schema (``schema``) or any JSON object (``schema=None``)."""

    schema: Mapping[str, Any] | None = None
    name: str = "response"
    strict: bool = True


@dataclass(frozen=True, slots=True)
class Thinking:
    """Extended thinking / reasoning for models that support it."""

    budget_tokens: int = 1024
    effort: Literal["low", "medium", "high"] | None = None


@dataclass(frozen=True, slots=True)
class Message:
    role: Role
    content: tuple[ContentPart, ...] = ()
    tool_calls: tuple[ToolCall, ...] = ()
    tool_call_id: str | None = None
    is_error: bool = False
    name: str | None = None

    @staticmethod
    def system(text: str) -> Message:
        return Message("system", (TextPart(text),))

    @staticmethod
    def user(content: str | Sequence[ContentPart]) -> Message:
        return Message("user", _parts(content))

    @staticmethod
    def assistant(
        content: str | Sequence[ContentPart] = "", tool_calls: Sequence[ToolCall] = ()
    ) -> Message:
        return Message("assistant", _parts(content), tuple(tool_calls))

    @staticmethod
    def tool(tool_call_id: str, content: str, *, is_error: bool = False, name: str | None = None) -> Message:
        return Message("tool", (TextPart(content),), tool_call_id=tool_call_id, is_error=is_error, name=name)

    @property
    def text(self) -> str:
        """The concatenated text parts (reasoning excluded)."""
        return "".join(p.text for p in self.content if isinstance(p, TextPart))

    @property
    def reasoning(self) -> tuple[ReasoningPart, ...]:
        return tuple(p for p in self.content if isinstance(p, ReasoningPart))

    @property
    def images(self) -> tuple[ImagePart, ...]:
        return tuple(p for p in self.content if isinstance(p, ImagePart))


def _parts(content: str | Sequence[ContentPart]) -> tuple[ContentPart, ...]:
    if isinstance(content, str):
        return (TextPart(content),) if content else ()
    if isinstance(content, (list, tuple)):
        return tuple(content)
    raise InvalidRequestError(
        f"content must be a str or a list of TextPart/ImagePart/ReasoningPart, got {type(content).__name__}",
        field="content",
    )


def _check_encodable(text: str, where: str) -> None:
    try:
        text.encode("utf-8")
    except UnicodeEncodeError as exc:
        raise InvalidRequestError(
            f"{where} holds text that is not valid Unicode (a lone surrogate at position {exc.start}); "
            "decode your input with errors='replace' first",
            field=where,
        ) from exc


@dataclass(frozen=True, slots=True)
class RoutingOptions:
    """Per-call routing controls. ``model`` pins a model (path ``pinned``); ``dial`` runs from
    0 (best quality) to 1 (lowest cost); ``preference`` is a named point on that dial."""

    model: str | None = None
    preference: Preference | None = None
    dial: float | None = None
    label: str | None = None

    def __post_init__(self) -> None:
        if self.dial is not None and not 0.0 <= self.dial <= 1.0:
            raise InvalidRequestError(
                f"dial must be between 0 (quality) and 1 (cost), got {self.dial}", field="dial"
            )
        if self.preference is not None and self.preference not in PREFERENCE_DIAL:
            raise InvalidRequestError(
                f"preference must be one of {sorted(PREFERENCE_DIAL)}, got {self.preference!r}",
                field="preference",
            )

    def effective_dial(self, default: float) -> float:
        if self.dial is not None:
            return self.dial
        if self.preference is not None:
            return PREFERENCE_DIAL[self.preference]
        return default


@dataclass(frozen=True, slots=True)
class Request:
    messages: tuple[Message, ...]
    tools: tuple[ToolSpec, ...] = ()
    tool_choice: ToolChoice | None = None
    parallel_tool_calls: bool | None = None
    response_format: ResponseFormat | None = None
    temperature: float | None = None
    max_tokens: int | None = None
    stop: tuple[str, ...] = ()
    timeout: float | None = None
    thinking: Thinking | None = None
    session_id: str | None = None
    options: RoutingOptions = field(default_factory=RoutingOptions)
    metadata: Mapping[str, str] = field(default_factory=dict)

    def with_messages(self, messages: Sequence[Message]) -> Request:
        return replace(self, messages=tuple(messages))


@dataclass(frozen=True, slots=True)
class Usage:
    """Token counts of one call. ``input_tokens`` includes cached tokens (read and written);
    ``output_tokens`` includes ``reasoning_tokens``."""

    input_tokens: int = 0
    output_tokens: int = 0
    cache_read_tokens: int = 0
    cache_write_tokens: int = 0
    reasoning_tokens: int = 0

    @property
    def total_tokens(self) -> int:
        return self.input_tokens + self.output_tokens

    def __add__(self, other: Usage) -> Usage:
        return Usage(
            self.input_tokens + other.input_tokens,
            self.output_tokens + other.output_tokens,
            self.cache_read_tokens + other.cache_read_tokens,
            self.cache_write_tokens + other.cache_write_tokens,
            self.reasoning_tokens + other.reasoning_tokens,
        )


@dataclass(frozen=True, slots=True)
class ProviderResponse:
    """What a provider adapter returns for one successful call, before routing data is attached."""

    message: Message
    usage: Usage
    finish_reason: FinishReason
    model: str
    provider: str
    response_id: str | None = None


@dataclass(frozen=True, slots=True)
class ToolCallDelta:
    """A streamed fragment of tool call ``index``; ``id`` and ``name`` arrive on the first one."""

    index: int
    id: str | None = None
    name: str | None = None
    arguments: str = ""


@dataclass(frozen=True, slots=True)
class ProviderChunk:
    """One streamed event from a provider adapter. The last chunk of a stream carries ``final``."""

    text: str = ""
    reasoning: str = ""
    tool_call: ToolCallDelta | None = None
    final: ProviderResponse | None = None


def _unanswered(open_calls: Mapping[str, int]) -> None:
    call_id, index = next(iter(open_calls.items()))
    raise InvalidRequestError(
        f"messages[{index}] made tool call {call_id!r}, which no tool message answers before the "
        "conversation moves on; add a role='tool' result for every call (is_error=True for a failed one)",
        field=f"messages[{index}].tool_calls",
    )


def validate_request(request: Request) -> None:
    """Reject requests no provider would accept, naming the field and the fix."""
    if not request.messages:
        raise InvalidRequestError("messages is empty: pass at least one user message", field="messages")
    call_ids: set[str] = set()
    open_calls: dict[str, int] = {}  # call id -> index of the assistant message still awaiting it
    for i, message in enumerate(request.messages):
        where = f"messages[{i}]"
        if message.role != "tool" and open_calls:
            _unanswered(open_calls)
        if message.role not in ROLES:
            raise InvalidRequestError(
                f"{where}.role {message.role!r} is not one of {list(ROLES)}", field=f"{where}.role"
            )
        for part in message.content:
            if not isinstance(part, (TextPart, ImagePart, ReasoningPart)):
                raise InvalidRequestError(
                    f"{where}.content holds a {type(part).__name__}; use TextPart, ImagePart or ReasoningPart",
                    field=f"{where}.content",
                )
            if isinstance(part, TextPart):
                if not isinstance(part.text, str):
                    raise InvalidRequestError(
                        f"{where}.content text must be a str, got {type(part.text).__name__}",
                        field=f"{where}.content",
                    )
                _check_encodable(part.text, f"{where}.content")
        if message.tool_calls and message.role != "assistant":
            raise InvalidRequestError(
                f"{where} has tool_calls but role {message.role!r}; only assistant messages call tools",
                field=f"{where}.tool_calls",
            )
        for call in message.tool_calls:
            if not call.id:
                raise InvalidRequestError(f"{where} has a tool call without an id", field=f"{where}.tool_calls.id")
            try:
                _check_encodable(json.dumps(dict(call.arguments), ensure_ascii=False), f"{where}.tool_calls.arguments")
            except TypeError as exc:
                raise InvalidRequestError(
                    f"{where}: arguments of tool call {call.id!r} are not JSON-serialisable ({exc})",
                    field=f"{where}.tool_calls.arguments",
                ) from exc
            call_ids.add(call.id)
            open_calls[call.id] = i
        if message.role == "tool":
            if not message.tool_call_id:
                raise InvalidRequestError(
                    f"{where} is a tool result without tool_call_id; set it to the id of the call it answers",
                    field=f"{where}.tool_call_id",
                )
            if message.tool_call_id not in call_ids:
                raise InvalidRequestError(
                    f"{where} answers tool call {message.tool_call_id!r}, which no earlier assistant message made",
                    field=f"{where}.tool_call_id",
                )
            open_calls.pop(message.tool_call_id, None)
    if open_calls:
        _unanswered(open_calls)
    names = [t.name for t in request.tools]
    if len(set(names)) != len(names):
        raise InvalidRequestError("tools has duplicate names", field="tools")
    choice = request.tool_choice
    if isinstance(choice, NamedTool) and choice.name not in names:
        raise InvalidRequestError(
            f"tool_choice names {choice.name!r}, which is not among the bound tools {names}",
            field="tool_choice",
        )
    if choice in ("required",) and not names:
        raise InvalidRequestError("tool_choice 'required' needs at least one bound tool", field="tool_choice")
    if request.max_tokens is not None and request.max_tokens <= 0:
        raise InvalidRequestError("max_tokens must be a positive integer", field="max_tokens")
    if request.temperature is not None and not 0.0 <= request.temperature <= 2.0:
        raise InvalidRequestError("temperature must be between 0 and 2", field="temperature")
