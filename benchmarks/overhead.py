"""Added latency of routing, measured in one run against one loopback emulator process.

    python benchmarks/overhead.py [--n 400] [--classifier rules|learned]

Compares, interleaved round by round so machine noise hits every contender alike:
the bare `openai` SDK call (``chat.completions.create``), the SDK's raw ``client.post`` with the
same JSON body (the path the router's adapter takes for whole responses), the same call through `Router` (its classifier, policy, session
bookkeeping, pricing and decision record), and, when installed, `ChatOpenAI`,
`RoutedChatModel` and `RoutedLLM`. Prints median and p99 per call and the milliseconds each adds
over the direct SDK call. Target (issue 2/9): Router adds < 1 ms at the median with the rules
classifier.
"""

from __future__ import annotations

import argparse
import gc
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _server import RemoteEmulator, emulator_process

PROMPT = "Rewrite this sentence to sound friendlier: 'Send me the report by noon.'"


def contenders(root: str, classifier: str) -> dict[str, Callable[[], object]]:
    import openai

    from routed_llm import Message, Request
    from routed_llm.catalog import load_catalog
    from routed_llm.router import Router

    catalog = load_catalog()
    remote = RemoteEmulator(root, {n: p.wire for n, p in catalog.providers.items()})
    router = Router.for_emulator(remote, classifier=classifier)
    request = Request((Message.user(PROMPT),), session_id="bench")
    chosen = router.invoke(request).decision
    model = chosen.model
    base = remote.base_url(chosen.provider)
    client = openai.OpenAI(base_url=base, api_key="emulator-key", max_retries=0)
    messages = [{"role": "user", "content": PROMPT}]
    out: dict[str, Callable[[], object]] = {
        "openai SDK (direct)": lambda: client.chat.completions.create(model=model, messages=messages),  # type: ignore[arg-type]
        # the lean path the adapter takes for whole responses: the SDK's raw-request call, JSON
        # body as is, no typed-params walk or response models. Router minus this row is the
        # router's own work; Router minus the row above is what a user sees.
        "openai SDK client.post": lambda: client.post(
            "/chat/completions", body={"model": model, "messages": messages}, cast_to=object),
        f"Router ({classifier})": lambda: router.invoke(request),
    }
    try:
        from langchain_openai import ChatOpenAI

        chat = ChatOpenAI(model=model, base_url=base, api_key="emulator-key", max_retries=0)  # type: ignore[arg-type]
        out["ChatOpenAI"] = lambda: chat.invoke(PROMPT)
    except ImportError:
        pass
    try:
        from langchain_routed_llm import RoutedChatModel

        routed_chat = RoutedChatModel(router=router)
        out["RoutedChatModel"] = lambda: routed_chat.invoke(PROMPT)
    except ImportError:
        pass
    try:
        from llama_index.core.llms import ChatMessage
        from llama_index.llms.routed import RoutedLLM

        routed_llm = RoutedLLM(router=router)
        li_messages = [ChatMessage(role="user", content=PROMPT)]
        out["RoutedLLM"] = lambda: routed_llm.chat(li_messages)
    except ImportError:
        pass
    return out


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--n", type=int, default=400)
    parser.add_argument("--warmup", type=int, default=50)
    parser.add_argument("--classifier", default="rules", choices=("rules", "learned"))
    args = parser.parse_args()
    with emulator_process() as root:
        calls = contenders(root, args.classifier)
        for fn in calls.values():
            for _ in range(args.warmup):
                fn()
        samples: dict[str, list[float]] = {name: [] for name in calls}
        gc.disable()
        for i in range(args.n):
            order = list(calls.items())
            if i % 2:
                order.reverse()
            for name, fn in order:
                t0 = time.perf_counter()
                fn()
                samples[name].append((time.perf_counter() - t0) * 1000)
            if i % 50 == 49:
                gc.collect()
        gc.enable()
    base = statistics.median(samples["openai SDK (direct)"])
    print(f"{args.n} calls each, interleaved, against one emulator process on 127.0.0.1\n")
    print(f"{'contender':<24} {'median ms':>10} {'p99 ms':>10} {'added at median':>16}")
    for name, xs in samples.items():
        xs.sort()
        med = statistics.median(xs)
        p99 = xs[min(len(xs) - 1, int(len(xs) * 0.99))]
        print(f"{name:<24} {med:>10.3f} {p99:>10.3f} {med - base:>+15.3f}")
    med = {name: statistics.median(xs) for name, xs in samples.items()}
    router = med[f"Router ({args.classifier})"]
    router_added = router - base
    verdict = "meets" if router_added <= 1.0 else "misses"
    print(f"\nRouter adds {router_added:.3f} ms at the median over the direct SDK call: {verdict} the <= 1 ms target.")
    print(f"The router's own work (over the same request sent with client.post): "
          f"{router - med['openai SDK client.post']:.3f} ms.")
    if "ChatOpenAI" in med and "RoutedChatModel" in med:
        ratio = med["RoutedChatModel"] / med["ChatOpenAI"]
        verdict = "meets" if ratio <= 1.10 else "misses"
        print(f"RoutedChatModel / ChatOpenAI = {ratio:.3f} at the median: {verdict} the within-10% target.")


if __name__ == "__main__":
    main()
