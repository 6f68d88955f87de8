"""Helpers shared by the wire adapters: error classification by HTTP status, Retry-After, secret
scrubbing, tool-argument parsing and stream assembly. No SDK is imported here."""

from __future__ import annotations

import email.utils
import json
import re
import sys
import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from routed_llm.catalog import ProviderSpec
from routed_llm.errors import (
    AuthenticationError,
    ContextWindowError,
    MalformedResponseError,
    ProviderBadRequestError,
    ProviderConnectionError,
    ProviderError,
    ProviderTimeoutError,
    QuotaExceededError,
    RateLimitError,
    ServerError,
)
from routed_llm.messages import (
    ContentPart,
    FinishReason,
    Message,
    ProviderResponse,
    ReasoningPart,
    TextPart,
    ToolCall,
    Usage,
)

# Phrases providers use when the prompt does not fit the model's window.
_CONTEXT = re.compile(
    r"maximum context length|context[_ ]length[_ ]exceeded|context window|prompt is too long"
    r"|input is too long|exceeds the maximum number of tokens|too many input tokens",
    re.I,
)
# Things that look like credentials, scrubbed from any provider text we pass on.
_SECRETS = re.compile(
    r"(?i)(bearer\s+)[^\s\"',]+|\b(sk-[a-z0-9_*\-]{6,}|sk-ant-[a-z0-9_*\-]{6,}|AIza[0-9a-z_\-]{20,})"
    r"|((?:x-api-key|authorization|api[_-]?key)[\"']?\s*[:=]\s*[\"']?)[^\s\"',}]+"
)


def scrub(text: str, *secrets: str) -> str:
    """``text`` with anything key-like (and each of ``secrets``) replaced by ``[redacted]``."""
    for secret in secrets:
        # a key of a few characters is a placeholder (local servers); replacing it would mangle words
        if len(secret) >= 8:
            text = text.replace(secret, "[redacted]")

    def sub(m: re.Match[str]) -> str:
        prefix = m.group(1) or m.group(3) or ""
        return prefix + "[redacted]"

    return _SECRETS.sub(sub, text)


def looks_like_context_error(message: str) -> bool:
    return bool(_CONTEXT.search(message))


def retry_after_seconds(headers: Mapping[str, str] | None) -> float | None:
    """Seconds to wait from ``retry-after-ms`` (preferred) or ``retry-after`` (seconds or HTTP date)."""
    if not headers:
        return None
    lower = {str(k).lower(): str(v) for k, v in headers.items()}
    ms = lower.get("retry-after-ms")
    if ms is not None:
        try:
            value = float(ms) / 1000.0
            if value >= 0:
                return value
        except ValueError:
            pass
    raw = lower.get("retry-after")
    if raw is None:
        return None
    try:
        value = float(raw)
        return value if value >= 0 else None
    except ValueError:
        pass
    try:
        when = email.utils.parsedate_to_datetime(raw)
    except (TypeError, ValueError, IndexError):
        return None
    return max(0.0, when.timestamp() - time.time())


def auth_message(provider: ProviderSpec, model: str, status: int | None) -> str:
    what = "has no permission for" if status == 403 else "rejected the API key for"
    return (
        f"{provider.name} {what} model {model!r} (HTTP {status}); set {provider.api_key_env} "
        f"to a valid {provider.name} API key"
    )


def status_error(
    status: int,
    message: str,
    *,
    provider: ProviderSpec,
    model: str,
    headers: Mapping[str, str] | None = None,
    code: str | None = None,
) -> ProviderError:
    """The routed-llm error for an HTTP error answer, most specific first."""
    kw: dict[str, Any] = {"provider": provider.name, "model": model, "status": status}
    text = scrub(message or "")
    where = f"{provider.name}/{model}"
    lowered = text.lower()
    if (status == 402 or code in ("insufficient_quota", "billing_error")
            or (status == 429 and "exceeded your current quota" in lowered)
            or (status == 400 and "credit balance is too low" in lowered)):
        return QuotaExceededError(
            f"{where}: the {provider.name} account is out of quota or credit (HTTP {status}); retrying "
            f"{provider.name} cannot help, so other providers are tried. Add credit or raise the spend "
            f"limit: {text}",
            **kw,
        )
    if status == 429:
        wait = retry_after_seconds(headers)
        hint = f"; retry after {wait:g}s" if wait is not None else ""
        return RateLimitError(f"{where} is rate limited (HTTP 429){hint}: {text}", retry_after=wait, **kw)
    if status in (401, 403):
        return AuthenticationError(auth_message(provider, model, status), **kw)
    if status == 408:
        return ProviderTimeoutError(f"{where} timed out on the provider side (HTTP 408): {text}", **kw)
    if status == 499:
        return ProviderConnectionError(f"{where}: the request was closed before an answer (HTTP 499)", **kw)
    if status >= 500:
        return ServerError(f"{where} failed on the provider side (HTTP {status}): {text}", **kw)
    if status in (400, 413, 422) and (code == "context_length_exceeded" or looks_like_context_error(text)):
        return ContextWindowError(
            f"the prompt does not fit the context window of {where}; use a model with a larger window "
            f"or shorten the conversation: {text}",
            **kw,
        )
    return ProviderBadRequestError(f"{where} refused the request (HTTP {status}): {text}", **kw)


def connection_error(provider: ProviderSpec, model: str, exc: BaseException, *, timeout: bool) -> ProviderError:
    detail = scrub(str(exc)) or type(exc).__name__
    kw: dict[str, Any] = {"provider": provider.name, "model": model}
    if timeout:
        return ProviderTimeoutError(f"{provider.name}/{model} timed out: {detail}", **kw)
    return ProviderConnectionError(f"connection to {provider.name}/{model} failed or dropped: {detail}", **kw)


def sdk_error(exc: BaseException, sdk: Any, provider: ProviderSpec, model: str) -> ProviderError | None:
    """The mapping both SDKs share (they are generated alike): our own errors pass through,
    ``APITimeoutError`` / ``APIConnectionError`` / ``APIResponseValidationError`` map the same way.
    None for anything else: the wire's mapper decides."""
    if isinstance(exc, ProviderError):
        return exc
    if isinstance(exc, sdk.APITimeoutError):
        return connection_error(provider, model, exc, timeout=True)
    if isinstance(exc, sdk.APIConnectionError):
        return connection_error(provider, model, exc.__cause__ or exc, timeout=False)
    if isinstance(exc, sdk.APIResponseValidationError):
        return MalformedResponseError(
            f"{provider.name}/{model} answered with a body the SDK could not validate: {scrub(exc.message)}",
            status=getattr(exc, "status_code", None), provider=provider.name, model=model,
        )
    return None


def unmapped_error(exc: BaseException, provider: ProviderSpec, model: str) -> ProviderError:
    """The last resort of both mappers: a transport error leaking out of a stream, else generic."""
    transport = transport_error(provider, model, exc)
    if transport is not None:
        return transport
    return ProviderError(f"{provider.name}/{model} failed: {type(exc).__name__}: {scrub(str(exc))}",
                         provider=provider.name, model=model)


def transport_error(provider: ProviderSpec, model: str, exc: BaseException) -> ProviderError | None:
    """Map an HTTP-transport exception (httpx2/httpx, stdlib) leaking out of an SDK stream, else None."""
    for cls in type(exc).__mro__:
        mod = cls.__module__.split(".")[0]
        if mod in ("httpx", "httpx2", "httpcore", "httpcore2"):
            if cls.__name__ in ("TimeoutException", "PoolTimeout", "ReadTimeout", "WriteTimeout", "ConnectTimeout"):
                return connection_error(provider, model, exc, timeout=True)
            if cls.__name__ in ("TransportError", "StreamError", "RequestError", "HTTPError", "DecodingError",
                                "SSEError", "NetworkError", "ProtocolError"):
                return connection_error(provider, model, exc, timeout=False)
    if isinstance(exc, TimeoutError):
        return connection_error(provider, model, exc, timeout=True)
    if isinstance(exc, (ConnectionError, OSError, EOFError)):
        return connection_error(provider, model, exc, timeout=False)
    return None


def transport_classes() -> tuple[type[BaseException], ...]:
    """The base exception classes of the HTTP libraries the SDKs use, when they are loaded."""
    out: list[type[BaseException]] = []
    for name in ("httpx2", "httpx"):
        mod = sys.modules.get(name)
        for attr in ("HTTPError", "StreamError"):
            cls = getattr(mod, attr, None) if mod is not None else None
            if isinstance(cls, type) and issubclass(cls, BaseException):
                out.append(cls)
    return tuple(out)


def parse_arguments(raw: str | None, *, provider: str, model: str, tool: str, usage: Usage | None = None) -> dict[str, Any]:
    """Tool-call arguments as a JSON object; anything else raises MalformedResponseError (retryable)."""
    if raw is None or not raw.strip():
        return {}
    try:
        value = json.loads(raw)
    except ValueError:
        value = None
        problem = "not valid JSON"
    else:
        problem = "not a JSON object"
    if not isinstance(value, dict):
        err = MalformedResponseError(
            f"{provider}/{model} sent arguments for tool {tool!r} that are {problem}: {raw[:200]!r}",
            provider=provider,
            model=model,
        )
        err.usage = usage
        raise err
    return value


def dumps(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False, separators=(",", ":"))


def as_dict(obj: Any) -> dict[str, Any]:
    """An SDK pydantic object (extras included) or a mapping, as a plain dict."""
    if isinstance(obj, Mapping):
        return dict(obj)
    dump = getattr(obj, "model_dump", None)
    if dump is not None:
        try:
            result = dump(warnings=False)
        except TypeError:
            result = dump()
        if isinstance(result, dict):
            return result
    raise TypeError(f"expected an SDK response object or a mapping, got {type(obj).__name__}")


def response_dict(obj: Any, provider: str, model: str) -> dict[str, Any]:
    """A whole (non-streamed) response body as a dict; a body that is not a JSON object (a list,
    text from a proxy) is a MalformedResponseError naming the endpoint, not a TypeError."""
    try:
        return as_dict(obj)
    except TypeError:
        raise MalformedResponseError(
            f"{provider}/{model} answered with {type(obj).__name__}, not a JSON object", provider=provider,
            model=model,
        ) from None


def num(value: Any) -> int:
    return value if isinstance(value, int) and not isinstance(value, bool) else 0


@dataclass(slots=True)
class _Call:
    id: str = ""
    name: str = ""
    args: list[str] = field(default_factory=list)


@dataclass(slots=True)
class Assembly:
    """What a stream has delivered so far, assembled into a ProviderResponse at the end."""

    provider: str
    model: str
    parts: list[ContentPart] = field(default_factory=list)
    calls: dict[int, _Call] = field(default_factory=dict)
    usage: Usage = field(default_factory=Usage)
    finish: FinishReason | None = None
    response_id: str | None = None

    def add_text(self, text: str) -> None:
        if not text:
            return
        last = self.parts[-1] if self.parts else None
        if isinstance(last, TextPart):
            self.parts[-1] = TextPart(last.text + text)
        else:
            self.parts.append(TextPart(text))

    def add_call(self, index: int, *, id: str | None = None, name: str | None = None, arguments: str = "") -> None:
        call = self.calls.setdefault(index, _Call())
        if id:
            call.id = id
        if name and not call.name:
            call.name = name
        if arguments:
            call.args.append(arguments)

    def reasoning(self, part: ReasoningPart) -> None:
        self.parts.append(part)

    def response(self) -> ProviderResponse:
        calls = []
        for index in sorted(self.calls):
            call = self.calls[index]
            raw = "".join(call.args)
            args = parse_arguments(raw, provider=self.provider, model=self.model, tool=call.name, usage=self.usage)
            calls.append(ToolCall(call.id, call.name, args))
        # reasoning first, as the providers want it replayed
        parts = [p for p in self.parts if isinstance(p, ReasoningPart)] + [
            p for p in self.parts if not isinstance(p, ReasoningPart)
        ]
        finish: FinishReason = self.finish or ("tool_calls" if calls else "stop")
        return ProviderResponse(
            message=Message("assistant", tuple(parts), tuple(calls)),
            usage=self.usage,
            finish_reason=finish,
            model=self.model,
            provider=self.provider,
            response_id=self.response_id,
        )
