"""Concurrency: many async agent sessions with tools at once against the emulator, a share of calls faulted.

    python benchmarks/concurrency.py [--sessions 500] [--steps 10] [--fault-rate 0.05] [--seed 7]

Every session runs ``--steps`` routed steps (tool calls, tool results, new user turns) through one
``Router`` with ``ainvoke``; a step that raises is retried by the session (as an agent would) and
counted. Prints throughput, p50/p99 step latency, the client's CPU per step split into the router's
own share (planning + finishing) and the rest (SDK, HTTP), and checks that no step is lost or
duplicated and every pin and id map is consistent. The emulator runs in this process
(``time_scale=0``) so its faults can be scripted; its CPU is on other threads and not counted.
Target (issue): 500 concurrent sessions with zero lost or duplicated steps.
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import time
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

from routed_llm import Message, Request, ToolSpec
from routed_llm.errors import RoutedLLMError
from routed_llm.events import RoutingDecision, StepCost
from routed_llm.execute import RetryPolicy
from routed_llm.router import Router
from routed_llm.sessions import is_caller_id
from routed_llm.testing import Emulator

TOOLS = tuple(
    ToolSpec(n, f"{n} the web", {"type": "object", "properties": {"query": {"type": "string"}}, "required": ["query"]})
    for n in ("search", "fetch", "lookup")
)
TASKS = (
    "Use search, then fetch, then lookup to research the population of Paris.",
    "Use lookup and then search to find the tallest building in Tokyo.",
    "Use fetch then search to explain how solar panels work.",
)
KINDS = ("rate_limit", "server_error", "overloaded", "timeout", "malformed_tool_json")


class Counting:
    def __init__(self) -> None:
        self.decisions: Counter[str] = Counter()
        self.costs: Counter[str] = Counter()

    def on_decision(self, decision: RoutingDecision) -> None:
        self.decisions[decision.step_id] += 1

    def on_step_cost(self, cost: StepCost) -> None:
        self.costs[cost.step_id] += 1


@dataclass
class Session:
    sid: str
    latencies: list[float] = field(default_factory=list)
    step_ids: list[str] = field(default_factory=list)
    providers: list[str] = field(default_factory=list)
    caller_ids: list[str] = field(default_factory=list)
    errors: int = 0
    error_types: list[str] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)


def _why(exc: Exception) -> str:
    """The error's type, with its attempts' error types for a failed chain."""
    attempts = getattr(exc, "attempts", None)
    if attempts:
        return f"{type(exc).__name__}({', '.join(sorted({a.error_type or 'ok' for a in attempts}))})"
    return type(exc).__name__


class RouterCPU:
    """Thread CPU spent in the router's own planning and finishing (around the provider call)."""

    def __init__(self, router: Router) -> None:
        self.seconds = 0.0
        plan, finish = router._aplan, router._afinish

        async def timed_plan(request: Request) -> Any:
            t0 = time.thread_time()
            try:
                return await plan(request)
            finally:
                self.seconds += time.thread_time() - t0

        async def timed_finish(*args: Any, **kwargs: Any) -> Any:
            t0 = time.thread_time()
            try:
                return await finish(*args, **kwargs)
            finally:
                self.seconds += time.thread_time() - t0

        router._aplan = timed_plan  # type: ignore[method-assign]
        router._afinish = timed_finish  # type: ignore[method-assign]


async def run_session(router: Router, i: int, steps: int, start: asyncio.Event) -> Session:
    s = Session(f"conc-{i}")
    history = [Message.system("You are a research agent."), Message.user(TASKS[i % len(TASKS)])]
    await start.wait()
    done = 0
    while done < steps:
        t0 = time.perf_counter()
        try:
            r = await router.ainvoke(Request(tuple(history), tools=TOOLS, session_id=s.sid, max_tokens=256))
        except RoutedLLMError as exc:
            s.errors += 1
            s.error_types.append(_why(exc))
            if s.errors > 5 * steps:
                s.problems.append(f"{s.sid}: gave up after {s.errors} errors")
                return s
            continue
        s.latencies.append((time.perf_counter() - t0) * 1000)
        s.step_ids.append(r.decision.step_id)
        s.providers.append(r.decision.provider)
        done += 1
        for c in r.message.tool_calls:
            if not is_caller_id(c.id) or c.id in s.caller_ids:
                s.problems.append(f"{s.sid}: bad or duplicated caller id {c.id}")
            s.caller_ids.append(c.id)
        history.append(r.message)
        if r.message.tool_calls:
            history.extend(Message.tool(c.id, f"{c.name}: 42 results") for c in r.message.tool_calls)
        else:
            history.append(Message.user(TASKS[(i + done) % len(TASKS)]))
    return s


def check(s: Session, router: Router, emu: Emulator, steps: int, counts: Counting) -> None:
    store = router.sessions.store
    if len(s.step_ids) != steps:
        s.problems.append(f"{s.sid}: {len(s.step_ids)} steps recorded, expected {steps}")
    for sid in s.step_ids:
        if counts.decisions[sid] != 1 or counts.costs[sid] != 1:
            s.problems.append(f"{s.sid}: step {sid} reported {counts.decisions[sid]}x/{counts.costs[sid]}x")
    ids = store.id_map(s.sid)
    if len(set(ids.values())) != len(ids):
        s.problems.append(f"{s.sid}: id map not a bijection")
    if any(c not in ids for c in s.caller_ids):
        s.problems.append(f"{s.sid}: caller ids missing from the id map")
    if any(emu.issuer(pid) != prov for prov, pid in ids.values()):
        s.problems.append(f"{s.sid}: id map points at ids the provider did not issue")
    if s.providers and store.get_pin(s.sid) != s.providers[-1]:
        s.problems.append(f"{s.sid}: pin {store.get_pin(s.sid)} != last provider {s.providers[-1]}")


async def main_async(args: argparse.Namespace) -> int:
    with Emulator(time_scale=0.0, max_recorded=1000) as emu:
        emu.random_faults(args.fault_rate, seed=args.seed, kinds=KINDS, retry_after=0.01, timeout_s=3.0)
        counts = Counting()
        router = Router.for_emulator(
            emu, classifier=args.classifier, timeout=2.0, listeners=[counts],
            retry=RetryPolicy(max_retries=2, base_delay_s=0.001, max_delay_s=0.005, max_retry_after_s=0.05,
                              cooldown_s=0.5),
        )
        # warm-up: import the SDKs, build the clients, load the classifier
        await router.ainvoke(Request((Message.user("hello"),), session_id="warm"))
        cpu = RouterCPU(router)
        start = asyncio.Event()
        tasks = [asyncio.create_task(run_session(router, i, args.steps, start)) for i in range(args.sessions)]
        await asyncio.sleep(0)
        t0, c0 = time.perf_counter(), time.thread_time()
        start.set()
        sessions = await asyncio.gather(*tasks)
        wall, client_cpu = time.perf_counter() - t0, time.thread_time() - c0
        for s in sessions:
            check(s, router, emu, args.steps, counts)
        await router.aclose()
    steps = sum(len(s.step_ids) for s in sessions)
    errors = sum(s.errors for s in sessions)
    lat = sorted(x for s in sessions for x in s.latencies)
    problems = [p for s in sessions for p in s.problems]
    all_ids = [sid for s in sessions for sid in s.step_ids]
    lost = args.sessions * args.steps - steps
    dup = len(all_ids) - len(set(all_ids)) + sum(1 for v in counts.decisions.values() if v > 1)
    rows = [
        ("sessions x steps", f"{args.sessions} x {args.steps} (all concurrent)"),
        ("fault rate (seed)", f"{args.fault_rate:.0%} ({args.seed}) of {', '.join(KINDS)}"),
        ("steps completed", f"{steps}"),
        ("steps that raised (retried)", f"{errors}"),
        ("wall time", f"{wall:.2f} s"),
        ("throughput", f"{steps / wall:.1f} steps/s"),
        ("step latency p50", f"{statistics.median(lat):.1f} ms"),
        ("step latency p99", f"{lat[min(len(lat) - 1, int(len(lat) * 0.99))]:.1f} ms"),
        ("client CPU per step", f"{client_cpu / steps * 1000:.2f} ms (router + SDK + HTTP, event-loop thread)"),
        ("router CPU per step", f"{cpu.seconds / steps * 1000:.2f} ms (plan + finish)"),
        ("lost steps", f"{lost}"),
        ("duplicated steps", f"{dup}"),
        ("pin / id-map problems", f"{len(problems)}"),
    ]
    print(f"concurrency benchmark, classifier={args.classifier}, emulator in-process (time_scale=0)\n")
    width = max(len(k) for k, _ in rows)
    for k, v in rows:
        print(f"{k:<{width}}  {v}")
    kinds = Counter(t for s in sessions for t in s.error_types)
    for kind, n in kinds.most_common(6):
        print(f"  raised {n:>5}x  {kind}")
    for p in problems[:10]:
        print("  problem:", p)
    ok = lost == 0 and dup == 0 and not problems
    print(f"\n{'meets' if ok else 'MISSES'} the target: zero lost or duplicated steps, consistent pins and id maps.")
    return 0 if ok else 1


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--sessions", type=int, default=500)
    parser.add_argument("--steps", type=int, default=10)
    parser.add_argument("--fault-rate", type=float, default=0.05)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--classifier", default="rules", choices=("rules", "learned"))
    args = parser.parse_args()
    raise SystemExit(asyncio.run(main_async(args)))


if __name__ == "__main__":
    main()
