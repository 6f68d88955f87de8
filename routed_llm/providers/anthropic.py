"""Anthropic Messages wire.

Pure mapping functions (``to_anthropic_payload``, ``from_anthropic_response``, ``AnthropicStream``,
``map_anthropic_error``) need no client; ``AnthropicAdapter`` adds the SDK clients. The
``anthropic`` SDK is imported only when a client is built or an SDK exception is mapped.

Wire choices:
- System messages (wherever they are) become the top-level ``system`` blocks.
- ``role=tool`` results become ``tool_result`` blocks in a user turn; consecutive results (and a
  user message right after them) merge into one user message, as Anthropic requires.
- ``max_tokens`` is required: ``request.max_tokens``, else ``min(model.max_output_tokens, 4096)``;
  with thinking on it is raised above the thinking budget (``budget + max_tokens``, capped at the
  model's limit).
- ``request.thinking`` becomes ``thinking={"type": "enabled", "budget_tokens": max(1024, budget)}``
  for models with the ``reasoning`` capability; ``temperature`` is then not sent. Thinking is left
  off when it would make the request invalid: a forced tool choice (``required``/named/structured
  output), or a final assistant tool-use turn with no thinking block of this model to replay.
- Reasoning parts are replayed only to the provider and model that produced them (as ``thinking``
  with its signature, or ``redacted_thinking`` with its data); others are dropped silently.
- Prompt caching: ``cache_control`` breakpoints at the end of the system prompt and of the newest
  message (Anthropic writes an entry only from ~1024 tokens, so short prompts pay nothing extra).
- Structured output (``response_format``): Anthropic has no JSON mode on every model, so the
  request gets an extra tool named after the format (``ResponseFormat.name``) whose input schema is
  the format's schema, and the tool choice forces it (when the request binds no tools of its own,
  or its choice is ``none``; otherwise the model may call its tools first and the format tool at the
  end). The forced call's input comes back as the JSON text content of the answer, not as a tool
  call, and ``finish_reason`` is ``stop``. When streaming, the JSON arrives as text deltas.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Any

from routed_llm.catalog import ModelSpec, ProviderSpec
from routed_llm.errors import (
    AuthenticationError,
    InvalidRequestError,
    MalformedResponseError,
    ProviderConnectionError,
    ProviderError,
    RetryableError,
)
from routed_llm.messages import (
    ContentPart,
    FinishReason,
    ImagePart,
    Message,
    NamedTool,
    ProviderChunk,
    ProviderResponse,
    ReasoningPart,
    Request,
    TextPart,
    ToolCall,
    ToolCallDelta,
    Usage,
)
from routed_llm.providers._adapter import WireAdapter
from routed_llm.providers._common import (
    Assembly,
    as_dict,
    auth_message,
    dumps,
    num,
    parse_arguments,
    response_dict,
    scrub,
    sdk_error,
    status_error,
    transport_classes,
    unmapped_error,
)

__all__ = [
    "DEFAULT_MAX_TOKENS",
    "AnthropicAdapter",
    "AnthropicStream",
    "anthropic_usage",
    "from_anthropic_response",
    "map_anthropic_error",
    "structured_tool_name",
    "to_anthropic_payload",
]

DEFAULT_MAX_TOKENS = 4096
MIN_THINKING_BUDGET = 1024
_FINISH: dict[str, FinishReason] = {
    "end_turn": "stop",
    "stop_sequence": "stop",
    "pause_turn": "stop",
    "max_tokens": "length",
    "model_context_window_exceeded": "length",
    "tool_use": "tool_calls",
    "refusal": "content_filter",
}


# ---------------------------------------------------------------------------------- request


def structured_tool_name(request: Request) -> str | None:
    """The name of the forced tool that carries ``request.response_format``, if any."""
    fmt = request.response_format
    if fmt is None:
        return None
    return re.sub(r"[^A-Za-z0-9_-]", "_", fmt.name)[:64] or "response"


def _image(part: ImagePart) -> dict[str, Any]:
    if part.url is not None:
        return {"type": "image", "source": {"type": "url", "url": part.url}}
    return {"type": "image", "source": {"type": "base64", "media_type": part.media_type, "data": part.data}}


def _visible(parts: Sequence[ContentPart]) -> list[dict[str, Any]]:
    out: list[dict[str, Any]] = []
    for p in parts:
        if isinstance(p, TextPart) and p.text:
            out.append({"type": "text", "text": p.text})
        elif isinstance(p, ImagePart):
            out.append(_image(p))
    return out


def _thinking_blocks(message: Message, model: ModelSpec) -> list[dict[str, Any]]:
    out: list[dict[str, Any]] = []
    for p in message.reasoning:
        if p.provider != model.provider or p.model != model.name:
            continue
        if p.redacted and p.data:
            out.append({"type": "redacted_thinking", "data": p.data})
        elif not p.redacted and p.signature:
            out.append({"type": "thinking", "thinking": p.text, "signature": p.signature})
    return out


def _blocks(message: Message, model: ModelSpec) -> list[dict[str, Any]]:
    if message.role == "user":
        return _visible(message.content)
    if message.role == "tool":
        content = _visible(message.content)
        block: dict[str, Any] = {"type": "tool_result", "tool_use_id": message.tool_call_id}
        if any(b["type"] == "image" for b in content):
            block["content"] = content
        else:
            block["content"] = message.text
        if message.is_error:
            block["is_error"] = True
        return [block]
    blocks = _thinking_blocks(message, model) + _visible(message.content)
    for call in message.tool_calls:
        blocks.append({"type": "tool_use", "id": call.id, "name": call.name, "input": dict(call.arguments)})
    return blocks


def _messages(request: Request, model: ModelSpec) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """(system blocks, messages) with same-role turns merged and tool results in user turns."""
    system: list[dict[str, Any]] = []
    turns: list[dict[str, Any]] = []
    for message in request.messages:
        if message.role == "system":
            system.extend({"type": "text", "text": p.text} for p in message.content if isinstance(p, TextPart) and p.text)
            continue
        role = "assistant" if message.role == "assistant" else "user"
        blocks = _blocks(message, model)
        if not blocks:
            continue
        if turns and turns[-1]["role"] == role:
            turns[-1]["content"].extend(blocks)
        else:
            turns.append({"role": role, "content": blocks})
    for turn in turns:  # tool results lead their user turn
        if turn["role"] == "user":
            turn["content"].sort(key=lambda b: b["type"] != "tool_result")
    return system, turns


def _thinking_allowed(turns: Sequence[dict[str, Any]]) -> bool:
    """False when the final assistant turn uses tools without a thinking block (Anthropic refuses it)."""
    for turn in reversed(turns):
        if turn["role"] == "assistant":
            blocks = turn["content"]
            uses_tools = any(b["type"] == "tool_use" for b in blocks)
            return not uses_tools or blocks[0]["type"] in ("thinking", "redacted_thinking")
    return True


def _mark_cache(system: list[dict[str, Any]], turns: list[dict[str, Any]]) -> None:
    """Prompt-cache breakpoints at the end of the system prompt and of the newest message."""
    targets = [system[-1]] if system else []
    if turns and turns[-1]["content"]:
        targets.append(turns[-1]["content"][-1])
    for block in targets:
        if block["type"] in ("text", "image", "tool_result", "tool_use"):
            block["cache_control"] = {"type": "ephemeral"}


def to_anthropic_payload(
    request: Request, model: ModelSpec, *, stream: bool = False, cache: bool = True
) -> dict[str, Any]:
    """The keyword arguments of ``client.messages.create`` for ``request`` on ``model``.

    ``cache`` marks prompt-cache breakpoints (end of system, end of the newest message), so each
    step of an agent loop reads the previous steps' prefix from the cache.
    """
    system, turns = _messages(request, model)
    if cache:
        _mark_cache(system, turns)
    payload: dict[str, Any] = {"model": model.wire_name, "messages": turns}
    if system:
        payload["system"] = system
    tools: list[dict[str, Any]] = []
    for tool in request.tools:
        spec: dict[str, Any] = {"name": tool.name, "input_schema": dict(tool.parameters)}
        if tool.description:
            spec["description"] = tool.description
        tools.append(spec)
    choice: dict[str, Any] | None = None
    if isinstance(request.tool_choice, NamedTool):
        choice = {"type": "tool", "name": request.tool_choice.name}
    elif request.tool_choice == "required":
        choice = {"type": "any"}
    elif request.tool_choice in ("auto", "none") and request.tools:
        choice = {"type": request.tool_choice}
    fmt_tool = structured_tool_name(request)
    if fmt_tool is not None and request.response_format is not None:
        if any(t.name == fmt_tool for t in request.tools):
            raise InvalidRequestError(
                f"response_format.name {fmt_tool!r} clashes with a bound tool of that name; rename the format",
                field="response_format.name",
            )
        schema = dict(request.response_format.schema or {"type": "object"})
        if schema.get("type", "object") != "object":
            raise InvalidRequestError(
                "response_format.schema must be a JSON schema of type 'object' for Anthropic models",
                field="response_format.schema",
            )
        tools.append({
            "name": fmt_tool,
            "description": "Give your final answer by calling this tool; its input is the answer, as JSON "
                           "matching the schema.",
            "input_schema": schema,
        })
        if not request.tools or request.tool_choice == "none":
            choice = {"type": "tool", "name": fmt_tool}
    if tools:
        payload["tools"] = tools
    if request.parallel_tool_calls is False and tools:
        choice = choice or {"type": "auto"}
        if choice["type"] != "none":
            choice["disable_parallel_tool_use"] = True
    if choice is not None:
        payload["tool_choice"] = choice
    max_tokens = request.max_tokens or min(model.max_output_tokens, DEFAULT_MAX_TOKENS)
    thinking = request.thinking
    forced = choice is not None and choice["type"] in ("any", "tool")
    if thinking is not None and "reasoning" in model.capabilities and not forced and _thinking_allowed(turns):
        budget = max(MIN_THINKING_BUDGET, thinking.budget_tokens)
        if max_tokens <= budget:
            max_tokens = min(model.max_output_tokens, budget + max_tokens)
        budget = min(budget, max_tokens - 1)
        payload["thinking"] = {"type": "enabled", "budget_tokens": budget}
    elif request.temperature is not None:
        payload["temperature"] = request.temperature
    payload["max_tokens"] = max_tokens
    if request.stop:
        payload["stop_sequences"] = list(request.stop)
    if stream:
        payload["stream"] = True
    return payload


# --------------------------------------------------------------------------------- response


def anthropic_usage(raw: Any) -> Usage:
    """Normalise Anthropic ``usage``: ``input_tokens`` here includes cache writes and reads."""
    if not isinstance(raw, dict):
        return Usage()
    cache_write = num(raw.get("cache_creation_input_tokens"))
    cache_read = num(raw.get("cache_read_input_tokens"))
    details = raw.get("output_tokens_details") or {}
    return Usage(
        input_tokens=num(raw.get("input_tokens")) + cache_write + cache_read,
        output_tokens=num(raw.get("output_tokens")),
        cache_read_tokens=cache_read,
        cache_write_tokens=cache_write,
        reasoning_tokens=num(details.get("thinking_tokens")) if isinstance(details, dict) else 0,
    )


def _finish(value: Any) -> FinishReason:
    return _FINISH.get(value, "stop") if isinstance(value, str) else "stop"


def _malformed(message: str, provider: ProviderSpec, model: ModelSpec, usage: Usage) -> MalformedResponseError:
    err = MalformedResponseError(message, provider=provider.name, model=model.name)
    err.usage = usage
    return err


def _input_object(value: Any, provider: ProviderSpec, model: ModelSpec, tool: str, usage: Usage) -> dict[str, Any]:
    if isinstance(value, dict):
        return value
    raw = value if isinstance(value, str) else dumps(value)
    return parse_arguments(raw, provider=provider.name, model=model.name, tool=tool, usage=usage)


def from_anthropic_response(
    obj: Any, provider: ProviderSpec, model: ModelSpec, *, structured_tool: str | None = None
) -> ProviderResponse:
    """A ``Message`` (SDK object or its JSON as a dict) as a ProviderResponse.

    ``structured_tool`` names the forced response-format tool (``structured_tool_name(request)``):
    its input becomes the answer's JSON text.
    """
    data = response_dict(obj, provider.name, model.name)
    usage = anthropic_usage(data.get("usage"))
    acc = Assembly(provider.name, model.name, usage=usage)
    acc.response_id = data.get("id") if isinstance(data.get("id"), str) else None
    structured = False
    calls: list[ToolCall] = []
    for block in data.get("content") or []:
        kind = block.get("type") if isinstance(block, dict) else None
        if kind == "text":
            acc.add_text(str(block.get("text") or ""))
        elif kind == "thinking":
            acc.reasoning(ReasoningPart(str(block.get("thinking") or ""), provider.name, model.name,
                                        signature=block.get("signature") or None))
        elif kind == "redacted_thinking":
            acc.reasoning(ReasoningPart("", provider.name, model.name, redacted=True, data=block.get("data")))
        elif kind == "tool_use":
            name = str(block.get("name") or "")
            args = _input_object(block.get("input"), provider, model, name, usage)
            if structured_tool is not None and name == structured_tool:
                acc.add_text(dumps(args))
                structured = True
            else:
                calls.append(ToolCall(str(block.get("id") or ""), name, args))
    finish = _finish(data.get("stop_reason"))
    if structured and not calls and finish == "tool_calls":
        finish = "stop"
    resp = acc.response()
    return ProviderResponse(
        message=Message("assistant", resp.message.content, tuple(calls)),
        usage=usage,
        finish_reason=finish,
        model=model.name,
        provider=provider.name,
        response_id=resp.response_id,
    )


class AnthropicStream:
    """Assembles Messages stream events: ``feed`` each, then ``finish`` for the full response."""

    def __init__(self, provider: ProviderSpec, model: ModelSpec, *, structured_tool: str | None = None) -> None:
        self.provider = provider
        self.model = model
        self.structured_tool = structured_tool
        self._acc = Assembly(provider.name, model.name)
        self._usage: dict[str, Any] = {}
        self._blocks: dict[int, dict[str, Any]] = {}
        self._tool_index: dict[int, int] = {}
        self._structured: list[str] | None = None
        self._stop_reason: Any = None
        self._stopped = False

    def feed(self, event: Any) -> list[ProviderChunk]:
        data = as_dict(event)
        kind = data.get("type")
        out: list[ProviderChunk] = []
        if kind == "message_start":
            message = data.get("message") or {}
            self._acc.response_id = message.get("id")
            self._merge_usage(message.get("usage"))
        elif kind == "content_block_start":
            out.extend(self._start(num(data.get("index")), data.get("content_block") or {}))
        elif kind == "content_block_delta":
            out.extend(self._delta(num(data.get("index")), data.get("delta") or {}))
        elif kind == "content_block_stop":
            self._stop(num(data.get("index")))
        elif kind == "message_delta":
            delta = data.get("delta") or {}
            if delta.get("stop_reason") is not None:
                self._stop_reason = delta["stop_reason"]
            self._merge_usage(data.get("usage"))
        elif kind == "message_stop":
            self._stopped = True
        return out

    def _merge_usage(self, raw: Any) -> None:
        if isinstance(raw, dict):
            self._usage.update({k: v for k, v in raw.items() if v is not None})

    def _start(self, index: int, block: dict[str, Any]) -> list[ProviderChunk]:
        kind = block.get("type")
        state: dict[str, Any] = {"type": kind, "text": [], "signature": "", "data": block.get("data")}
        self._blocks[index] = state
        if kind == "text" and block.get("text"):
            return self._delta(index, {"type": "text_delta", "text": block["text"]})
        if kind == "thinking" and block.get("thinking"):
            return self._delta(index, {"type": "thinking_delta", "thinking": block["thinking"]})
        if kind == "tool_use":
            name = str(block.get("name") or "")
            if self.structured_tool is not None and name == self.structured_tool:
                state["type"] = "structured"
                self._structured = []
                return []
            ordinal = len(self._tool_index)
            self._tool_index[index] = ordinal
            call_id = str(block.get("id") or "")
            self._acc.add_call(ordinal, id=call_id, name=name)
            return [ProviderChunk(tool_call=ToolCallDelta(ordinal, call_id, name, ""))]
        return []

    def _delta(self, index: int, delta: dict[str, Any]) -> list[ProviderChunk]:
        state = self._blocks.get(index)
        kind = delta.get("type")
        if kind == "text_delta":
            text = str(delta.get("text") or "")
            self._acc.add_text(text)
            return [ProviderChunk(text=text)] if text else []
        if kind == "thinking_delta":
            thought = str(delta.get("thinking") or "")
            if state is not None:
                state["text"].append(thought)
            return [ProviderChunk(reasoning=thought)] if thought else []
        if kind == "signature_delta" and state is not None:
            state["signature"] += str(delta.get("signature") or "")
        elif kind == "input_json_delta":
            piece = str(delta.get("partial_json") or "")
            if not piece:
                return []
            if state is not None and state["type"] == "structured" and self._structured is not None:
                self._structured.append(piece)
                self._acc.add_text(piece)
                return [ProviderChunk(text=piece)]
            ordinal = self._tool_index.get(index)
            if ordinal is not None:
                self._acc.add_call(ordinal, arguments=piece)
                return [ProviderChunk(tool_call=ToolCallDelta(ordinal, arguments=piece))]
        return []

    def _stop(self, index: int) -> None:
        state = self._blocks.get(index)
        if state is None:
            return
        if state["type"] == "thinking":
            self._acc.reasoning(ReasoningPart("".join(state["text"]), self.provider.name, self.model.name,
                                              signature=state["signature"] or None))
        elif state["type"] == "redacted_thinking":
            self._acc.reasoning(ReasoningPart("", self.provider.name, self.model.name, redacted=True,
                                              data=state["data"]))

    def finish(self) -> ProviderResponse:
        if not self._stopped:
            raise ProviderConnectionError(
                f"the stream from {self.provider.name}/{self.model.name} ended before message_stop",
                provider=self.provider.name,
                model=self.model.name,
            )
        usage = anthropic_usage(self._usage)
        self._acc.usage = usage
        finish = _finish(self._stop_reason)
        if self._structured is not None:
            raw = "".join(self._structured) or "{}"
            parse_arguments(raw, provider=self.provider.name, model=self.model.name,
                            tool=self.structured_tool or "response", usage=usage)
            if not self._tool_index and finish == "tool_calls":
                finish = "stop"
        self._acc.finish = finish
        return self._acc.response()


# ----------------------------------------------------------------------------------- errors

# SDK exception classes deliberately mapped to the generic ProviderError (the error-map test reads it).
INTENTIONALLY_GENERIC = frozenset({"AnthropicError", "APIError", "APIWebhookValidationError"})


def map_anthropic_error(exc: BaseException, provider: ProviderSpec, model: str) -> ProviderError:
    """The routed-llm error for an exception out of the ``anthropic`` SDK (or its transport).

    Most specific first. The caller raises the result ``from exc``.
    """
    import anthropic

    shared = sdk_error(exc, anthropic, provider, model)
    if shared is not None:
        return shared
    kw: dict[str, Any] = {"provider": provider.name, "model": model}
    if isinstance(exc, anthropic.APIStatusError):
        status = exc.status_code
        message = getattr(exc, "api_message", None) or _body_message(exc.body) or exc.message
        if getattr(exc, "type", None) == "overloaded_error" and status < 500:
            status = 529
        headers = dict(exc.response.headers) if getattr(exc, "response", None) is not None else None
        code = "billing_error" if getattr(exc, "type", None) == "billing_error" else getattr(exc, "error_code", None)
        return status_error(status, str(message), provider=provider, model=model, headers=headers, code=code)
    credentials = tuple(
        c for c in (getattr(anthropic, n, None) for n in ("CredentialsError", "WorkloadIdentityError"))
        if isinstance(c, type)
    )
    if credentials and isinstance(exc, credentials):
        return AuthenticationError(auth_message(provider, model, None), **kw)
    sdk_retryable = getattr(anthropic, "RetryableError", None)
    if isinstance(sdk_retryable, type) and isinstance(exc, sdk_retryable):
        return RetryableError(f"{provider.name}/{model} failed (retryable): {scrub(str(exc))}", **kw)
    return unmapped_error(exc, provider, model)


def _body_message(body: Any) -> str | None:
    if isinstance(body, dict):
        error = body.get("error")
        message = error.get("message") if isinstance(error, dict) else None
        if isinstance(message, str):
            return message
    return None


# ---------------------------------------------------------------------------------- adapter


class AnthropicAdapter(WireAdapter):
    """A Messages API adapter for one provider."""

    def _new_client(self, *, asynchronous: bool) -> Any:
        import anthropic

        cls = anthropic.AsyncAnthropic if asynchronous else anthropic.Anthropic
        return cls(
            api_key=self._api_key.get_secret_value(),
            base_url=self.provider.base_url,
            max_retries=0,
            timeout=self._default_timeout,
        )

    def _prepare(self, request: Request, model: ModelSpec, *, stream: bool) -> tuple[dict[str, Any], Any]:
        return to_anthropic_payload(request, model, stream=stream), structured_tool_name(request)

    whole_response_path = "/v1/messages"

    def _sdk_create(self, client: Any) -> Any:
        return client.messages.create

    def _parse(self, obj: Any, model: ModelSpec, ctx: Any) -> ProviderResponse:
        return from_anthropic_response(obj, self.provider, model, structured_tool=ctx)

    def _stream_state(self, model: ModelSpec, ctx: Any) -> AnthropicStream:
        return AnthropicStream(self.provider, model, structured_tool=ctx)

    def _map(self, exc: BaseException, model: ModelSpec) -> ProviderError:
        return map_anthropic_error(exc, self.provider, model.name)

    def _sdk_errors(self) -> tuple[type[BaseException], ...]:
        import anthropic

        return (anthropic.AnthropicError, *transport_classes())

