"""`routed-llm demo`, `routed-llm report TRACE.jsonl` and `routed-llm emulator`."""

from __future__ import annotations

import argparse
import contextlib
import os
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from routed_llm.catalog import load_catalog


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    demo = sub.add_parser("demo", help="run the research-agent demo and print what each step cost")
    demo.add_argument("--out", default="routed-llm-demo", help="folder for trace.jsonl and cost.png")
    demo.add_argument("--flagship", default="gpt-5", help="the model baseline costs are computed on")
    demo.add_argument("--dial", type=float, default=0.5, help="0 = best quality .. 1 = lowest cost")
    demo.add_argument("--classifier", default="auto", choices=("auto", "rules", "learned"))
    demo.add_argument("--emulator", action="store_true", help="use the emulator even if API keys are set")
    demo.add_argument("--time-scale", type=float, default=0.02,
                      help="emulated latency as a share of each model's real latency (0 = instant)")
    demo.set_defaults(handler=run_demo)

    report = sub.add_parser("report", help="summarize a routing trace written by the callbacks")
    report.add_argument("trace", help="a trace .jsonl file")
    report.add_argument("--chart", default=None, help="write the chart PNG here (default: next to the trace)")
    report.add_argument("--no-chart", action="store_true")
    report.add_argument("--steps", action="store_true", help="also print the per-step table")
    report.set_defaults(handler=run_report)

    emu = sub.add_parser("emulator", help="serve the provider emulator on 127.0.0.1 (for tests and demos)")
    emu.add_argument("--port", type=int, default=8765)
    emu.add_argument("--time-scale", type=float, default=0.0)
    emu.set_defaults(handler=run_emulator)


def has_real_keys() -> bool:
    return any(os.environ.get(p.api_key_env) for p in load_catalog().providers.values())


@contextlib.contextmanager
def demo_router(args: argparse.Namespace, listeners: list[Any]) -> Iterator[tuple[Any, str]]:
    from routed_llm.router import Router

    common: dict[str, Any] = {"flagship": args.flagship, "dial": args.dial, "classifier": args.classifier,
                              "listeners": listeners}
    if has_real_keys() and not args.emulator:
        router = Router(**common)
        yield router, f"API keys found: running against the real providers ({', '.join(sorted(router.available_providers()))})."
        router.close()
        return
    from routed_llm.testing import Emulator

    with Emulator(time_scale=args.time_scale) as emu:
        router = Router.for_emulator(emu, **common)
        yield router, (f"No API keys set: running against the built-in provider emulator on "
                       f"{emu.base_url('openai').rsplit('/openai', 1)[0]} (set OPENAI_API_KEY or "
                       "ANTHROPIC_API_KEY to use real providers).")
        router.close()


def run_demo(args: argparse.Namespace) -> int:
    from routed_llm.demo.report import plot, step_table, summarize, totals_text
    from routed_llm.demo.research import QUESTION, research_steps
    from routed_llm.trace import TraceWriter, read_trace

    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    trace_path = out / "trace.jsonl"
    trace_path.unlink(missing_ok=True)
    writer = TraceWriter(trace_path, framework="core")
    with demo_router(args, [writer]) as (router, banner):
        print(banner, flush=True)
        print(f"Research question: {QUESTION}", flush=True)
        for n, step in enumerate(research_steps(router.invoke), 1):
            d = step.response.decision
            calls = ", ".join(c.name for c in step.response.message.tool_calls) or "answer"
            print(f"  [{n:>2}] {step.phase:<9} -> {d.label:<11} {d.provider}/{d.model:<18} {calls}",
                  file=sys.stderr, flush=True)
    summary = summarize(read_trace(trace_path))
    print()
    print(step_table(summary.steps))
    print()
    print(totals_text(summary))
    chart = plot(summary, out / "cost.png", title="research agent: routed vs flagship cost per step")
    print(f"trace: {trace_path}   chart: {chart}")
    return 0


def run_report(args: argparse.Namespace) -> int:
    from routed_llm.demo.report import plot, report_text, step_table, summarize
    from routed_llm.trace import read_trace

    summary = summarize(read_trace(args.trace))
    if not summary.steps:
        print(f"{args.trace} holds no steps", file=sys.stderr)
        return 1
    if args.steps:
        print(step_table(summary.steps))
        print()
    print(report_text(summary))
    if not args.no_chart:
        chart = Path(args.chart) if args.chart else Path(args.trace).with_suffix(".png")
        print(f"chart: {plot(summary, chart)}")
    return 0


def run_emulator(args: argparse.Namespace) -> int:
    from routed_llm.testing import serve

    serve(port=args.port, time_scale=args.time_scale)
    return 0
