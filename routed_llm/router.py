"""Router: the single entry point. Classify the step, choose a chain, run it, price it, report it.

    router = Router()                                   # keys from OPENAI_API_KEY, ANTHROPIC_API_KEY, ...
    response = router.invoke(Request((Message.user("Summarize: ..."),)))
    response.decision.model, response.decision.label, response.cost.cost
"""

from __future__ import annotations

import logging
import os
import threading
import time
import uuid
from collections import OrderedDict
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, replace
from decimal import Decimal
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal, cast

from routed_llm.catalog import Catalog, ModelSpec, load_catalog
from routed_llm.classify import (
    Classification,
    Classifier,
    load_classifier,
    required_capabilities,
    step_window,
)
from routed_llm.classify.window import turn_key
from routed_llm.costs import estimate_cost, from_nanos, price, to_nanos
from routed_llm.errors import BudgetExceededError, ConfigError, ProviderError
from routed_llm.events import Attempt, Listeners, RoutingDecision, ShadowResult, StepCost
from routed_llm.execute import Execution, Executor, RetryPolicy
from routed_llm.labels import Label, check_label
from routed_llm.messages import (
    Message,
    ProviderResponse,
    Request,
    ToolCallDelta,
    validate_request,
)
from routed_llm.policy import Cascade, Policy, PolicyConfig, Route, load_policy
from routed_llm.providers.base import ProviderAdapter, make_adapter
from routed_llm.response import Response, StreamChunk
from routed_llm.sessions import SessionManager, SessionStore, open_store
from routed_llm.tokens import estimate_request_tokens

if TYPE_CHECKING:
    from pydantic import SecretStr

    from routed_llm.testing import Emulator

log = logging.getLogger("routed_llm.router")

ClassifierSpec = Classifier | Literal["auto", "rules", "learned"]
Reclassify = Literal["every_step", "user_turn"]
DEFAULT_EXPECTED_OUTPUT = 512
UNCLASSIFIED = "unclassified"  # the label a decision reports for a pinned model with no label given


@dataclass(frozen=True, slots=True)
class _Plan:
    """Everything decided before the provider is called."""

    request: Request
    session_id: str
    classification: Classification
    route: Route
    dial: float
    required: frozenset[str]
    pinned_provider: str | None
    started: float
    step_id: str
    cooling: dict[str, float] | None  # cooldowns read to route; the executor reuses them (None: reads)


class Router:
    """Route each agent step to the model that fits its task.

    Args:
        catalog: a Catalog, a catalog file path, or None for the shipped default.
        policy: a PolicyConfig, a policy file path / mapping, or None for the shipped default.
        classifier: "auto" (learned if the classifier extra is installed, else rules), "rules",
            "learned", or any object with the Classifier interface.
        sessions: None / "memory" (in-process LRU), a "redis://" URL, a SessionStore or a SessionManager.
        api_keys: provider name -> key. Providers without one read the env var the catalog names.
        base_urls: provider name -> base URL override (a proxy, the emulator, a local server).
        flagship: the model every step's baseline cost is computed on (default: the policy's).
        budget_per_session: dollars a session may spend; a step that would exceed it is refused
            before any provider is called.
        dial: default cost/quality dial, 0 = best quality, 1 = lowest cost.
        reclassify: "every_step" or "user_turn" (tool-result steps reuse the turn's label).
        capability_labels: capability -> label, e.g. {"vision": "chat", "json_schema": "extraction"}:
            a step that needs that capability skips classification and is routed as that label
            (path ``pinned``). By default capabilities only constrain the candidates.
    """

    def __init__(
        self,
        *,
        catalog: Catalog | str | Path | None = None,
        policy: PolicyConfig | str | Path | Mapping[str, Any] | None = None,
        classifier: ClassifierSpec = "auto",
        sessions: SessionManager | SessionStore | str | None = None,
        api_keys: Mapping[str, str | SecretStr] | None = None,
        base_urls: Mapping[str, str] | None = None,
        flagship: str | None = None,
        budget_per_session: Decimal | float | str | None = None,
        listeners: Sequence[object] = (),
        dial: float = 0.5,
        timeout: float = 60.0,
        max_retries: int = 2,
        retry: RetryPolicy | None = None,
        reclassify: Reclassify = "every_step",
        window_tokens: int = 256,
        capability_labels: Mapping[str, str] | None = None,
    ) -> None:
        cat = catalog if isinstance(catalog, Catalog) else load_catalog(catalog)
        if base_urls:
            cat = cat.with_base_urls(base_urls)
        self.catalog = cat
        if not 0.0 <= dial <= 1.0:
            raise ConfigError(f"dial must be between 0 (quality) and 1 (cost), got {dial}", key="dial")
        if reclassify not in ("every_step", "user_turn"):
            raise ConfigError("reclassify must be 'every_step' or 'user_turn'", key="reclassify")
        if max_retries < 0:
            raise ConfigError("max_retries must be >= 0", key="max_retries")
        if not timeout > 0:
            raise ConfigError(f"timeout must be a positive number of seconds, got {timeout}", key="timeout")
        if window_tokens < 1:
            raise ConfigError(f"window_tokens must be >= 1, got {window_tokens}", key="window_tokens")
        self.dial = dial
        self.timeout = timeout
        self.reclassify: Reclassify = reclassify
        self.window_tokens = window_tokens
        self.capability_labels: dict[str, str] = {}
        for cap, lab in (capability_labels or {}).items():
            if cap not in ("tools", "vision", "json_schema", "reasoning"):
                raise ConfigError(f"capability_labels: unknown capability {cap!r}; use tools, vision, "
                                  "json_schema or reasoning", key=f"capability_labels.{cap}")
            self.capability_labels[cap] = check_label(lab, key=f"capability_labels.{cap}")
        self.budget_per_session = _budget(budget_per_session)
        config = policy if isinstance(policy, PolicyConfig) else (load_policy(policy) if policy is not None else None)
        self.policy = Policy(cat, config, judge=None)
        self.flagship: ModelSpec = self._flagship(flagship or self.policy.config.flagship)
        self.classifier: Classifier = (
            load_classifier(classifier) if isinstance(classifier, str) else classifier
        )
        if isinstance(sessions, SessionManager):
            self.sessions = sessions
        else:
            store = sessions if (sessions is not None and not isinstance(sessions, str)) else open_store(sessions)
            self.sessions = SessionManager(store, catalog=cat)
        self._keys: dict[str, SecretStr] = {}
        if api_keys:
            from pydantic import SecretStr  # only now: importing pydantic costs a tenth of a second
        for name, key in (api_keys or {}).items():
            cat.provider(name)
            self._keys[name] = key if isinstance(key, SecretStr) else SecretStr(key)
        self._adapters: dict[str, ProviderAdapter] = {}
        self._adapters_lock = threading.Lock()
        self.executor = Executor(
            self._adapter, self.sessions.store, retry or RetryPolicy(max_retries=max_retries)
        )
        self.listeners = Listeners()
        for listener in listeners:
            self.listeners.add(listener)
        self._model_keys = tuple(m.key for m in cat.models.values())
        self._turn_labels: OrderedDict[str, Classification] = OrderedDict()  # reclassify="user_turn"
        self._turn_lock = threading.Lock()
        self._shadow_pool: ThreadPoolExecutor | None = None

    # ------------------------------------------------------------------ construction helpers
    def _flagship(self, name: str) -> ModelSpec:
        try:
            return self.catalog.model(name)
        except ConfigError as exc:
            raise ConfigError(f"flagship: {exc}", key="flagship") from exc

    @classmethod
    def for_emulator(cls, emulator: Emulator, **kwargs: Any) -> Router:
        """A Router whose every provider points at a running ``routed_llm.testing.Emulator``."""
        catalog = kwargs.pop("catalog", None)
        cat = catalog if isinstance(catalog, Catalog) else load_catalog(catalog)
        base_urls = {name: emulator.base_url(name) for name in cat.providers}
        keys: dict[str, str | SecretStr] = {name: f"emulator-key-{name}" for name in cat.providers}
        keys.update(kwargs.pop("api_keys", {}) or {})
        return cls(catalog=cat, base_urls=base_urls, api_keys=keys, **kwargs)

    def __repr__(self) -> str:
        return (
            f"Router(models={len(self.catalog.models)}, providers={sorted(self.catalog.providers)}, "
            f"classifier={getattr(self.classifier, 'name', type(self.classifier).__name__)}, "
            f"flagship={self.flagship.name!r}, dial={self.dial})"
        )

    def add_listener(self, listener: object) -> None:
        self.listeners.add(listener)

    def remove_listener(self, listener: object) -> None:
        self.listeners.remove(listener)

    def available_providers(self) -> frozenset[str]:
        """Providers with an API key (given to the constructor or set in the environment)."""
        return frozenset(
            name for name, spec in self.catalog.providers.items()
            if name in self._keys or os.environ.get(spec.api_key_env)
        )

    def _adapter(self, model: ModelSpec) -> ProviderAdapter:
        adapter = self._adapters.get(model.provider)
        if adapter is None:
            with self._adapters_lock:
                adapter = self._adapters.get(model.provider)
                if adapter is None:
                    spec = self.catalog.provider(model.provider)
                    adapter = make_adapter(spec, self._keys.get(model.provider), default_timeout=self.timeout)
                    self._adapters[model.provider] = adapter
        return adapter

    def close(self) -> None:
        for adapter in self._adapters.values():
            adapter.close()
        if self._shadow_pool is not None:
            self._shadow_pool.shutdown(wait=False)

    async def aclose(self) -> None:
        for adapter in self._adapters.values():
            await adapter.aclose()

    # ------------------------------------------------------------------ planning
    def _classify(self, request: Request, session_id: str, required: frozenset[str]) -> Classification:
        opts = request.options
        if opts.model is not None and opts.label is None:
            # a pinned model skips classification; the decision says so rather than guess a label
            return Classification(label=cast(Label, UNCLASSIFIED), confidence=1.0, path="pinned",
                                  probabilities={}, latency_ms=0.0)
        if opts.label is not None:
            label = check_label(opts.label, key="options.label")
            return Classification(label=label, confidence=1.0, path="pinned", probabilities={label: 1.0},
                                  latency_ms=0.0)
        for cap in sorted(required & self.capability_labels.keys()):
            label = check_label(self.capability_labels[cap])
            return Classification(label=label, confidence=1.0, path="pinned", probabilities={label: 1.0},
                                  latency_ms=0.0)
        key = None
        if self.reclassify == "user_turn":
            key = f"{session_id}:{turn_key(request.messages)}"
            with self._turn_lock:
                cached = self._turn_labels.get(key)
                if cached is not None:
                    self._turn_labels.move_to_end(key)
                    return cached
        result = self.classifier.classify(step_window(request.messages, budget_tokens=self.window_tokens))
        if key is not None:
            with self._turn_lock:
                self._turn_labels[key] = result
                if len(self._turn_labels) > 10_000:
                    self._turn_labels.popitem(last=False)
        return result

    def _route(self, request: Request, classification: Classification, required: frozenset[str],
               pinned: str | None, dial: float, estimate: int, cooling: Mapping[str, float] | None) -> Route:
        available = self.available_providers()
        if request.options.model is not None:
            return self.policy.pin(request.options.model, request, available_providers=available)
        return self.policy.route(
            classification.label, request, required=required, pinned_provider=pinned,
            available_providers=available, cooling=cooling or (), dial=dial,
            estimated_input_tokens=estimate,
        )

    def _pre(self, request: Request, classified: Classification | None = None
             ) -> tuple[Request, str, float, frozenset[str], int, Classification]:
        validate_request(request)
        session_id = self.sessions.resolve_id(request)
        if request.session_id != session_id:
            request = replace(request, session_id=session_id)
        dial = request.options.effective_dial(self.dial)
        required = required_capabilities(request)
        estimate = estimate_request_tokens(request)
        classification = classified or self._classify(request, session_id, required)
        return request, session_id, dial, required, estimate, classification

    def _plan(self, request: Request, classified: Classification | None = None) -> _Plan:
        started = time.perf_counter()
        request, session_id, dial, required, estimate, classification = self._pre(request, classified)
        pinned = self.sessions.pinned_provider(session_id, request)
        cooling = self.sessions.store.cooldowns(self._model_keys) if request.options.model is None else None
        route = self._route(request, classification, required, pinned, dial, estimate, cooling)
        if pinned is None:
            pinned = self.sessions.pin(session_id, route.chain[0].provider)
            if pinned != route.chain[0].provider:
                route = self._route(request, classification, required, pinned, dial, estimate, cooling)
        self._check_budget(self.sessions.store.get_spend(session_id)[0], session_id, route, request, estimate)
        return _Plan(request, session_id, classification, route, dial, required, pinned, started,
                     uuid.uuid4().hex[:16], cooling)

    async def _aplan(self, request: Request) -> _Plan:
        started = time.perf_counter()
        request, session_id, dial, required, estimate, classification = self._pre(request)
        pinned = await self.sessions.apinned_provider(session_id, request)
        cooling = await self.sessions.store.acooldowns(self._model_keys) if request.options.model is None else None
        route = self._route(request, classification, required, pinned, dial, estimate, cooling)
        if pinned is None:
            pinned = await self.sessions.apin(session_id, route.chain[0].provider)
            if pinned != route.chain[0].provider:
                route = self._route(request, classification, required, pinned, dial, estimate, cooling)
        spent = (await self.sessions.store.aget_spend(session_id))[0]
        self._check_budget(spent, session_id, route, request, estimate)
        return _Plan(request, session_id, classification, route, dial, required, pinned, started,
                     uuid.uuid4().hex[:16], cooling)

    def _check_budget(self, spent_nanos: int, session_id: str, route: Route, request: Request,
                      estimate: int) -> None:
        if self.budget_per_session is None:
            return
        spent = from_nanos(spent_nanos)
        output = request.max_tokens or DEFAULT_EXPECTED_OUTPUT
        expected = estimate_cost(estimate, output, route.chain[0])
        if spent + expected > self.budget_per_session:
            raise BudgetExceededError(
                f"session {session_id!r} has spent ${spent:.6f} of its ${self.budget_per_session} budget; "
                f"this step is estimated at ${expected:.6f} on {route.chain[0].key}, which would exceed it. "
                "Raise budget_per_session, lower max_tokens, or start a new session.",
                session_id=session_id,
            )

    def _prepare(self, plan: _Plan) -> Callable[[ModelSpec], Request]:
        def prepare(model: ModelSpec) -> Request:
            return self.sessions.prepare(plan.session_id, plan.request, model)

        return prepare

    def _execute(self, plan: _Plan, chain: Sequence[ModelSpec]) -> Execution:
        return self.executor.run(chain, self._prepare(plan), plan.request.timeout, cooling=plan.cooling)

    async def _aexecute(self, plan: _Plan, chain: Sequence[ModelSpec]) -> Execution:
        return await self.executor.arun(chain, self._aprepare(plan), plan.request.timeout, cooling=plan.cooling)

    def _aprepare(self, plan: _Plan) -> Callable[[ModelSpec], Awaitable[Request]]:
        async def prepare(model: ModelSpec) -> Request:
            return await self.sessions.aprepare(plan.session_id, plan.request, model)

        return prepare

    # ------------------------------------------------------------------ finishing
    def _finish(self, plan: _Plan, execution: Execution, *, stream: bool) -> Response:
        model = execution.model
        moved_from = None
        if plan.pinned_provider is not None and model.provider != plan.pinned_provider:
            self.sessions.move(plan.session_id, plan.pinned_provider, model.provider)
            moved_from = plan.pinned_provider
        committed = self.sessions.commit(plan.session_id, execution.response, model)
        cost = price(committed.usage, model) + execution.failed_cost
        baseline = price(committed.usage, self.flagship)
        totals = self.sessions.store.add_spend(plan.session_id, to_nanos(cost), to_nanos(baseline))
        return self._respond(plan, committed, model, execution, cost, baseline, totals, moved_from, stream)

    async def _afinish(self, plan: _Plan, execution: Execution, *, stream: bool) -> Response:
        model = execution.model
        moved_from = None
        if plan.pinned_provider is not None and model.provider != plan.pinned_provider:
            await self.sessions.amove(plan.session_id, plan.pinned_provider, model.provider)
            moved_from = plan.pinned_provider
        committed = await self.sessions.acommit(plan.session_id, execution.response, model)
        cost = price(committed.usage, model) + execution.failed_cost
        baseline = price(committed.usage, self.flagship)
        totals = await self.sessions.store.aadd_spend(plan.session_id, to_nanos(cost), to_nanos(baseline))
        return self._respond(plan, committed, model, execution, cost, baseline, totals, moved_from, stream)

    def _respond(self, plan: _Plan, result: ProviderResponse, model: ModelSpec, execution: Execution,
                 cost: Decimal, baseline: Decimal, totals: tuple[int, int], moved_from: str | None,
                 stream: bool) -> Response:
        attempts = execution.attempts
        failed_cost = execution.failed_cost
        total, baseline_total = totals
        latency = (time.perf_counter() - plan.started) * 1000.0
        c = plan.classification
        decision = RoutingDecision(
            step_id=plan.step_id,
            session_id=plan.session_id,
            label=c.label,
            confidence=round(c.confidence, 4),
            path=c.path,
            model=model.name,
            provider=model.provider,
            chain=tuple(m.key for m in plan.route.chain),
            attempts=tuple(attempts),
            cost=cost,
            baseline_cost=baseline,
            baseline_model=self.flagship.name,
            latency_ms=round(latency, 3),
            usage=result.usage,
            dial=plan.dial,
            required_capabilities=tuple(sorted(plan.required)),
            pinned_provider=plan.pinned_provider,
            provider_moved_from=moved_from,
            fallback=len(attempts) > 1 or model.key != plan.route.chain[0].key,
            stream=stream,
            explanation=plan.route.explanation,
        )
        step_cost = StepCost(
            step_id=plan.step_id,
            session_id=plan.session_id,
            label=c.label,
            provider=model.provider,
            model=model.name,
            usage=result.usage,
            cost=cost,
            failed_attempts_cost=failed_cost,
            baseline_cost=baseline,
            baseline_model=self.flagship.name,
            session_total=from_nanos(total),
            session_baseline_total=from_nanos(baseline_total),
        )
        self.listeners.emit(decision, step_cost)
        if plan.route.shadow is not None and not stream:
            self._shadow(plan, plan.route.shadow, result)
        return Response(result.message, result.usage, result.finish_reason, model.name, model.provider,
                        decision, step_cost)

    # ------------------------------------------------------------------ public calls
    def invoke(self, request: Request) -> Response:
        return self._invoke(request, None)

    def _invoke(self, request: Request, classified: Classification | None) -> Response:
        plan = self._plan(request, classified)
        if plan.route.cascade is not None:
            execution = self._cascade(plan, plan.route.cascade)
        else:
            execution = self._execute(plan, plan.route.chain)
        return self._finish(plan, execution, stream=False)

    async def ainvoke(self, request: Request) -> Response:
        plan = await self._aplan(request)
        if plan.route.cascade is not None:
            execution = await self._acascade(plan, plan.route.cascade)
        else:
            execution = await self._aexecute(plan, plan.route.chain)
        return await self._afinish(plan, execution, stream=False)

    def stream(self, request: Request) -> Iterator[StreamChunk]:
        """Stream a step. Cascades do not apply (an answer cannot be verified before it is shown);
        the chain's choice streams, failing over only before its first chunk."""
        plan = self._plan(request)
        for model, chunk, run in self.executor.stream(plan.route.chain, self._prepare(plan), plan.request.timeout,
                                                      cooling=plan.cooling):
            if chunk.final is not None:
                execution = Execution(chunk.final, model, tuple(run.attempts), run.failed_cost)
                yield StreamChunk(response=self._finish(plan, execution, stream=True), model=model.name,
                                  provider=model.provider)
            else:
                yield self._delta(plan, model, chunk.text, chunk.reasoning, chunk.tool_call)

    async def astream(self, request: Request) -> AsyncIterator[StreamChunk]:
        plan = await self._aplan(request)
        async for model, chunk, run in self.executor.astream(
            plan.route.chain, self._aprepare(plan), plan.request.timeout, cooling=plan.cooling
        ):
            if chunk.final is not None:
                execution = Execution(chunk.final, model, tuple(run.attempts), run.failed_cost)
                yield StreamChunk(response=await self._afinish(plan, execution, stream=True),
                                  model=model.name, provider=model.provider)
            else:
                yield self._delta(plan, model, chunk.text, chunk.reasoning, chunk.tool_call)

    def batch(self, requests: Sequence[Request], *, max_workers: int = 8) -> list[Response]:
        """Route many independent steps: their windows are classified in one batched call, then
        the steps run concurrently. Results keep the input order; the first failure is raised."""
        classified = self._classify_many(requests)
        with ThreadPoolExecutor(max_workers=max(1, min(max_workers, len(requests) or 1))) as pool:
            return list(pool.map(lambda rc: self._invoke(*rc),
                                 zip(requests, classified, strict=True)))

    def _classify_many(self, requests: Sequence[Request]) -> list[Classification | None]:
        """Batched classification for the requests that need it (no pin, label or bypass)."""
        todo = [i for i, r in enumerate(requests)
                if r.options.model is None and r.options.label is None
                and not (required_capabilities(r) & self.capability_labels.keys())]
        out: list[Classification | None] = [None] * len(requests)
        texts = [step_window(requests[i].messages, budget_tokens=self.window_tokens) for i in todo]
        for i, result in zip(todo, self.classifier.classify_many(texts) if texts else [], strict=True):
            out[i] = result
        return out

    # ------------------------------------------------------------------ cascades and shadows
    def _judge(self, cascade: Cascade) -> Cascade:
        if not cascade.needs_judge or cascade.judge_model is None:
            return cascade
        judge_model = cascade.judge_model

        def judge(prompt: str) -> str:
            req = Request((Message.user(prompt),), max_tokens=64, temperature=0.0)
            return self._adapter(judge_model).complete(req, judge_model, timeout=self.timeout).message.text

        return cascade.with_judge(judge)

    def _cascade(self, plan: _Plan, cascade: Cascade) -> Execution:
        """Cheap tiers first; each answer the verifier rejects is billed and recorded, then the step
        escalates. The top tier runs on the full chain, with its fallbacks."""
        cascade = self._judge(cascade)
        prior: list[Attempt] = []
        billed = Decimal(0)
        for tier in cascade.tiers[:-1]:
            try:
                result = self._execute(plan, (tier,))
            except ProviderError as exc:
                prior.extend(getattr(exc, "attempts", ()))
                continue
            verdict = cascade.verifier.verify(plan.request, result.response.message.text, plan.route.label or "chat")
            if verdict.ok:
                return replace(result, attempts=(*prior, *result.attempts), failed_cost=billed + result.failed_cost)
            rejected, cost = _rejected(result, verdict.reason)
            prior.extend(rejected)
            billed += cost
        top = self._execute(plan, plan.route.chain)
        return replace(top, attempts=(*prior, *top.attempts), failed_cost=billed + top.failed_cost)

    async def _acascade(self, plan: _Plan, cascade: Cascade) -> Execution:
        cascade = self._judge(cascade)
        prior: list[Attempt] = []
        billed = Decimal(0)
        for tier in cascade.tiers[:-1]:
            try:
                result = await self._aexecute(plan, (tier,))
            except ProviderError as exc:
                prior.extend(getattr(exc, "attempts", ()))
                continue
            verdict = cascade.verifier.verify(plan.request, result.response.message.text, plan.route.label or "chat")
            if verdict.ok:
                return replace(result, attempts=(*prior, *result.attempts), failed_cost=billed + result.failed_cost)
            rejected, cost = _rejected(result, verdict.reason)
            prior.extend(rejected)
            billed += cost
        top = await self._aexecute(plan, plan.route.chain)
        return replace(top, attempts=(*prior, *top.attempts), failed_cost=billed + top.failed_cost)

    def _shadow(self, plan: _Plan, model: ModelSpec, answer: ProviderResponse) -> None:
        """Send the step to the reference model in the background; record, never change the answer."""
        with self._adapters_lock:
            if self._shadow_pool is None:
                self._shadow_pool = ThreadPoolExecutor(max_workers=2, thread_name_prefix="routed-llm-shadow")
        request = self.sessions.prepare(plan.session_id, plan.request, model)

        def run() -> None:
            t0 = time.perf_counter()
            try:
                result = self._adapter(model).complete(request, model, timeout=self.timeout)
            except ProviderError as exc:
                record = ShadowResult(plan.step_id, plan.session_id, plan.classification.label, model.key,
                                      answer.message.text, None, None, type(exc).__name__, _ms(t0))
            else:
                record = ShadowResult(plan.step_id, plan.session_id, plan.classification.label, model.key,
                                      answer.message.text, result.message.text, price(result.usage, model),
                                      None, _ms(t0))
            self.listeners.emit_shadow(record)

        self._shadow_pool.submit(run)

    def _delta(self, plan: _Plan, model: ModelSpec, text: str, reasoning: str,
               tool_call: ToolCallDelta | None) -> StreamChunk:
        if tool_call is not None and tool_call.id is not None:
            caller = self.sessions.caller_id(plan.session_id, model.provider, tool_call.id)
            tool_call = replace(tool_call, id=caller)
        return StreamChunk(text=text, reasoning=reasoning, tool_call=tool_call, model=model.name,
                           provider=model.provider)

    # ------------------------------------------------------------------ conveniences
    def complete(self, prompt: str, **options: Any) -> Response:
        """One user message in, one routed answer out."""
        return self.invoke(Request((Message.user(prompt),), **options))

    def totals(self, session_id: str) -> tuple[Decimal, Decimal]:
        """(spent, flagship baseline) of a session so far, in dollars."""
        spent, baseline = self.sessions.store.get_spend(session_id)
        return from_nanos(spent), from_nanos(baseline)


def _rejected(result: Execution, reason: str) -> tuple[list[Attempt], Decimal]:
    """The attempts of a cascade tier whose answer the verifier rejected, and what it cost."""
    attempts = list(result.attempts)
    last = attempts[-1]
    attempts[-1] = replace(last, ok=False, error_type="CascadeEscalated", error=f"verifier: {reason}")
    cost = (last.cost or Decimal(0)) + result.failed_cost
    return attempts, cost


def _ms(t0: float) -> float:
    return (time.perf_counter() - t0) * 1000.0


def _budget(value: Decimal | float | str | None) -> Decimal | None:
    if value is None:
        return None
    try:
        budget = Decimal(str(value))
    except Exception as exc:
        raise ConfigError(f"budget_per_session must be a number of dollars, got {value!r}",
                          key="budget_per_session") from exc
    if not budget.is_finite() or budget < 0:
        raise ConfigError(f"budget_per_session must be >= 0 dollars, got {value!r}", key="budget_per_session")
    return budget


__all__ = ["Router"]
