"""Classifier benchmark: accuracy, calibration, latency, conversation-length flatness, cold load.

    python benchmarks/classifier.py [--data ../shared/data] [--quick]

Prints, for the validation split (and its human rows, and the held-out agent-step domain):
macro-F1, ECE, p50/p99 latency per classification for each path configuration, the same latency
for a 32k-token conversation, cold load time, torch/ONNX agreement, and the rules alone.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

os.environ.setdefault("HF_HUB_OFFLINE", "1")
ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from routed_llm.classify import RulesClassifier, step_window  # noqa: E402
from routed_llm.classify.evaluate import percentile, run, score  # noqa: E402
from routed_llm.classify.train import read_examples  # noqa: E402
from routed_llm.messages import Message, ToolCall  # noqa: E402
from routed_llm.tokens import estimate_messages_tokens  # noqa: E402


def find_data(arg: str | None) -> Path:
    for candidate in (arg, "/work/shared/data", str(ROOT.parent / "shared" / "data")):
        if candidate and (Path(candidate) / "valid.jsonl").is_file():
            return Path(candidate)
    raise SystemExit("no data directory with valid.jsonl; pass --data")


def cold_load(backend: str) -> float:
    code = (
        "import time; t=time.perf_counter();"
        "from routed_llm.classify.learned import LearnedClassifier;"
        f"c=LearnedClassifier(backend={backend!r}); c.warm(); c.classify('hello there');"
        "print((time.perf_counter()-t)*1000)"
    )
    out = subprocess.run(
        [sys.executable, "-c", code],
        capture_output=True,
        text=True,
        cwd=ROOT,
        check=True,
        env={**os.environ, "HF_HUB_OFFLINE": "1"},
    )
    return float(out.stdout.strip().splitlines()[-1])


def conversation(tokens: int, final: str) -> list[Message]:
    msgs: list[Message] = [Message.system("You are a research assistant.")]
    page = ("The quarterly report lists revenue by region, staffing changes and the outlook. " * 40).strip()
    i = 0
    while estimate_messages_tokens(msgs) < tokens:
        msgs += [
            Message.user(f"look up item {i}"),
            Message.assistant("", [ToolCall(id=f"c{i}", name="search")]),
            Message.tool(f"c{i}", page),
            Message.assistant(f"noted item {i}"),
        ]
        i += 1
    return [
        *msgs,
        Message.user(final),
        Message.assistant("", [ToolCall(id="z", name="search")]),
        Message.tool("z", page),
    ]


def latency_row(name: str, classifier: Any, rows: list[Any]) -> dict[str, Any]:
    results = run(classifier, [e.text for e in rows])
    report = score([e.label for e in rows], results)
    return {
        "config": name,
        "macro_f1": report.macro_f1,
        "accuracy": report.accuracy,
        "ece": report.ece,
        "p50_ms": report.latency_p50_ms,
        "p99_ms": report.latency_p99_ms,
        "paths": {k: round(v, 3) for k, v in report.path_share.items() if v},
        "labels": [r.label for r in results],
    }


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--data", default=None)
    ap.add_argument("--quick", action="store_true", help="skip the torch path")
    ap.add_argument("--json", default=None, help="also write the numbers here")
    args = ap.parse_args()
    data = find_data(args.data)
    valid = read_examples([data / "valid.jsonl"])
    human = [e for e in valid if e.kind == "human"]
    agent = read_examples([data / "agent_steps_valid.jsonl"])
    from routed_llm.classify.learned import LearnedClassifier

    out: dict[str, Any] = {"cpu_count": os.cpu_count()}
    out["cold_load_ms"] = {"onnx": cold_load("onnx")}
    if not args.quick:
        out["cold_load_ms"]["torch"] = cold_load("torch")
    configs: list[tuple[str, Any]] = [
        ("rules alone", RulesClassifier()),
        ("keyword + static + MiniLM-onnx (default)", LearnedClassifier(backend="onnx", cache_size=0)),
        (
            "keyword + MiniLM-onnx (no static stage)",
            LearnedClassifier(backend="onnx", cache_size=0, static=False),
        ),
        (
            "MiniLM-onnx only (no keyword, no static)",
            LearnedClassifier(backend="onnx", cache_size=0, static=False, keyword=False),
        ),
    ]
    if not args.quick:
        configs.append(
            (
                "MiniLM-torch only (no keyword, no static)",
                LearnedClassifier(backend="torch", cache_size=0, static=False, keyword=False),
            )
        )
    table = []
    for name, c in configs:
        c.warm()
        row = {"split": "valid", **latency_row(name, c, valid)}
        row["human_macro_f1"] = score([e.label for e in human], run(c, [e.text for e in human])).macro_f1
        row["agent_macro_f1"] = score([e.label for e in agent], run(c, [e.text for e in agent])).macro_f1
        table.append(row)
        print(
            f"{name:<45} valid F1 {row['macro_f1']:.3f}  human F1 {row['human_macro_f1']:.3f}  "
            f"agent-steps F1 {row['agent_macro_f1']:.3f}  ECE {row['ece']:.3f}  "
            f"p50 {row['p50_ms']:.2f} ms  p99 {row['p99_ms']:.2f} ms  paths {row['paths']}",
            flush=True,
        )
    out["configs"] = [{k: v for k, v in r.items() if k != "labels"} for r in table]
    if not args.quick:
        a, b = table[3]["labels"], table[4]["labels"]
        out["torch_onnx_label_agreement"] = sum(x == y for x, y in zip(a, b, strict=True)) / len(a)
        print(
            f"torch vs onnx (MiniLM head) label agreement on valid: {out['torch_onnx_label_agreement']:.4f}"
        )

    # Conversation length: a one-message step against the newest step of a 32k-token conversation.
    default = configs[1][1]
    finals = [e.text for e in valid[:300]]
    long_msgs = conversation(32_000, "x")
    print(f"conversation: {len(long_msgs)} messages, ~{estimate_messages_tokens(long_msgs)} tokens")

    def step_latency(make: Any) -> list[float]:
        times = []
        for text in finals:
            msgs = make(text)
            t = time.perf_counter()
            default.classify(step_window(msgs))
            times.append((time.perf_counter() - t) * 1000)
        return times

    # The same step (user message + its tool result) alone and at the end of the long history.
    short = step_latency(lambda text: [Message.user(text), *long_msgs[-2:]])
    long = step_latency(lambda text: [*long_msgs[:-3], Message.user(text), *long_msgs[-2:]])
    bare = step_latency(lambda text: [Message.user(text)])
    out["bare_message_p50_ms"] = percentile(bare, 50)
    print(f"bare one-message step p50 {out['bare_message_p50_ms']:.2f} ms")
    out["one_message_p50_ms"], out["one_message_p99_ms"] = percentile(short, 50), percentile(short, 99)
    out["conv32k_p50_ms"], out["conv32k_p99_ms"] = percentile(long, 50), percentile(long, 99)
    print(
        f"one-step conversation p50 {out['one_message_p50_ms']:.2f} ms  p99 {out['one_message_p99_ms']:.2f} ms"
    )
    print(
        f"32k-token conversation p50 {out['conv32k_p50_ms']:.2f} ms  p99 {out['conv32k_p99_ms']:.2f} ms  "
        f"(ratio {out['conv32k_p50_ms'] / out['one_message_p50_ms']:.2f}; target <= 1.5)"
    )

    texts = [e.text for e in valid[:512]]
    fresh = LearnedClassifier(backend="onnx", cache_size=0)
    fresh.warm()
    t = time.perf_counter()
    fresh.classify_many(texts)
    batched = (time.perf_counter() - t) * 1000 / len(texts)
    cached = LearnedClassifier(backend="onnx")
    cached.warm()
    cached.classify_many(texts)
    t = time.perf_counter()
    for x in texts:
        cached.classify(x)
    hit = (time.perf_counter() - t) * 1000 / len(texts)
    out["batched_ms_per_text"], out["cache_hit_ms"] = batched, hit
    print(f"batched classify_many: {batched:.2f} ms/text; LRU cache hit: {hit:.3f} ms")
    print(
        "cold load (import + warm + first call): "
        + ", ".join(f"{k} {v:.0f} ms" for k, v in out["cold_load_ms"].items())
    )
    if args.json:
        Path(args.json).write_text(json.dumps(out, indent=2))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
