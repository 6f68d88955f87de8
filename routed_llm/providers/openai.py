"""OpenAI Chat Completions wire: OpenAI and every OpenAI-compatible server (DeepSeek, Mistral,
Gemini's OpenAI endpoint, vLLM, Ollama, llama.cpp).

Pure mapping functions (``to_openai_payload``, ``from_openai_response``, ``OpenAIStream``,
``map_openai_error``) need no client; ``OpenAIAdapter`` adds the SDK clients. The ``openai`` SDK is
imported only when a client is built or an SDK exception is mapped.

Wire choices:
- ``max_tokens`` is sent as ``max_completion_tokens`` to OpenAI itself (its reasoning models refuse
  ``max_tokens``) and as ``max_tokens`` to other OpenAI-compatible servers.
- OpenAI's reasoning models only take the default temperature, so ``temperature`` is not sent to them.
- ``request.thinking`` becomes ``reasoning_effort`` (its ``effort``, else derived from
  ``budget_tokens``) for models with the ``reasoning`` capability, and is ignored for others.
- Reasoning text comes back as ``reasoning_content`` (DeepSeek) or ``reasoning`` (vLLM, Ollama);
  it is never sent back: OpenAI-compatible servers do not take it as input.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from routed_llm.catalog import ModelSpec, ProviderSpec
from routed_llm.errors import (
    AuthenticationError,
    MalformedResponseError,
    ProviderBadRequestError,
    ProviderConnectionError,
    ProviderError,
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
    Thinking,
    ToolCall,
    ToolCallDelta,
    ToolChoice,
    Usage,
)
from routed_llm.providers._adapter import WireAdapter
from routed_llm.providers._common import (
    Assembly,
    as_dict,
    auth_message,
    connection_error,
    dumps,
    num,
    parse_arguments,
    response_dict,
    sdk_error,
    status_error,
    transport_classes,
    unmapped_error,
)

__all__ = [
    "OpenAIAdapter",
    "OpenAIStream",
    "from_openai_response",
    "map_openai_error",
    "openai_usage",
    "to_openai_payload",
]

_FINISH: dict[str, FinishReason] = {
    "stop": "stop",
    "length": "length",
    "tool_calls": "tool_calls",
    "function_call": "tool_calls",
    "content_filter": "content_filter",
}


# ---------------------------------------------------------------------------------- request


def _image(part: ImagePart) -> dict[str, Any]:
    url = part.url if part.url is not None else f"data:{part.media_type};base64,{part.data}"
    return {"type": "image_url", "image_url": {"url": url}}


def _user_content(parts: Sequence[ContentPart]) -> str | list[dict[str, Any]]:
    visible = [p for p in parts if not isinstance(p, ReasoningPart)]
    if all(isinstance(p, TextPart) for p in visible):
        return "".join(p.text for p in visible if isinstance(p, TextPart))
    out: list[dict[str, Any]] = []
    for p in visible:
        if isinstance(p, TextPart):
            if p.text:
                out.append({"type": "text", "text": p.text})
        elif isinstance(p, ImagePart):
            out.append(_image(p))
    return out


def _tool_call(call: ToolCall) -> dict[str, Any]:
    args = call.raw_arguments if (not call.arguments and call.raw_arguments) else dumps(dict(call.arguments))
    return {"id": call.id, "type": "function", "function": {"name": call.name, "arguments": args}}


def _message(message: Message) -> dict[str, Any]:
    if message.role == "system":
        return {"role": "system", "content": message.text}
    if message.role == "user":
        out: dict[str, Any] = {"role": "user", "content": _user_content(message.content)}
        if message.name:
            out["name"] = message.name
        return out
    if message.role == "tool":
        return {"role": "tool", "tool_call_id": message.tool_call_id, "content": message.text}
    text = message.text
    msg: dict[str, Any] = {"role": "assistant", "content": text if text or not message.tool_calls else None}
    if message.tool_calls:
        msg["tool_calls"] = [_tool_call(c) for c in message.tool_calls]
    return msg


def _tool_choice(choice: ToolChoice) -> Any:
    if isinstance(choice, NamedTool):
        return {"type": "function", "function": {"name": choice.name}}
    return choice


def reasoning_effort(thinking: Thinking) -> str:
    if thinking.effort is not None:
        return thinking.effort
    if thinking.budget_tokens <= 2048:
        return "low"
    return "medium" if thinking.budget_tokens <= 8192 else "high"


def to_openai_payload(request: Request, model: ModelSpec, *, stream: bool = False) -> dict[str, Any]:
    """The keyword arguments of ``client.chat.completions.create`` for ``request`` on ``model``."""
    reasoning = "reasoning" in model.capabilities
    native = model.provider == "openai"
    payload: dict[str, Any] = {
        "model": model.wire_name,
        "messages": [_message(m) for m in request.messages],
    }
    if request.tools:
        tools = []
        for tool in request.tools:
            fn: dict[str, Any] = {"name": tool.name, "parameters": dict(tool.parameters)}
            if tool.description:
                fn["description"] = tool.description
            if tool.strict:
                fn["strict"] = True
            tools.append({"type": "function", "function": fn})
        payload["tools"] = tools
        if request.parallel_tool_calls is not None and request.tool_choice != "none":
            payload["parallel_tool_calls"] = request.parallel_tool_calls
    if request.tool_choice is not None and request.tools:
        payload["tool_choice"] = _tool_choice(request.tool_choice)
    fmt = request.response_format
    if fmt is not None:
        if fmt.schema is None:
            payload["response_format"] = {"type": "json_object"}
        else:
            payload["response_format"] = {
                "type": "json_schema",
                "json_schema": {"name": fmt.name, "schema": dict(fmt.schema), "strict": fmt.strict},
            }
    if request.max_tokens is not None:
        payload["max_completion_tokens" if native else "max_tokens"] = request.max_tokens
    if request.temperature is not None and not (native and reasoning):
        payload["temperature"] = request.temperature
    if request.stop:
        payload["stop"] = list(request.stop[:4])
    if request.thinking is not None and reasoning:
        payload["reasoning_effort"] = reasoning_effort(request.thinking)
    if stream:
        payload["stream"] = True
        payload["stream_options"] = {"include_usage": True}
    return payload


# --------------------------------------------------------------------------------- response


def openai_usage(raw: Any) -> Usage:
    """Normalise a Chat Completions ``usage`` (``prompt_tokens`` already includes cached ones)."""
    if not isinstance(raw, dict):
        return Usage()
    prompt = raw.get("prompt_tokens_details") or {}
    completion = raw.get("completion_tokens_details") or {}
    cache_read = num(prompt.get("cached_tokens")) or num(raw.get("prompt_cache_hit_tokens"))
    return Usage(
        input_tokens=num(raw.get("prompt_tokens")),
        output_tokens=num(raw.get("completion_tokens")),
        cache_read_tokens=cache_read,
        cache_write_tokens=num(prompt.get("cache_write_tokens")),
        reasoning_tokens=num(completion.get("reasoning_tokens")),
    )


def _finish(value: Any) -> FinishReason:
    return _FINISH.get(value, "stop") if isinstance(value, str) else "stop"


def _content_text(content: Any) -> tuple[str, str]:
    """(text, reasoning) of a message content that is a string or a list of parts."""
    if isinstance(content, str):
        return content, ""
    if not isinstance(content, list):
        return "", ""
    text, thought = [], []
    for part in content:
        if isinstance(part, dict):
            if part.get("type") in ("thinking", "reasoning"):
                thought.append(str(part.get("thinking") or part.get("text") or ""))
            elif isinstance(part.get("text"), str):
                text.append(part["text"])
    return "".join(text), "".join(thought)


def _reasoning_of(d: dict[str, Any]) -> str:
    for key in ("reasoning_content", "reasoning"):
        value = d.get(key)
        if isinstance(value, str) and value:
            return value
    return ""


def from_openai_response(obj: Any, provider: ProviderSpec, model: ModelSpec) -> ProviderResponse:
    """A ``ChatCompletion`` (SDK object or its JSON as a dict) as a ProviderResponse."""
    data = response_dict(obj, provider.name, model.name)
    usage = openai_usage(data.get("usage"))
    choices = data.get("choices") or []
    if not choices or not isinstance(choices[0], dict) or not isinstance(choices[0].get("message"), dict):
        err = MalformedResponseError(
            f"{provider.name}/{model.name} answered without a message (no choices)",
            provider=provider.name,
            model=model.name,
        )
        err.usage = usage
        raise err
    choice = choices[0]
    msg = choice["message"]
    text, thought = _content_text(msg.get("content"))
    thought = _reasoning_of(msg) or thought
    if not text and isinstance(msg.get("refusal"), str):
        text = msg["refusal"]
    parts: list[ContentPart] = []
    if thought:
        parts.append(ReasoningPart(thought, provider.name, model.name))
    if text:
        parts.append(TextPart(text))
    calls = []
    for call in msg.get("tool_calls") or []:
        fn = call.get("function") or {}
        name = str(fn.get("name") or "")
        args = parse_arguments(fn.get("arguments"), provider=provider.name, model=model.name, tool=name, usage=usage)
        calls.append(ToolCall(str(call.get("id") or ""), name, args))
    return ProviderResponse(
        message=Message("assistant", tuple(parts), tuple(calls)),
        usage=usage,
        finish_reason=_finish(choice.get("finish_reason")),
        model=model.name,
        provider=provider.name,
        response_id=data.get("id") if isinstance(data.get("id"), str) else None,
    )


class OpenAIStream:
    """Assembles ``ChatCompletionChunk``s: ``feed`` each, then ``finish`` for the full response."""

    def __init__(self, provider: ProviderSpec, model: ModelSpec) -> None:
        self.provider = provider
        self.model = model
        self._acc = Assembly(provider.name, model.name)
        self._reasoning: list[str] = []
        self._finished = False

    def feed(self, chunk: Any) -> list[ProviderChunk]:
        data = as_dict(chunk)
        if isinstance(data.get("id"), str):
            self._acc.response_id = data["id"]
        if isinstance(data.get("usage"), dict):
            self._acc.usage = openai_usage(data["usage"])
        out: list[ProviderChunk] = []
        for choice in data.get("choices") or []:
            if not isinstance(choice, dict) or choice.get("index", 0) != 0:
                continue
            delta = choice.get("delta") or {}
            text, thought = _content_text(delta.get("content"))
            thought = _reasoning_of(delta) or thought
            if thought:
                self._reasoning.append(thought)
                out.append(ProviderChunk(reasoning=thought))
            if text:
                self._acc.add_text(text)
                out.append(ProviderChunk(text=text))
            for call in delta.get("tool_calls") or []:
                fn = call.get("function") or {}
                index = num(call.get("index"))
                piece = ToolCallDelta(index, call.get("id") or None, fn.get("name") or None, fn.get("arguments") or "")
                self._acc.add_call(index, id=piece.id, name=piece.name, arguments=piece.arguments)
                out.append(ProviderChunk(tool_call=piece))
            if choice.get("finish_reason"):
                self._acc.finish = _finish(choice["finish_reason"])
                self._finished = True
        return out

    def finish(self) -> ProviderResponse:
        if not self._finished:
            raise ProviderConnectionError(
                f"the stream from {self.provider.name}/{self.model.name} ended before its finish reason",
                provider=self.provider.name,
                model=self.model.name,
            )
        if self._reasoning:
            self._acc.reasoning(ReasoningPart("".join(self._reasoning), self.provider.name, self.model.name))
        return self._acc.response()


# ----------------------------------------------------------------------------------- errors

# SDK exception classes deliberately mapped to the generic ProviderError (the error-map test reads it).
INTENTIONALLY_GENERIC = frozenset({"OpenAIError", "APIError", "_AmbiguousModuleClientUsageError"})


def map_openai_error(exc: BaseException, provider: ProviderSpec, model: str) -> ProviderError:
    """The routed-llm error for an exception out of the ``openai`` SDK (or its transport).

    Most specific first. The caller raises the result ``from exc``.
    """
    import openai

    shared = sdk_error(exc, openai, provider, model)
    if shared is not None:
        return shared
    kw: dict[str, Any] = {"provider": provider.name, "model": model}
    if isinstance(exc, openai.AuthenticationError):  # incl. OAuthError; its text may quote the key
        return AuthenticationError(auth_message(provider, model, exc.status_code), status=exc.status_code, **kw)
    if isinstance(exc, openai.APIStatusError):
        body = exc.body if isinstance(exc.body, dict) else {}
        message = body.get("message") if isinstance(body.get("message"), str) else exc.message
        headers = dict(exc.response.headers) if getattr(exc, "response", None) is not None else None
        return status_error(exc.status_code, str(message), provider=provider, model=model, headers=headers,
                            code=exc.code)
    if isinstance(exc, openai.LengthFinishReasonError):
        return ProviderBadRequestError(
            f"{provider.name}/{model} hit the output token limit before finishing; raise max_tokens", **kw
        )
    if isinstance(exc, openai.ContentFilterFinishReasonError):
        return ProviderBadRequestError(f"{provider.name}/{model} refused the request (content filter)", **kw)
    for name, timeout in (("WebSocketConnectionClosedError", False), ("WebSocketQueueFullError", False)):
        cls = getattr(openai, name, None)
        if cls is not None and isinstance(exc, cls):
            return connection_error(provider, model, exc, timeout=timeout)
    subject = getattr(getattr(openai, "_exceptions", None), "SubjectTokenProviderError", None)
    if subject is not None and isinstance(exc, subject):
        return AuthenticationError(auth_message(provider, model, None), **kw)
    return unmapped_error(exc, provider, model)


# ---------------------------------------------------------------------------------- adapter


class OpenAIAdapter(WireAdapter):
    """A Chat Completions adapter for one provider (any ``base_url``)."""

    def _new_client(self, *, asynchronous: bool) -> Any:
        import openai

        cls = openai.AsyncOpenAI if asynchronous else openai.OpenAI
        return cls(
            api_key=self._api_key.get_secret_value(),
            base_url=self.provider.base_url,
            max_retries=0,
            timeout=self._default_timeout,
        )

    def _prepare(self, request: Request, model: ModelSpec, *, stream: bool) -> tuple[dict[str, Any], Any]:
        return to_openai_payload(request, model, stream=stream), None

    whole_response_path = "/chat/completions"

    def _sdk_create(self, client: Any) -> Any:
        return client.chat.completions.create

    def _parse(self, obj: Any, model: ModelSpec, ctx: Any) -> ProviderResponse:
        return from_openai_response(obj, self.provider, model)

    def _stream_state(self, model: ModelSpec, ctx: Any) -> OpenAIStream:
        return OpenAIStream(self.provider, model)

    def _map(self, exc: BaseException, model: ModelSpec) -> ProviderError:
        return map_openai_error(exc, self.provider, model.name)

    def _sdk_errors(self) -> tuple[type[BaseException], ...]:
        import openai

        return (openai.OpenAIError, *transport_classes())
