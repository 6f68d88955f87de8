"""``RoutedChatModel``: a LangChain chat model whose every call is routed by routed-llm's ``Router``."""

from __future__ import annotations

import logging
import sys
import threading
from collections.abc import AsyncIterator, Callable, Iterator, Mapping, Sequence
from operator import itemgetter
from typing import TYPE_CHECKING, Any, Literal, TypeVar, cast

from langchain_core.callbacks import (
    AsyncCallbackManager,
    AsyncCallbackManagerForLLMRun,
    CallbackManager,
    CallbackManagerForLLMRun,
)
from langchain_core.language_models import LangSmithParams, LanguageModelInput
from langchain_core.language_models.chat_models import BaseChatModel
from langchain_core.messages import AIMessage, AIMessageChunk, BaseMessage
from langchain_core.output_parsers import JsonOutputKeyToolsParser, JsonOutputParser, PydanticOutputParser
from langchain_core.output_parsers.openai_tools import PydanticToolsParser
from langchain_core.outputs import ChatGeneration, ChatGenerationChunk, ChatResult
from langchain_core.runnables import Runnable, RunnableMap, RunnablePassthrough
from langchain_core.runnables.config import RunnableConfig, ensure_config
from langchain_core.tools import BaseTool
from langchain_core.utils.function_calling import convert_to_json_schema
from langchain_core.utils.pydantic import is_basemodel_subclass
from pydantic import BaseModel, ConfigDict, Field, PrivateAttr, SecretStr, model_validator
from routed_llm.errors import ConfigError
from routed_llm.messages import Request, RoutingOptions, Thinking
from routed_llm.redact import redact
from routed_llm.response import Response

from langchain_routed_llm.convert import (
    ChunkConverter,
    format_tool,
    normalize_tool_choice,
    to_ai_message,
    to_neutral_messages,
    to_response_format,
    to_tool_choice,
    to_tool_spec,
    tool_names,
)

if TYPE_CHECKING:
    from routed_llm.router import Router

log = logging.getLogger("routed_llm.langchain")

DECISION_EVENT = "routed_llm.decision"
STEP_COST_EVENT = "routed_llm.step_cost"
CONFIG_KEY = "routed_llm"
ROUTING_OPTION_KEYS = ("model", "preference", "dial", "label", "session_id")
_CALL_KEYS = frozenset({
    "tools", "tool_choice", "parallel_tool_calls", "response_format", "temperature", "max_tokens",
    "max_completion_tokens", "timeout", "thinking", "reasoning_effort", "metadata", "stream",
    "thread_id", *ROUTING_OPTION_KEYS,
})
_BUILD_LOCK = threading.Lock()
_M = TypeVar("_M", CallbackManagerForLLMRun, AsyncCallbackManagerForLLMRun)


class RoutedChatModel(BaseChatModel):
    """A drop-in LangChain chat model that routes each call (agent step) to the model that fits it.

    Replace ``ChatOpenAI(model="gpt-5", ...)`` with ``RoutedChatModel(...)``: every step is
    classified, sent to a model of the session's pinned provider, retried and failed over, and its
    routing decision and cost are reported in ``response_metadata["routing"]`` and as callback
    events (``routed_llm.decision``, ``routed_llm.step_cost``).

    Setup:
        ``pip install langchain-routed-llm``; put each provider's key in its usual environment
        variable (``OPENAI_API_KEY``, ``ANTHROPIC_API_KEY``, ...) or pass ``api_key``/``api_keys``.

    Key init args (routing):
        model: pin every call to this catalog model (``None``: route). Alias ``model_name``.
        preference: ``"quality"``, ``"balanced"`` or ``"cost"``.
        dial: 0 (best quality) .. 1 (lowest cost); overrides ``preference``.
        session_id: a fixed session id (LangGraph's ``thread_id`` is used first when present).
        flagship: the model each step's baseline cost is computed on (default ``"gpt-5"``).

    Key init args (client):
        api_key: one key, applied to ``providers`` / ``provider``, else to the pinned ``model``'s
            provider, else to the flagship's provider.
        api_keys: provider name -> key, for several providers.
        temperature, max_tokens, timeout, stop, max_retries, streaming: as in ``ChatOpenAI``.

    Instantiate:
        .. code-block:: python

            from langchain_routed_llm import RoutedChatModel

            llm = RoutedChatModel(preference="balanced", temperature=0)

    Invoke / stream / tools / structured output: as any LangChain chat model.
    """

    model_config = ConfigDict(populate_by_name=True, arbitrary_types_allowed=True, protected_namespaces=())

    model: str | None = Field(default=None, alias="model_name")
    """Pin every call to this catalog model (path ``pinned``); ``None`` routes each step."""
    temperature: float | None = None
    max_tokens: int | None = Field(default=None, alias="max_completion_tokens")
    timeout: float | None = Field(default=None, alias="request_timeout")
    """Seconds per provider call (the Router's default is 60)."""
    stop: list[str] | None = Field(default=None, alias="stop_sequences")
    max_retries: int = 2
    """Retries per endpoint before the router fails over to the next model of the chain."""
    streaming: bool = False
    """Stream internally on ``invoke`` (tokens reach callbacks as they arrive)."""

    api_key: SecretStr | None = None
    """A single API key; see ``providers`` for which provider(s) it is used for."""
    api_keys: dict[str, SecretStr] | None = None
    """Provider name -> API key. Providers without a key read their environment variable."""
    provider: str | None = None
    """The provider ``api_key`` / ``base_url`` apply to (shorthand for ``providers=[provider]``)."""
    providers: list[str] | None = None
    """The providers ``api_key`` / ``base_url`` apply to."""
    base_url: str | None = None
    """A base URL (proxy, gateway) for the same provider(s) as ``api_key``."""
    base_urls: dict[str, str] | None = None
    """Provider name -> base URL."""

    preference: Literal["quality", "balanced", "cost"] | None = None
    dial: float | None = Field(default=None, ge=0.0, le=1.0)
    label: str | None = None
    """Force the task label of every step (skips the classifier; path ``pinned``)."""
    session_id: str | None = None
    thinking: Thinking | None = None
    flagship: str = "gpt-5"
    budget_per_session: Any = None
    """Dollars a session may spend (``Decimal``/``float``/``str``); ``None`` is unlimited."""

    catalog: Any = Field(default=None, repr=False)
    """A ``routed_llm.Catalog`` or a catalog file path; ``None`` for the shipped default."""
    policy: Any = Field(default=None, repr=False)
    classifier: Any = Field(default="auto", repr=False)
    """``"auto"``, ``"rules"``, ``"learned"`` or a Classifier object."""
    sessions: Any = Field(default=None, repr=False)
    """``None``/``"memory"``, a ``redis://`` URL, a SessionStore or a SessionManager."""
    router_kwargs: dict[str, Any] = Field(default_factory=dict, repr=False)
    """Any other ``Router(...)`` keyword (``reclassify``, ``window_tokens``, ``retry``, ...)."""
    router: Any = Field(default=None, repr=False, exclude=True)
    """A ready ``routed_llm.Router`` to use instead of building one from the fields above."""

    _router: Router | None = PrivateAttr(default=None)

    @model_validator(mode="after")
    def _check(self) -> RoutedChatModel:
        if self.router is not None:
            conflicting = [
                name for name in ("api_key", "api_keys", "base_url", "base_urls", "catalog", "policy",
                                  "sessions", "budget_per_session")
                if getattr(self, name) is not None
            ] + (["router_kwargs"] if self.router_kwargs else [])
            if conflicting:
                raise ValueError(
                    f"router= was given together with {conflicting}; those configure the Router, so set "
                    "them on the Router you pass (or drop router=)"
                )
        if self.max_retries < 0:
            raise ValueError("max_retries must be >= 0")
        return self

    # ------------------------------------------------------------------ identity
    @property
    def _llm_type(self) -> str:
        return "routed-llm"

    @property
    def _identifying_params(self) -> dict[str, Any]:
        return {
            "model": self.model,
            "preference": self.preference,
            "dial": self.dial,
            "label": self.label,
            "flagship": self.flagship,
            "temperature": self.temperature,
            "max_tokens": self.max_tokens,
            "stop": self.stop,
            "timeout": self.timeout,
            "max_retries": self.max_retries,
        }

    def _get_ls_params(self, stop: list[str] | None = None, **kwargs: Any) -> LangSmithParams:
        model = kwargs.get("model") or self.model or "auto"
        params = LangSmithParams(ls_provider="routed_llm", ls_model_name=str(model), ls_model_type="chat")
        temperature = kwargs.get("temperature", self.temperature)
        if isinstance(temperature, (int, float)):
            params["ls_temperature"] = float(temperature)
        max_tokens = kwargs.get("max_tokens", self.max_tokens)
        if isinstance(max_tokens, int):
            params["ls_max_tokens"] = max_tokens
        if stop := (stop or kwargs.get("stop") or self.stop):
            params["ls_stop"] = list(stop)
        return params

    # ------------------------------------------------------------------ the Router
    def get_router(self) -> Router:
        """The Router behind this model, built on first use (once per instance)."""
        if self.router is not None:
            return cast("Router", self.router)
        router = self._router
        if router is None:
            with _BUILD_LOCK:
                router = self._router
                if router is None:
                    router = self._build_router()
                    self._router = router
        return router

    def _build_router(self) -> Router:
        from routed_llm.catalog import Catalog, load_catalog
        from routed_llm.router import Router

        catalog = self.catalog if isinstance(self.catalog, Catalog) else load_catalog(self.catalog)
        targets = self._key_targets(catalog)
        keys: dict[str, SecretStr] = {}
        urls: dict[str, str] = dict(self.base_urls or {})
        for name in targets:
            if self.api_key is not None:
                keys[name] = self.api_key
            if self.base_url is not None:
                urls.setdefault(name, self.base_url)
        keys.update(self.api_keys or {})
        kwargs: dict[str, Any] = {
            "catalog": catalog,
            "policy": self.policy,
            "classifier": self.classifier,
            "sessions": self.sessions,
            "api_keys": keys,
            "base_urls": urls or None,
            "flagship": self.flagship,
            "budget_per_session": self.budget_per_session,
            "max_retries": self.max_retries,
        }
        if self.timeout is not None:
            kwargs["timeout"] = float(self.timeout)
        kwargs.update(self.router_kwargs)
        return Router(**kwargs)

    def _key_targets(self, catalog: Any) -> list[str]:
        """The providers a single ``api_key``/``base_url`` applies to (the documented rule)."""
        if self.providers:
            names = list(self.providers)
        elif self.provider:
            names = [self.provider]
        elif self.api_key is None and self.base_url is None:
            return []
        else:
            anchor = self.model or self.flagship
            try:
                names = [catalog.model(anchor).provider]
            except ConfigError as exc:
                raise ConfigError(f"cannot tell which provider api_key is for: {exc}", key="model") from exc
        for name in names:
            catalog.provider(name)
        return names

    def _secrets(self) -> list[str]:
        values = [self.api_key] if self.api_key is not None else []
        values += list((self.api_keys or {}).values())
        return [v.get_secret_value() for v in values if v.get_secret_value()]

    # ------------------------------------------------------------------ requests
    def _request(
        self,
        messages: list[BaseMessage],
        stop: list[str] | None,
        kwargs: Mapping[str, Any],
        run_manager: CallbackManagerForLLMRun | AsyncCallbackManagerForLLMRun | None,
    ) -> Request:
        unknown = sorted(set(kwargs) - _CALL_KEYS)
        if unknown:
            log.warning("RoutedChatModel ignores unsupported call arguments %s", unknown)
        config = ensure_config()
        # configurable routing keys: lifted into kwargs by invoke/stream (see _from_config); inside
        # a graph node the context config holds them as well.
        sources = [_prefixed(config.get("configurable"))]

        def option(name: str) -> Any:
            if kwargs.get(name) is not None:
                return kwargs[name]
            for source in sources:
                if source.get(name) is not None:
                    return source[name]
            return getattr(self, name)

        dial = option("dial")
        options = RoutingOptions(
            model=option("model"),
            preference=option("preference"),
            dial=None if dial is None else float(dial),
            label=option("label"),
        )
        tools = [to_tool_spec(t) for t in kwargs.get("tools") or ()]
        stops = stop if stop is not None else (kwargs.get("stop") or self.stop or ())
        max_tokens = kwargs.get("max_tokens", kwargs.get("max_completion_tokens", self.max_tokens))
        return Request(
            messages=to_neutral_messages(messages),
            tools=tuple(tools),
            tool_choice=to_tool_choice(kwargs.get("tool_choice")) if tools else None,
            parallel_tool_calls=kwargs.get("parallel_tool_calls"),
            response_format=to_response_format(kwargs.get("response_format")),
            temperature=kwargs.get("temperature", self.temperature),
            max_tokens=max_tokens,
            stop=tuple(stops),
            timeout=kwargs.get("timeout", self.timeout),
            thinking=_thinking(kwargs.get("thinking"), kwargs.get("reasoning_effort")) or self.thinking,
            session_id=_session_id(run_manager, kwargs.get("thread_id"), config, option("session_id")),
            options=options,
            metadata={"framework": "langchain", **{str(k): str(v) for k, v in (kwargs.get("metadata") or {}).items()}},
        )

    # ------------------------------------------------------------------ events
    def _payloads(self, response: Response) -> list[tuple[str, dict[str, Any]]]:
        secrets = self._secrets()
        return [
            (DECISION_EVENT, redact(response.decision.to_dict(), secrets)),
            (STEP_COST_EVENT, redact(response.cost.to_dict(), secrets)),
        ]

    def _emit(self, run_manager: CallbackManagerForLLMRun | None, response: Response) -> None:
        if not _listening(run_manager):
            return
        assert run_manager is not None
        manager = CallbackManager(**_manager_of(run_manager))
        for name, data in self._payloads(response):
            manager.on_custom_event(name, data, run_id=run_manager.run_id)

    async def _aemit(self, run_manager: AsyncCallbackManagerForLLMRun | None, response: Response) -> None:
        if not _listening(run_manager):
            return
        assert run_manager is not None
        manager = AsyncCallbackManager(**_manager_of(run_manager))
        for name, data in self._payloads(response):
            await manager.on_custom_event(name, data, run_id=run_manager.run_id)

    # ------------------------------------------------------------------ per-call configuration
    def _from_config(self, config: RunnableConfig | None, kwargs: dict[str, Any]) -> dict[str, Any]:
        """Routing options given as ``configurable={"routed_llm_dial": 0.9, "thread_id": ...}``.

        A chat model's ``_generate`` never sees ``configurable``, so the public entry points lift
        the routing keys into call kwargs here (explicit kwargs / ``.bind`` win).
        """
        configurable = ensure_config(config).get("configurable") or {}
        lifted = {k: v for k, v in _prefixed(configurable).items() if kwargs.get(k) is None}
        thread = configurable.get("thread_id")
        if thread is not None and "thread_id" not in kwargs:
            lifted["thread_id"] = str(thread)
        return {**kwargs, **lifted} if lifted else kwargs

    def invoke(
        self, input: LanguageModelInput, config: RunnableConfig | None = None, *,
        stop: list[str] | None = None, **kwargs: Any,
    ) -> AIMessage:
        return super().invoke(input, config, stop=stop, **self._from_config(config, kwargs))

    async def ainvoke(
        self, input: LanguageModelInput, config: RunnableConfig | None = None, *,
        stop: list[str] | None = None, **kwargs: Any,
    ) -> AIMessage:
        return await super().ainvoke(input, config, stop=stop, **self._from_config(config, kwargs))

    def stream(
        self, input: LanguageModelInput, config: RunnableConfig | None = None, *,
        stop: list[str] | None = None, **kwargs: Any,
    ) -> Iterator[AIMessageChunk]:
        return super().stream(input, config, stop=stop, **self._from_config(config, kwargs))

    def astream(
        self, input: LanguageModelInput, config: RunnableConfig | None = None, *,
        stop: list[str] | None = None, **kwargs: Any,
    ) -> AsyncIterator[AIMessageChunk]:
        return super().astream(input, config, stop=stop, **self._from_config(config, kwargs))

    # ------------------------------------------------------------------ calls
    def _generate(
        self,
        messages: list[BaseMessage],
        stop: list[str] | None = None,
        run_manager: CallbackManagerForLLMRun | None = None,
        **kwargs: Any,
    ) -> ChatResult:
        request = self._request(messages, stop, kwargs, run_manager)
        response = self.get_router().invoke(request)
        self._emit(run_manager, response)
        return _result(response)

    async def _agenerate(
        self,
        messages: list[BaseMessage],
        stop: list[str] | None = None,
        run_manager: AsyncCallbackManagerForLLMRun | None = None,
        **kwargs: Any,
    ) -> ChatResult:
        request = self._request(messages, stop, kwargs, run_manager)
        response = await self.get_router().ainvoke(request)
        await self._aemit(run_manager, response)
        return _result(response)

    def _stream(
        self,
        messages: list[BaseMessage],
        stop: list[str] | None = None,
        run_manager: CallbackManagerForLLMRun | None = None,
        **kwargs: Any,
    ) -> Iterator[ChatGenerationChunk]:
        passed = run_manager is not None
        manager = run_manager or _caller_run_manager(CallbackManagerForLLMRun)
        request = self._request(messages, stop, kwargs, manager)
        router = self.get_router()
        converter = ChunkConverter(_pinned_provider(router, request))
        for chunk in router.stream(request):
            message = converter.convert(chunk)
            if chunk.response is not None:
                self._emit(manager, chunk.response)
            generation = _generation_chunk(message, chunk.response)
            if passed and run_manager is not None:
                run_manager.on_llm_new_token(chunk.text, chunk=generation)
            yield generation

    async def _astream(
        self,
        messages: list[BaseMessage],
        stop: list[str] | None = None,
        run_manager: AsyncCallbackManagerForLLMRun | None = None,
        **kwargs: Any,
    ) -> AsyncIterator[ChatGenerationChunk]:
        passed = run_manager is not None
        manager = run_manager or _caller_run_manager(AsyncCallbackManagerForLLMRun)
        request = self._request(messages, stop, kwargs, manager)
        router = self.get_router()
        converter = ChunkConverter(_pinned_provider(router, request))
        async for chunk in router.astream(request):
            message = converter.convert(chunk)
            if chunk.response is not None:
                await self._aemit(manager, chunk.response)
            generation = _generation_chunk(message, chunk.response)
            if passed and run_manager is not None:
                await run_manager.on_llm_new_token(chunk.text, chunk=generation)
            yield generation

    # ------------------------------------------------------------------ tools / structured output
    def bind_tools(
        self,
        tools: Sequence[dict[str, Any] | type | Callable[..., Any] | BaseTool],
        *,
        tool_choice: str | dict[str, Any] | bool | None = None,
        parallel_tool_calls: bool | None = None,
        strict: bool | None = None,
        **kwargs: Any,
    ) -> Runnable[LanguageModelInput, AIMessage]:
        """Bind tools in any form LangChain accepts (functions, pydantic models, TypedDicts,
        ``BaseTool``s, OpenAI/Anthropic dicts).

        Args:
            tool_choice: ``"auto"``, ``"none"``, ``"any"``/``"required"`` (call some tool), a tool
                name (call that tool), ``True`` (the only tool), or an OpenAI/Anthropic choice dict.
            parallel_tool_calls: allow (``True``) or forbid (``False``) several calls per step.
            strict: ask for strict schema adherence where the routed provider supports it.
        """
        formatted = [format_tool(t, strict=strict) for t in tools]
        choice = normalize_tool_choice(tool_choice, tool_names(formatted))
        if choice is not None:
            kwargs["tool_choice"] = choice
        if parallel_tool_calls is not None:
            kwargs["parallel_tool_calls"] = parallel_tool_calls
        return super().bind(tools=formatted, **kwargs)

    def with_structured_output(
        self,
        schema: dict[str, Any] | type | None = None,
        *,
        method: Literal["function_calling", "json_schema", "json_mode"] = "function_calling",
        include_raw: bool = False,
        strict: bool | None = None,
        **kwargs: Any,
    ) -> Runnable[LanguageModelInput, dict[str, Any] | BaseModel]:
        """Return output shaped by ``schema`` (pydantic class, TypedDict, JSON schema, OpenAI tool).

        Args:
            method: ``"function_calling"`` (a forced tool call; works on every tool-capable model),
                ``"json_schema"`` (native structured output; routes only to models with the
                ``json_schema`` capability) or ``"json_mode"`` (any JSON object; describe the shape
                in the prompt).
            include_raw: return ``{"raw": AIMessage, "parsed": ..., "parsing_error": ...}``.
            strict: strict schema adherence where supported.
        """
        if kwargs:
            raise ValueError(f"unsupported arguments {sorted(kwargs)}")
        is_pydantic = isinstance(schema, type) and is_basemodel_subclass(schema)
        parser: Runnable[Any, Any]
        if method == "function_calling":
            if schema is None:
                raise ValueError("method='function_calling' needs a schema")
            tool = format_tool(schema, strict=strict)
            name = tool["function"]["name"]
            llm = self.bind_tools(
                [tool], tool_choice=name, parallel_tool_calls=False, strict=strict,
                ls_structured_output_format={"kwargs": {"method": method, "strict": strict}, "schema": tool},
            )
            if is_pydantic:
                parser = PydanticToolsParser(tools=[cast(type, schema)], first_tool_only=True)
            else:
                parser = JsonOutputKeyToolsParser(key_name=name, first_tool_only=True)
        elif method == "json_schema":
            if schema is None:
                raise ValueError("method='json_schema' needs a schema")
            json_schema = convert_to_json_schema(schema, strict=strict)
            name = str(json_schema.get("title") or "response")
            response_format = {"type": "json_schema",
                               "json_schema": {"name": name, "schema": json_schema, "strict": bool(strict)}}
            llm = self.bind(
                response_format=response_format,
                ls_structured_output_format={"kwargs": {"method": method, "strict": strict},
                                             "schema": json_schema},
            )
            parser = PydanticOutputParser(pydantic_object=cast(Any, schema)) if is_pydantic else JsonOutputParser()
        elif method == "json_mode":
            llm = self.bind(
                response_format={"type": "json_object"},
                ls_structured_output_format={"kwargs": {"method": method}, "schema": schema},
            )
            parser = PydanticOutputParser(pydantic_object=cast(Any, schema)) if is_pydantic else JsonOutputParser()
        else:
            raise ValueError(f"method must be 'function_calling', 'json_schema' or 'json_mode', got {method!r}")
        if not include_raw:
            return llm | parser
        parsed = RunnablePassthrough.assign(parsed=itemgetter("raw") | parser, parsing_error=lambda _: None)
        none = RunnablePassthrough.assign(parsed=lambda _: None)
        return RunnableMap(raw=llm) | parsed.with_fallbacks([none], exception_key="parsing_error")


# ---------------------------------------------------------------------------------------------- helpers


def _manager_of(run_manager: CallbackManagerForLLMRun | AsyncCallbackManagerForLLMRun) -> dict[str, Any]:
    """The arguments of a callback manager with the same handlers, tags and metadata as ``run_manager``
    (the routing events are dispatched through it, on the model's run id)."""
    return {
        "handlers": run_manager.handlers, "inheritable_handlers": run_manager.inheritable_handlers,
        "parent_run_id": run_manager.parent_run_id, "tags": run_manager.tags,
        "inheritable_tags": run_manager.inheritable_tags, "metadata": run_manager.metadata,
        "inheritable_metadata": run_manager.inheritable_metadata,
    }


def _listening(run_manager: CallbackManagerForLLMRun | AsyncCallbackManagerForLLMRun | None) -> bool:
    """Whether any handler of this run takes custom events: the routing events' payloads (the
    decision with its explanation) are only built for someone who receives them."""
    if run_manager is None:
        return False
    return any(not h.ignore_custom_event for h in (*run_manager.handlers, *run_manager.inheritable_handlers))


def _result(response: Response) -> ChatResult:
    message = to_ai_message(response)
    return ChatResult(generations=[ChatGeneration(message=message,
                                                  generation_info={"finish_reason": response.finish_reason})])


def _generation_chunk(message: AIMessageChunk, response: Response | None) -> ChatGenerationChunk:
    info = {"finish_reason": response.finish_reason} if response is not None else None
    return ChatGenerationChunk(message=message, generation_info=info)


def _pinned_provider(router: Any, request: Request) -> str | None:
    """The provider of a pinned model (known before the stream starts), else None."""
    if request.options.model is None:
        return None
    try:
        return str(router.catalog.model(request.options.model).provider)
    except (AttributeError, ConfigError):
        return None


def _prefixed(values: Mapping[str, Any] | None) -> dict[str, Any]:
    """``{"routed_llm_dial": 0.9}`` -> ``{"dial": 0.9}`` (only the routing option keys)."""
    prefix = CONFIG_KEY + "_"
    out: dict[str, Any] = {}
    for key, value in (values or {}).items():
        if isinstance(key, str) and key.startswith(prefix) and key[len(prefix):] in ROUTING_OPTION_KEYS:
            out[key[len(prefix):]] = value
    return out


def _thinking(value: Any, effort: Any) -> Thinking | None:
    if isinstance(value, Thinking):
        return value
    if value is True:
        return Thinking()
    if isinstance(value, Mapping) and value.get("type", "enabled") == "enabled":
        return Thinking(budget_tokens=int(value.get("budget_tokens", 1024)), effort=value.get("effort"))
    if effort in ("low", "medium", "high"):
        return Thinking(effort=effort)
    return None


def _session_id(
    run_manager: CallbackManagerForLLMRun | AsyncCallbackManagerForLLMRun | None,
    lifted: Any,
    config: Mapping[str, Any],
    explicit: Any,
) -> str | None:
    """LangGraph's ``thread_id`` (run metadata, then ``configurable``), then an explicit session id."""
    if run_manager is not None:
        thread = (run_manager.metadata or {}).get("thread_id")
        if thread:
            return str(thread)
    thread = lifted or (config.get("configurable") or {}).get("thread_id")
    if thread:
        return str(thread)
    return None if explicit is None else str(explicit)


def _caller_run_manager(kind: type[_M]) -> _M | None:
    """The run manager of the ``BaseChatModel.stream``/``astream`` (or ``_generate_with_cache``)
    call that is iterating this ``_stream``.

    LangChain calls ``_stream(messages, stop, **kwargs)`` without its run manager, so custom
    events could not reach the run's handlers (nor ``astream_events``). The calling frame holds it
    as the local ``run_manager``; it is only used when it is exactly a run manager of ``kind``.
    The routing data is in the final chunk's ``response_metadata["routing"]`` regardless.
    """
    try:
        frame = sys._getframe(2)  # 0: this function, 1: _stream/_astream, 2: the iterating caller
    except ValueError:
        return None
    candidate = frame.f_locals.get("run_manager")
    return candidate if isinstance(candidate, kind) else None
