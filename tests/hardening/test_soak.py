"""Fault soak: 2,000 routed agent steps with tools against the strict emulator while a fixed-seed
share of calls fails with 429s, 5xx, overloads, timeouts, dropped streams and malformed tool JSON,
across every provider of the catalog.

Every step either returns a valid answer or raises one clear routed-llm error; no session's pin
or tool-call id map is corrupted; every step is reported exactly once; per-step costs sum to the
session totals. Bounded in time: time_scale=0, millisecond retry delays, 0.4 s call timeouts (loose enough for a loaded 2-core machine).
"""

from __future__ import annotations

import asyncio
import itertools
from collections import Counter
from dataclasses import dataclass, field
from decimal import Decimal

from routed_llm import Message, Request, ToolSpec
from routed_llm.costs import price
from routed_llm.errors import (
    AllAttemptsFailedError,
    NoRouteError,
    ProviderError,
    RoutedLLMError,
    StreamInterruptedError,
)
from routed_llm.events import RoutingDecision, StepCost
from routed_llm.execute import RetryPolicy
from routed_llm.response import Response
from routed_llm.router import Router
from routed_llm.sessions import is_caller_id
from routed_llm.testing import Emulator

SEED = 20240611
SESSIONS = 400
STEPS_PER_SESSION = 5
CONCURRENCY = 25
FAULT_RATE = 0.12
FAULT_KINDS = ("rate_limit", "server_error", "overloaded", "timeout", "drop_stream", "malformed_tool_json")

TOOLS = tuple(
    ToolSpec(name, f"{name} the web", {"type": "object", "properties": {"query": {"type": "string"}},
                                        "required": ["query"]})
    for name in ("search", "fetch", "lookup", "summarize_page")
)
TASKS = (
    "Use search, then fetch, then lookup to research the population of Paris.",
    "Use lookup and then search to find the tallest building in Tokyo.",
    "Use fetch then summarize_page to explain how solar panels work.",
    "Use search and fetch to compare Python and Rust for a command line tool.",
)
# the errors a step may end with; anything else (a raw SDK/httpx error, a KeyError) fails the soak
CLEAR_ERRORS: tuple[type[RoutedLLMError], ...] = (AllAttemptsFailedError, StreamInterruptedError, NoRouteError)


class Recorder:
    """A listener: every decision and step cost it is told about."""

    def __init__(self) -> None:
        self.decisions: list[RoutingDecision] = []
        self.costs: list[StepCost] = []

    def on_decision(self, decision: RoutingDecision) -> None:
        self.decisions.append(decision)

    def on_step_cost(self, cost: StepCost) -> None:
        self.costs.append(cost)


@dataclass
class SessionLog:
    session_id: str
    responses: list[Response] = field(default_factory=list)
    errors: list[RoutedLLMError] = field(default_factory=list)
    history: list[Message] = field(default_factory=list)
    caller_ids: list[str] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)


def _check_response(log: SessionLog, response: Response, router: Router, running: Decimal) -> Decimal:
    """Validate one successful step; return the session's running cost."""
    sid, d, c, msg = log.session_id, response.decision, response.cost, response.message
    where = f"{sid} step {len(log.responses) + len(log.errors)}"
    if msg.role != "assistant" or not (msg.text or msg.tool_calls):
        log.problems.append(f"{where}: empty or non-assistant answer {msg!r}")
    for call in msg.tool_calls:
        if not is_caller_id(call.id):
            log.problems.append(f"{where}: tool call id {call.id!r} is not a router-minted id")
        if call.id in log.caller_ids:
            log.problems.append(f"{where}: tool call id {call.id!r} handed out twice")
        if call.raw_arguments is not None or not isinstance(call.arguments.get("query"), str):
            log.problems.append(f"{where}: malformed tool arguments reached the caller: {call!r}")
        log.caller_ids.append(call.id)
    pin = router.sessions.store.get_pin(sid)
    if pin != d.provider:
        log.problems.append(f"{where}: answered by {d.provider} but the session is pinned to {pin}")
    model = router.catalog.model(f"{d.provider}/{d.model}")
    if c.cost is None or d.cost != c.cost or c.cost != price(response.usage, model) + (c.failed_attempts_cost or 0):
        log.problems.append(f"{where}: step cost {c.cost} != price + failed attempts")
    if c.baseline_cost != price(response.usage, router.flagship):
        log.problems.append(f"{where}: baseline {c.baseline_cost} is not the flagship price")
    running += c.cost or Decimal(0)
    if c.session_total != running:
        log.problems.append(f"{where}: session_total {c.session_total} != running sum {running}")
    if not d.attempts or not d.attempts[-1].ok:
        log.problems.append(f"{where}: last attempt not ok: {d.attempts!r}")
    return running


async def _stream_step(router: Router, request: Request, log: SessionLog) -> Response:
    text: list[str] = []
    streamed_ids: set[str] = set()
    final: Response | None = None
    async for chunk in router.astream(request):
        if chunk.response is not None:
            final = chunk.response
        else:
            text.append(chunk.text)
            if chunk.tool_call is not None and chunk.tool_call.id is not None:
                streamed_ids.add(chunk.tool_call.id)
    assert final is not None, "a stream ended without its final response"
    if "".join(text) != final.text:
        log.problems.append(f"{log.session_id}: streamed text differs from the final answer")
    if streamed_ids != {c.id for c in final.message.tool_calls}:
        log.problems.append(f"{log.session_id}: streamed ids {streamed_ids} != final ids")
    return final


async def _run_session(router: Router, index: int, gate: asyncio.Semaphore) -> SessionLog:
    log = SessionLog(f"soak-{index}")
    log.history = [Message.system("You are a research agent."), Message.user(TASKS[index % len(TASKS)])]
    streaming = index % 4 == 0
    running = Decimal(0)
    async with gate:
        for _ in range(STEPS_PER_SESSION):
            request = Request(tuple(log.history), tools=TOOLS, session_id=log.session_id, max_tokens=256)
            try:
                response = await (_stream_step(router, request, log) if streaming else router.ainvoke(request))
            except RoutedLLMError as exc:
                log.errors.append(exc)
                continue  # the agent retries the same step
            except Exception as exc:  # a raw error escaped the router
                log.problems.append(f"{log.session_id}: unclear error {type(exc).__name__}: {exc}")
                continue
            running = _check_response(log, response, router, running)
            log.responses.append(response)
            log.history.append(response.message)
            if response.message.tool_calls:
                log.history.extend(Message.tool(c.id, f"{c.name} found: 42 results for {c.arguments.get('query')}")
                                   for c in response.message.tool_calls)
            else:
                log.history.append(Message.user(TASKS[(index + len(log.responses)) % len(TASKS)]))
    return log


def _check_session_state(log: SessionLog, router: Router, emulator: Emulator) -> None:
    sid, store = log.session_id, router.sessions.store
    id_map = store.id_map(sid)
    targets = list(id_map.values())
    if len(set(targets)) != len(targets):
        log.problems.append(f"{sid}: the id map is not a bijection: {id_map}")
    missing = [c for c in log.caller_ids if c not in id_map]
    if missing:
        log.problems.append(f"{sid}: caller ids {missing} are not in the id map")
    for caller, (provider, provider_id) in id_map.items():
        issuer = emulator.issuer(provider_id)
        if issuer != provider:
            log.problems.append(f"{sid}: {caller} maps to {provider}/{provider_id}, issued by {issuer}")
    moves = store.moves(sid)
    pin = store.get_pin(sid)
    if log.responses:
        if pin != log.responses[-1].decision.provider:
            log.problems.append(f"{sid}: pin {pin} != provider of the last answer")
        for a, b in itertools.pairwise(moves):
            if a.to_provider != b.from_provider:
                log.problems.append(f"{sid}: moves do not chain: {moves}")
        if moves and moves[-1].to_provider != pin:
            log.problems.append(f"{sid}: last move went to {moves[-1].to_provider} but pin is {pin}")
    spent, baseline = router.totals(sid)
    if spent != sum((r.cost.cost or Decimal(0) for r in log.responses), Decimal(0)):
        log.problems.append(f"{sid}: total {spent} != the sum of its step costs")
    if baseline != sum((r.cost.baseline_cost or Decimal(0) for r in log.responses), Decimal(0)):
        log.problems.append(f"{sid}: baseline total {baseline} != the sum of its step baselines")
    for exc in log.errors:
        if not isinstance(exc, CLEAR_ERRORS) or not str(exc).strip():
            log.problems.append(f"{sid}: unexpected error {type(exc).__name__}: {exc}")
        if isinstance(exc, ProviderError) and exc.__class__ is ProviderError:
            log.problems.append(f"{sid}: a bare ProviderError: {exc}")


async def test_fault_soak_2000_steps(emulator: Emulator) -> None:
    emulator.random_faults(FAULT_RATE, seed=SEED, kinds=FAULT_KINDS, retry_after=0.01, timeout_s=0.6,
                           after_chunks=1)
    recorder = Recorder()
    router = Router.for_emulator(
        emulator, classifier="rules", timeout=0.4, listeners=[recorder],
        retry=RetryPolicy(max_retries=2, base_delay_s=0.001, max_delay_s=0.005, max_retry_after_s=0.05,
                          cooldown_s=0.2),
    )
    gate = asyncio.Semaphore(CONCURRENCY)
    try:
        logs = await asyncio.gather(*(_run_session(router, i, gate) for i in range(SESSIONS)))
    finally:
        await router.aclose()
    for log in logs:
        _check_session_state(log, router, emulator)

    problems = [p for log in logs for p in log.problems]
    assert not problems, f"{len(problems)} problems, first 20:\n" + "\n".join(problems[:20])

    responses = [r for log in logs for r in log.responses]
    errors = [e for log in logs for e in log.errors]
    assert len(responses) + len(errors) == SESSIONS * STEPS_PER_SESSION
    # each step reported exactly once, to the listeners and in its response
    step_ids = [r.decision.step_id for r in responses]
    assert len(set(step_ids)) == len(step_ids)
    assert sorted(d.step_id for d in recorder.decisions) == sorted(step_ids)
    assert sorted(c.step_id for c in recorder.costs) == sorted(step_ids)
    # the faults really happened and were absorbed: retries, fallbacks, several providers
    failed_attempts = Counter(a.error_type for r in responses for a in r.decision.attempts if not a.ok)
    assert sum(failed_attempts.values()) > 100, failed_attempts
    assert {"RateLimitError", "ServerError", "ProviderTimeoutError", "MalformedResponseError"} <= set(failed_attempts)
    assert len({r.decision.provider for r in responses}) >= 2
    assert len(responses) > 0.9 * SESSIONS * STEPS_PER_SESSION, Counter(type(e).__name__ for e in errors)
