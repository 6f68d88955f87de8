"""Memory and start-up: resident memory and import time of each package, after loading the
classifier, and after 100,000 sessions. Each row is measured in a fresh interpreter.

    python benchmarks/memory.py [--runs 5] [--sessions 100000] [--no-learned] [--redis-url URL]

Resident memory is VmRSS from /proc/self/status (Linux). Import time is the wall time of the
import inside the child (median of ``--runs`` children), and the whole interpreter's start-up
is compared with a bare ``python -c pass``. Targets (issue): ``import routed_llm`` adds <= 30 MB
resident memory and <= 0.3 s to a bare interpreter, loads no provider SDK; the router's own
memory beyond the SDKs it loaded stays <= 20 MB (measured after 100,000 sessions).
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import time
from collections.abc import Sequence

PRELUDE = """
import json, sys, time
def rss_mb():
    with open('/proc/self/status') as f:
        for line in f:
            if line.startswith('VmRSS:'):
                return int(line.split()[1]) / 1024
out = {'rss0': rss_mb()}
"""

SDKS = ("openai", "anthropic", "httpx", "torch", "sentence_transformers", "redis", "langchain_core",
        "llama_index.core")


def child(code: str) -> dict[str, float | list[str]]:
    script = PRELUDE + code + "\nprint(json.dumps(out))\n"
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, check=True)
    return json.loads(done.stdout.strip().splitlines()[-1])  # type: ignore[no-any-return]


def import_row(module: str) -> str:
    return f"""
t0 = time.perf_counter()
import {module}
out['seconds'] = time.perf_counter() - t0
out['rss1'] = rss_mb()
out['loaded'] = [m for m in {list(SDKS)!r} if m in sys.modules]
"""


def interpreter_wall(code: str, runs: int) -> float:
    xs = []
    for _ in range(runs):
        t0 = time.perf_counter()
        subprocess.run([sys.executable, "-c", code], check=True, capture_output=True)
        xs.append(time.perf_counter() - t0)
    return statistics.median(xs)


CLASSIFIER = """
import routed_llm
from routed_llm.classify import load_classifier, step_window
from routed_llm import Message
out['rss_mid'] = rss_mb()
t0 = time.perf_counter()
c = load_classifier({kind!r})
getattr(c, 'warm', lambda: None)()
c.classify(step_window((Message.user('Summarize this incident log: disk full at 3am'),), budget_tokens=256))
out['seconds'] = time.perf_counter() - t0
out['rss1'] = rss_mb()
out['loaded'] = [m for m in {sdks!r} if m in sys.modules]
"""

SESSIONS = """
import openai, anthropic                       # the SDKs a router talking to both would load
from routed_llm.router import Router
from routed_llm.messages import Message, ProviderResponse, ToolCall, Usage
out['rss_mid'] = rss_mb()
router = Router(classifier='rules', api_keys={{'openai': 'x', 'anthropic': 'y'}}, sessions={sessions!r})
for p in ('openai', 'anthropic'):
    router._adapter(router.catalog.model('gpt-5-mini' if p == 'openai' else 'claude-haiku-4-5'))._sync()
out['rss_router'] = rss_mb()
mgr = router.sessions
models = [router.catalog.model('gpt-5-mini'), router.catalog.model('claude-haiku-4-5')]
t0 = time.perf_counter()
for i in range({n}):
    sid = f'session-{{i}}'
    model = models[i % 2]
    mgr.pin(sid, model.provider)
    pid = ('call_' if model.provider == 'openai' else 'toolu_01') + f'{{i:022d}}'
    resp = ProviderResponse(Message('assistant', (), (ToolCall(pid, 'search', {{'q': 'x'}}),)), Usage(100, 20),
                            'tool_calls', model.name, model.provider)
    mgr.commit(sid, resp, model)
    mgr.store.add_spend(sid, 1000, 5000)
out['seconds'] = time.perf_counter() - t0
out['sessions_held'] = len(mgr.store)
out['rss1'] = rss_mb()
"""


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--sessions", type=int, default=100_000)
    parser.add_argument("--no-learned", action="store_true")
    parser.add_argument("--redis-url", help="also hold the sessions in this Redis (e.g. redis://127.0.0.1:6379/15)")
    args = parser.parse_args(argv)

    bare = child("out['rss1'] = rss_mb()")
    bare_wall = interpreter_wall("pass", args.runs)
    print(f"bare interpreter: {bare['rss1']:.1f} MB resident, {bare_wall * 1000:.0f} ms to start and exit "
          f"(median of {args.runs})\n")
    print(f"{'what':<40} {'+RSS MB':>8} {'seconds':>8} {'+wall s':>8}  SDKs loaded")
    results: dict[str, dict[str, float | list[str]]] = {}
    modules = ("routed_llm", "routed_llm.router", "openai", "anthropic", "langchain_routed_llm",
               "llama_index.llms.routed", "langchain_openai")
    for module in modules:
        runs = []
        for _ in range(args.runs):
            try:
                runs.append(child(import_row(module)))
            except subprocess.CalledProcessError:
                break
        if not runs:
            print(f"{'import ' + module:<40} {'not installed':>8}")
            continue
        wall = interpreter_wall(f"import {module}", args.runs) - bare_wall
        rss = statistics.median(float(r["rss1"]) - float(bare["rss1"]) for r in runs)  # type: ignore[arg-type]
        secs = statistics.median(float(r["seconds"]) for r in runs)  # type: ignore[arg-type]
        results[module] = {"rss": rss, "seconds": secs, "wall": wall, "loaded": runs[0]["loaded"]}
        print(f"{'import ' + module:<40} {rss:>8.1f} {secs:>8.3f} {wall:>8.3f}  {', '.join(runs[0]['loaded']) or '-'}")  # type: ignore[arg-type]

    for kind in ("rules", *(() if args.no_learned else ("learned",))):
        try:
            r = child(CLASSIFIER.format(kind=kind, sdks=list(SDKS)))
        except subprocess.CalledProcessError as exc:
            print(f"{'load + warm ' + kind + ' classifier':<40} failed: {exc.stderr.strip().splitlines()[-1]}")
            continue
        added = float(r["rss1"]) - float(r["rss_mid"])  # type: ignore[arg-type]
        print(f"{'load + warm ' + kind + ' classifier':<40} {added:>8.1f} {float(r['seconds']):>8.3f} {'':>8}  "  # type: ignore[arg-type]
              f"{', '.join(r['loaded']) or '-'}  (over import routed_llm)")  # type: ignore[arg-type]

    r = child(SESSIONS.format(n=args.sessions, sessions=None))
    router_mb = float(r["rss1"]) - float(r["rss_mid"])  # type: ignore[arg-type]
    bare_router = float(r["rss_router"]) - float(r["rss_mid"])  # type: ignore[arg-type]
    print(f"{'Router() + both SDK clients built':<40} {bare_router:>8.1f} {'':>8} {'':>8}  (over openai + anthropic + routed_llm.router imported)")
    print(f"{f'router + {args.sessions:,} sessions':<40} {router_mb:>8.1f} {float(r['seconds']):>8.3f} {'':>8}  "  # type: ignore[arg-type]
          f"(in-process MemoryStore, each with a pin, one mapped tool call and spend; "
          f"{int(r['sessions_held']):,} held)")  # type: ignore[call-overload]
    redis_mb: float | None = None
    if args.redis_url:
        import redis

        redis.Redis.from_url(args.redis_url).flushdb()
        r = child(SESSIONS.format(n=args.sessions, sessions=args.redis_url).replace(
            "out['sessions_held'] = len(mgr.store)", "out['sessions_held'] = " + str(args.sessions)))
        redis_mb = float(r["rss1"]) - float(r["rss_mid"])  # type: ignore[arg-type]
        print(f"{f'router + {args.sessions:,} sessions in Redis':<40} {redis_mb:>8.1f} {float(r['seconds']):>8.3f} "  # type: ignore[arg-type]
              f"{'':>8}  (RedisStore: the sessions live in the Redis server)")

    core = results.get("routed_llm")
    print()
    if core is not None:
        rss, wall = float(core["rss"]), float(core["wall"])  # type: ignore[arg-type]
        lazy = not core["loaded"] or core["loaded"] == []
        print(f"import routed_llm adds {rss:.1f} MB (target <= 30): {'meets' if rss <= 30 else 'MISSES'}")
        print(f"import routed_llm adds {wall:.3f} s to a bare interpreter (target <= 0.3): "
              f"{'meets' if wall <= 0.3 else 'MISSES'}")
        print(f"provider SDKs loaded by import routed_llm: {core['loaded'] or 'none'} "
              f"({'lazy: meets' if lazy else 'MISSES: not lazy'})")
    print(f"router's own memory beyond its SDKs, no sessions: {bare_router:.1f} MB (target <= 20): "
          f"{'meets' if bare_router <= 20 else 'MISSES'}")
    print(f"router's own memory with {args.sessions:,} in-process sessions beyond its SDKs: {router_mb:.1f} MB "
          f"({router_mb * 1e6 / args.sessions:.0f} B per session; target <= 20 MB: "
          f"{'meets' if router_mb <= 20 else 'MISSES'})")
    if redis_mb is not None:
        print(f"router's own memory with {args.sessions:,} sessions in Redis beyond its SDKs: {redis_mb:.1f} MB "
              f"(target <= 20): {'meets' if redis_mb <= 20 else 'MISSES'}")


if __name__ == "__main__":
    main()
