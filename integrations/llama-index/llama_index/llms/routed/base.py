"""``RoutedLLM``: routed-llm's task-aware router as a LlamaIndex ``FunctionCallingLLM``.

Every call is one routed step: the core ``Router`` classifies it, picks a model within the
session's pinned provider, runs it with fallbacks and prices it. The answer comes back as
LlamaIndex blocks (``TextBlock``, ``ThinkingBlock``, ``ToolCallBlock``); the routing record
rides in ``ChatResponse.additional_kwargs["routing"]`` and is emitted as ``RoutingDecisionEvent``
and ``StepCostEvent`` through the instrumentation dispatcher.
"""

from __future__ import annotations

import os
import threading
import uuid
from collections.abc import AsyncIterator, Iterator, Mapping, Sequence
from contextlib import contextmanager
from contextvars import ContextVar
from decimal import Decimal
from typing import TYPE_CHECKING, Any, Literal

from llama_index.core.base.llms.types import (
    ChatMessage,
    ChatResponse,
    ChatResponseAsyncGen,
    ChatResponseGen,
    CompletionResponse,
    CompletionResponseAsyncGen,
    CompletionResponseGen,
    LLMMetadata,
    MessageRole,
    ToolCallBlock,
)
from llama_index.core.bridge.pydantic import BaseModel, Field, PrivateAttr, SecretStr, field_serializer
from llama_index.core.llms.callbacks import llm_chat_callback, llm_completion_callback
from llama_index.core.llms.function_calling import FunctionCallingLLM
from llama_index.core.llms.llm import ToolSelection
from llama_index_instrumentation import get_dispatcher
from llama_index_instrumentation.dispatcher import active_instrument_tags, instrument_tags
from routed_llm.catalog import Catalog
from routed_llm.messages import Request, ResponseFormat, RoutingOptions, Thinking
from routed_llm.response import Response, StreamChunk

from llama_index.llms.routed.convert import (
    StreamAccumulator,
    openai_tool_calls,
    to_chat_response,
    to_core_messages,
    to_tool_choice,
    to_tool_spec,
    tool_selections,
)
from llama_index.llms.routed.events import RoutingDecisionEvent, StepCostEvent

if TYPE_CHECKING:
    from llama_index.core.tools.types import BaseTool
    from routed_llm.router import Router
    from routed_llm.testing import Emulator

dispatcher = get_dispatcher(__name__)

SESSION_TAG = "session_id"
DEFAULT_MODEL_NAME = "routed-llm"

# Session ids set by ``RoutedLLM.session()``, per LLM instance, for the current context.
_SESSIONS: ContextVar[Mapping[int, str] | None] = ContextVar("routed_llm_llama_index_sessions", default=None)

# Keyword arguments a call may carry that become part of the core Request; anything else that
# LlamaIndex passes through (``formatted``, ``verbose`` ...) is ignored.
_REQUEST_KWARGS = frozenset(
    {
        "tools", "tool_choice", "tool_required", "parallel_tool_calls", "response_format",
        "temperature", "max_tokens", "stop", "timeout", "thinking", "session_id",
        "model", "preference", "dial", "label", "metadata",
    }
)


class RoutedLLM(FunctionCallingLLM):
    """A LlamaIndex LLM that routes every step to the model that fits its task.

    Examples:
        ```python
        from llama_index.llms.routed import RoutedLLM
        from llama_index.core.agent.workflow import FunctionAgent

        llm = RoutedLLM(preference="balanced")          # keys from OPENAI_API_KEY, ANTHROPIC_API_KEY ...
        agent = FunctionAgent(tools=[search, fetch], llm=llm)
        with llm.session("user-42"):
            result = await agent.run("Find the latest release notes and summarise them")
        ```
    """

    # ------------------------------------------------------------------ per-request routing
    model: str | None = Field(default=None, description="Pin every call to this model (no routing).")
    preference: Literal["quality", "balanced", "cost"] | None = Field(
        default=None, description="A named point on the cost/quality dial."
    )
    dial: float | None = Field(
        default=None, ge=0.0, le=1.0, description="Cost/quality dial per request: 0 = quality, 1 = cost."
    )
    session_id: str | None = Field(
        default=None,
        description="Default session id. `with llm.session(id)` and the `session_id` instrument tag "
        "override it; without any, the router derives one from the opening messages.",
    )
    temperature: float | None = Field(default=None, ge=0.0, le=2.0)
    max_tokens: int | None = Field(default=None, gt=0, description="Output token limit per call.")
    stop: list[str] | None = Field(default=None)
    timeout: float | None = Field(default=None, gt=0, description="Per-call timeout in seconds.")
    thinking_budget: int | None = Field(
        default=None, gt=0, description="Enable extended thinking with this many budget tokens."
    )
    reasoning_effort: Literal["low", "medium", "high"] | None = Field(default=None)

    # ------------------------------------------------------------------ router construction
    catalog: str | None = Field(default=None, description="Catalog file; None = the shipped default.")
    policy: str | None = Field(default=None, description="Policy file; None = the shipped default.")
    classifier: str = Field(default="auto", description='"auto", "rules" or "learned".')
    sessions: str | None = Field(default=None, description='None / "memory" or a "redis://" URL.')
    api_keys: dict[str, SecretStr] = Field(
        default_factory=dict, description="Provider name -> API key (else the provider's env var)."
    )
    base_urls: dict[str, str] = Field(default_factory=dict, description="Provider name -> base URL.")
    flagship: str = Field(default="gpt-5", description="The model baseline costs are computed on.")
    budget_per_session: Decimal | None = Field(default=None, ge=0)
    default_dial: float = Field(default=0.5, ge=0.0, le=1.0, description="The router's default dial.")
    request_timeout: float = Field(default=60.0, gt=0, description="Default provider timeout (s).")
    max_retries: int = Field(default=2, ge=0)

    # ------------------------------------------------------------------ metadata overrides
    context_window: int | None = Field(default=None, gt=0, description="Override metadata.context_window.")
    num_output: int | None = Field(default=None, gt=0, description="Override metadata.num_output.")

    _router: Router | None = PrivateAttr(default=None)
    _router_lock: threading.Lock = PrivateAttr(default_factory=threading.Lock)
    _catalog: Catalog | None = PrivateAttr(default=None)

    def __init__(self, *, router: Router | None = None, **kwargs: Any) -> None:
        """``router``: use this core Router instead of building one from the fields."""
        super().__init__(**kwargs)
        self._router = router

    @classmethod
    def class_name(cls) -> str:
        return "RoutedLLM"

    @field_serializer("api_keys")
    def _mask_keys(self, keys: dict[str, SecretStr]) -> dict[str, str]:
        # Serialized forms (to_dict / to_json / model_dump) never carry a key, only that one is set.
        return {name: "**********" for name in keys}

    @field_serializer("budget_per_session")
    def _budget_str(self, budget: Decimal | None) -> str | None:
        return None if budget is None else str(budget)

    @classmethod
    def for_emulator(cls, emulator: Emulator, **kwargs: Any) -> RoutedLLM:
        """A RoutedLLM whose router points at a running ``routed_llm.testing.Emulator``."""
        from routed_llm.router import Router

        llm = cls(**kwargs)
        router_kwargs = llm._router_kwargs()
        router_kwargs.pop("base_urls", None)
        keys = router_kwargs.pop("api_keys", None)
        llm._router = Router.for_emulator(emulator, api_keys=keys, **router_kwargs)
        return llm

    # ------------------------------------------------------------------ the core router
    def _router_kwargs(self) -> dict[str, Any]:
        return {
            "catalog": self.catalog,
            "policy": self.policy,
            "classifier": self.classifier,
            "sessions": self.sessions,
            "api_keys": dict(self.api_keys) or None,
            "base_urls": dict(self.base_urls) or None,
            "flagship": self.flagship,
            "budget_per_session": self.budget_per_session,
            "dial": self.default_dial,
            "timeout": self.request_timeout,
            "max_retries": self.max_retries,
        }

    @property
    def router(self) -> Router:
        """The core Router, built on first use (once per instance)."""
        router = self._router
        if router is None:
            with self._router_lock:
                router = self._router
                if router is None:
                    from routed_llm.router import Router

                    router = Router(**self._router_kwargs())
                    self._router = router
        return router

    def _catalog_view(self) -> tuple[Catalog, frozenset[str]]:
        """The catalog and the providers with a key, without building the Router if not built."""
        if self._router is not None:
            return self._router.catalog, self._router.available_providers()
        if self._catalog is None:
            from routed_llm.catalog import load_catalog

            self._catalog = load_catalog(self.catalog)
        catalog = self._catalog
        available = frozenset(
            name for name, spec in catalog.providers.items()
            if name in self.api_keys or os.environ.get(spec.api_key_env)
        )
        return catalog, available

    @property
    def metadata(self) -> LLMMetadata:
        """Limits that hold for every model this LLM may route to (the smallest of each)."""
        context_window, num_output = self.context_window, self.num_output
        if context_window is None or num_output is None:
            catalog, available = self._catalog_view()
            if self.model is not None:
                specs = [catalog.model(self.model)]
            else:
                specs = [m for m in catalog.models.values() if not available or m.provider in available]
                specs = specs or list(catalog.models.values())
            if context_window is None:
                context_window = min(m.context_window for m in specs)
            if num_output is None:
                num_output = min(m.max_output_tokens for m in specs)
        return LLMMetadata(
            context_window=context_window,
            num_output=num_output,
            is_chat_model=True,
            is_function_calling_model=True,
            model_name=self.model or DEFAULT_MODEL_NAME,
            system_role=MessageRole.SYSTEM,
        )

    # ------------------------------------------------------------------ sessions
    @contextmanager
    def session(self, session_id: str | None = None) -> Iterator[str]:
        """Route every call of this LLM inside the block as session ``session_id`` (a new id when
        omitted), and tag every instrumentation event of the block with it."""
        sid = session_id or uuid.uuid4().hex
        token = _SESSIONS.set({**(_SESSIONS.get() or {}), id(self): sid})
        try:
            with instrument_tags({**active_instrument_tags.get(), SESSION_TAG: sid}):
                yield sid
        finally:
            _SESSIONS.reset(token)

    def current_session_id(self, explicit: str | None = None) -> str | None:
        """The session a call made now would use: the explicit id, ``llm.session()``, the
        ``session_id`` instrument tag, then the ``session_id`` field (None: the router derives one)."""
        if explicit:
            return explicit
        scoped = (_SESSIONS.get() or {}).get(id(self))
        if scoped:
            return scoped
        tagged = active_instrument_tags.get().get(SESSION_TAG)
        if tagged:
            return str(tagged)
        return self.session_id

    # ------------------------------------------------------------------ request building
    def _request(self, messages: Sequence[ChatMessage], kwargs: Mapping[str, Any]) -> Request:
        kw = {k: v for k, v in kwargs.items() if k in _REQUEST_KWARGS}
        tools = tuple(to_tool_spec(t) for t in (kw.get("tools") or ()))
        choice = to_tool_choice(kw.get("tool_choice"), bool(kw.get("tool_required", False))) if tools else None
        stop = kw.get("stop", self.stop)
        thinking = kw.get("thinking")
        if thinking is None and (self.thinking_budget is not None or self.reasoning_effort is not None):
            thinking = Thinking(budget_tokens=self.thinking_budget or 1024, effort=self.reasoning_effort)
        metadata = {"framework": "llama_index", **dict(kw.get("metadata") or {})}
        return Request(
            messages=to_core_messages(messages),
            tools=tools,
            tool_choice=choice,
            parallel_tool_calls=kw.get("parallel_tool_calls") if tools else None,
            response_format=_response_format(kw.get("response_format")),
            temperature=kw.get("temperature", self.temperature),
            max_tokens=kw.get("max_tokens", self.max_tokens),
            stop=tuple([stop] if isinstance(stop, str) else (stop or ())),
            timeout=kw.get("timeout", self.timeout),
            thinking=thinking,
            session_id=self.current_session_id(kw.get("session_id")),
            options=RoutingOptions(
                model=kw.get("model", self.model),
                preference=kw.get("preference", self.preference),
                dial=kw.get("dial", self.dial),
                label=kw.get("label"),
            ),
            metadata={str(k): str(v) for k, v in metadata.items()},
        )

    def _finish(self, response: Response) -> ChatResponse:
        """Emit the step's events and convert the response (routing records redacted)."""
        secrets = tuple(key.get_secret_value() for key in self.api_keys.values())
        tags = {SESSION_TAG: response.decision.session_id} if response.decision.session_id else {}
        decision = RoutingDecisionEvent.from_record(response.decision, secrets=secrets, tags=dict(tags))
        cost = StepCostEvent.from_record(response.cost, secrets=secrets, tags=dict(tags))
        dispatcher.event(decision)
        dispatcher.event(cost)
        chat = to_chat_response(response)
        chat.additional_kwargs["routing"] = decision.to_dict()
        chat.additional_kwargs["step_cost"] = cost.to_dict()
        return chat

    # ------------------------------------------------------------------ chat
    def _chat(self, messages: Sequence[ChatMessage], **kwargs: Any) -> ChatResponse:
        return self._finish(self.router.invoke(self._request(messages, kwargs)))

    async def _achat(self, messages: Sequence[ChatMessage], **kwargs: Any) -> ChatResponse:
        return self._finish(await self.router.ainvoke(self._request(messages, kwargs)))

    def _stream_chat(self, messages: Sequence[ChatMessage], **kwargs: Any) -> ChatResponseGen:
        request = self._request(messages, kwargs)

        def gen() -> ChatResponseGen:
            acc = StreamAccumulator()
            for chunk in self.router.stream(request):
                yield self._chunk_response(acc, chunk)

        return gen()

    def _chunk_response(self, acc: StreamAccumulator, chunk: StreamChunk) -> ChatResponse:
        """One streamed chunk as a ChatResponse: a delta, or the final (routed, priced) answer."""
        if chunk.response is not None:
            final = self._finish(chunk.response)
            final.delta = ""
            return final
        acc.add(chunk.text, chunk.reasoning, chunk.tool_call)
        return _delta_response(acc, chunk.text, chunk.reasoning)

    async def _astream_chat(self, messages: Sequence[ChatMessage], **kwargs: Any) -> ChatResponseAsyncGen:
        request = self._request(messages, kwargs)

        async def gen() -> ChatResponseAsyncGen:
            acc = StreamAccumulator()
            stream: AsyncIterator[Any] = self.router.astream(request)
            async for chunk in stream:
                yield self._chunk_response(acc, chunk)

        return gen()

    @llm_chat_callback()
    def chat(self, messages: Sequence[ChatMessage], **kwargs: Any) -> ChatResponse:
        return self._chat(messages, **kwargs)

    @llm_chat_callback()
    async def achat(self, messages: Sequence[ChatMessage], **kwargs: Any) -> ChatResponse:
        return await self._achat(messages, **kwargs)

    @llm_chat_callback()
    def stream_chat(self, messages: Sequence[ChatMessage], **kwargs: Any) -> ChatResponseGen:
        return self._stream_chat(messages, **kwargs)

    @llm_chat_callback()
    async def astream_chat(self, messages: Sequence[ChatMessage], **kwargs: Any) -> ChatResponseAsyncGen:
        return await self._astream_chat(messages, **kwargs)

    # ------------------------------------------------------------------ complete
    @llm_completion_callback()
    def complete(self, prompt: str, formatted: bool = False, **kwargs: Any) -> CompletionResponse:
        return _completion(self._chat([_user(prompt)], **kwargs))

    @llm_completion_callback()
    async def acomplete(self, prompt: str, formatted: bool = False, **kwargs: Any) -> CompletionResponse:
        return _completion(await self._achat([_user(prompt)], **kwargs))

    @llm_completion_callback()
    def stream_complete(self, prompt: str, formatted: bool = False, **kwargs: Any) -> CompletionResponseGen:
        chat_gen = self._stream_chat([_user(prompt)], **kwargs)

        def gen() -> CompletionResponseGen:
            for response in chat_gen:
                yield _completion(response)

        return gen()

    @llm_completion_callback()
    async def astream_complete(
        self, prompt: str, formatted: bool = False, **kwargs: Any
    ) -> CompletionResponseAsyncGen:
        chat_gen = await self._astream_chat([_user(prompt)], **kwargs)

        async def gen() -> CompletionResponseAsyncGen:
            async for response in chat_gen:
                yield _completion(response)

        return gen()

    # ------------------------------------------------------------------ tools
    def _prepare_chat_with_tools(
        self,
        tools: Sequence[BaseTool],
        user_msg: str | ChatMessage | None = None,
        chat_history: list[ChatMessage] | None = None,
        verbose: bool = False,
        allow_parallel_tool_calls: bool = False,
        tool_required: bool = False,
        tool_choice: str | dict[str, Any] | None = None,
        **kwargs: Any,
    ) -> dict[str, Any]:
        messages = list(chat_history or [])
        if user_msg is not None:
            messages.append(_user(user_msg) if isinstance(user_msg, str) else user_msg)
        specs = [to_tool_spec(t) for t in tools]
        out: dict[str, Any] = {"messages": messages, **kwargs}
        if specs:
            out["tools"] = specs
            out["tool_choice"] = to_tool_choice(tool_choice, tool_required) or "auto"
            out["parallel_tool_calls"] = allow_parallel_tool_calls
        return out

    def _validate_chat_with_tools_response(
        self,
        response: ChatResponse,
        tools: Sequence[BaseTool],
        allow_parallel_tool_calls: bool = False,
        **kwargs: Any,
    ) -> ChatResponse:
        if not allow_parallel_tool_calls:
            force_single_tool_call(response)
        return response

    def get_tool_calls_from_response(
        self,
        response: ChatResponse,
        error_on_no_tool_call: bool = True,
        **kwargs: Any,
    ) -> list[ToolSelection]:
        """The tool calls of ``response``; partial JSON arguments (mid-stream) are parsed leniently."""
        selections = tool_selections(response.message)
        if not selections and error_on_no_tool_call:
            raise ValueError(f"Expected at least one tool call, but got {len(selections)} tool calls.")
        return selections


def force_single_tool_call(response: ChatResponse) -> None:
    """Keep only the first tool call of ``response`` (when parallel calls were not allowed)."""
    blocks = response.message.blocks
    calls = [b for b in blocks if isinstance(b, ToolCallBlock)]
    if len(calls) <= 1:
        return
    first = calls[0]
    response.message.blocks = [b for b in blocks if not isinstance(b, ToolCallBlock) or b is first]
    response.message.additional_kwargs["tool_calls"] = openai_tool_calls(response.message.blocks)


def _user(prompt: str) -> ChatMessage:
    return ChatMessage(role=MessageRole.USER, content=prompt)


def _delta_response(acc: StreamAccumulator, text: str, reasoning: str) -> ChatResponse:
    kwargs: dict[str, Any] = {}
    if reasoning:
        kwargs["thinking_delta"] = reasoning
    return ChatResponse(message=acc.message(), delta=text, additional_kwargs=kwargs)


def _completion(response: ChatResponse) -> CompletionResponse:
    return CompletionResponse(
        text=response.message.content or "",
        delta=response.delta,
        raw=response.raw,
        additional_kwargs=response.additional_kwargs,
    )


def _response_format(value: Any) -> ResponseFormat | None:
    """A ResponseFormat from itself, a pydantic class, or an OpenAI-style ``response_format`` dict."""
    if value is None or isinstance(value, ResponseFormat):
        return value
    if isinstance(value, type) and issubclass(value, BaseModel):
        return ResponseFormat(schema=value.model_json_schema(), name=value.__name__)
    if isinstance(value, Mapping):
        kind = value.get("type")
        if kind == "json_object":
            return ResponseFormat(schema=None)
        if kind == "json_schema":
            spec = value.get("json_schema") or {}
            return ResponseFormat(
                schema=spec.get("schema"), name=str(spec.get("name") or "response"),
                strict=bool(spec.get("strict", True)),
            )
        return ResponseFormat(schema=value)
    raise TypeError(
        f"response_format must be a ResponseFormat, a pydantic model class or a dict, got {type(value).__name__}"
    )


__all__ = ["RoutedLLM", "force_single_tool_call"]
