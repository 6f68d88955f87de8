"""`routed-llm train DATA.jsonl`, `routed-llm eval DATA.jsonl` and `routed-llm classify "TEXT"`."""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path
from typing import Any


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    train = sub.add_parser("train", help="train a classifier head on labelled jsonl ({'text', 'label'} rows)")
    train.add_argument("data", nargs="+", help="training .jsonl file(s)")
    train.add_argument("--out", default="classifier-head.json", help="where to write the head file")
    train.add_argument("--valid", action="append", default=[], help="jsonl to report metrics on (repeatable)")
    train.add_argument(
        "--holdout",
        default=None,
        help="jsonl to fit temperature and thresholds on (default: a grouped 20%% of the training rows)",
    )
    train.add_argument(
        "--permissive-only", action="store_true", help="skip rows whose license is not permissive"
    )
    train.add_argument(
        "--agent-weight", type=float, default=5.0, help="weight of rows with kind 'agent-step'"
    )
    train.add_argument("-C", type=float, default=1.0, help="inverse regularisation of the linear head")
    train.add_argument("--backend", default="auto", choices=("auto", "onnx", "torch"))
    train.set_defaults(handler=run_train)

    ev = sub.add_parser("eval", help="evaluate a classifier on labelled jsonl")
    ev.add_argument("data", nargs="+", help="labelled .jsonl file(s)")
    ev.add_argument("--classifier", default="auto", choices=("auto", "rules", "learned"))
    ev.add_argument("--head", default=None, help="a head file (default: the shipped one)")
    ev.add_argument("--backend", default="auto", choices=("auto", "onnx", "torch"))
    ev.add_argument("--png", default=None, help="write the confusion matrix PNG here")
    ev.add_argument("--json", action="store_true", help="print the report as JSON")
    ev.add_argument("--human-only", action="store_true", help="only rows with kind 'human'")
    ev.set_defaults(handler=run_eval)

    cl = sub.add_parser("classify", help="classify one text and show label, probabilities, path, latency")
    cl.add_argument("text", nargs="?", default=None, help="the text (default: read stdin)")
    cl.add_argument("--classifier", default="auto", choices=("auto", "rules", "learned"))
    cl.add_argument("--head", default=None)
    cl.add_argument("--backend", default="auto", choices=("auto", "onnx", "torch"))
    cl.set_defaults(handler=run_classify)


def _tqdm(total: int, desc: str) -> Any:
    try:
        from tqdm import tqdm
    except ImportError:  # progress bars are a nicety
        return None
    return tqdm(total=total, desc=desc, unit="text", file=sys.stderr)


def _classifier(kind: str, head: str | None, backend: str) -> Any:
    from routed_llm.classify import load_classifier

    if kind != "rules" and backend != "auto":
        from routed_llm.classify import default_head_path
        from routed_llm.classify.learned import LearnedClassifier

        return LearnedClassifier(head or default_head_path(), backend=backend)  # type: ignore[arg-type]
    return load_classifier(kind, head_path=head)  # type: ignore[arg-type]


def run_train(args: argparse.Namespace) -> int:
    from routed_llm.classify.embed import StaticEncoder
    from routed_llm.classify.evaluate import run, score
    from routed_llm.classify.features import featurize, n_encodes
    from routed_llm.classify.learned import LearnedClassifier, open_encoder
    from routed_llm.classify.train import read_examples, train_head

    examples = read_examples(args.data, permissive_only=args.permissive_only, agent_weight=args.agent_weight)
    holdout = read_examples([args.holdout]) if args.holdout else None
    print(f"read {len(examples)} training rows from {', '.join(args.data)}")
    encoder = open_encoder(args.backend, 128)

    def featurize_fn(windows: Any) -> Any:
        bar = _tqdm(n_encodes(windows), "embedding")
        try:
            return featurize(windows, encoder, progress=bar.update if bar is not None else None)
        finally:
            if bar is not None:
                bar.close()

    static = StaticEncoder()

    def static_fn(windows: Any) -> Any:
        return featurize(windows, static)

    started = time.perf_counter()
    head, fit = train_head(
        examples,
        featurize_fn,
        holdout=holdout,
        c=args.C,
        static_featurize_fn=static_fn,
        info={"trained_on": [Path(p).name for p in args.data], "encoder_backend": encoder.name},
    )
    out = head.save(args.out)
    print(
        f"fitted in {time.perf_counter() - started:.1f}s on {fit['train_rows']} rows, "
        f"{fit['holdout_rows']} held out: head accuracy {fit['holdout_head_accuracy']:.3f}, "
        f"temperature {fit['temperature']:.2f}, keyword precision {fit['keyword_precision']:.3f}"
    )
    if fit["static_threshold"] is not None:
        print(
            f"static first stage: threshold {fit['static_threshold']:.3f}, "
            f"answers {fit['static_share']:.1%} of held-out rows"
        )
    print("thresholds " + ", ".join(f"{k} {v:.2f}" for k, v in fit["thresholds"].items()))
    classifier = LearnedClassifier(head=head, encoder=encoder, static_encoder=static)
    for path in args.valid:
        rows = read_examples([path])
        results = run(classifier, [e.text for e in rows])
        report = score([e.label for e in rows], results)
        print(f"\nvalidation {path}\n{report.format()}")
    print(
        f"\nwrote {out}; use it with Router(classifier=LearnedClassifier('{out}')) "
        f"or `routed-llm eval DATA --head {out}`"
    )
    return 0


def run_eval(args: argparse.Namespace) -> int:
    from routed_llm.classify.evaluate import confusion_png, run, score
    from routed_llm.classify.train import read_examples

    rows = read_examples(args.data)
    if args.human_only:
        rows = [e for e in rows if e.kind == "human"]
    classifier = _classifier(args.classifier, args.head, args.backend)
    started = time.perf_counter()
    classifier.warm()
    load_ms = (time.perf_counter() - started) * 1000
    bar = _tqdm(len(rows), f"classifying ({classifier.name})")
    results = run(classifier, [e.text for e in rows], progress=bar.update if bar is not None else None)
    if bar is not None:
        bar.close()
    report = score([e.label for e in rows], results)
    if args.json:
        print(json.dumps({**report.__dict__, "classifier": classifier.name, "load_ms": load_ms}, indent=2))
    else:
        print(f"classifier {classifier.name} (loaded in {load_ms:.0f} ms)\n{report.format()}")
    if args.png:
        print(f"confusion matrix written to {confusion_png(report, args.png, title=classifier.name)}")
    return 0


def run_classify(args: argparse.Namespace) -> int:
    text = args.text if args.text is not None else sys.stdin.read()
    classifier = _classifier(args.classifier, args.head, args.backend)
    classifier.warm()
    result = classifier.classify(text)
    print(
        f"label {result.label}  confidence {result.confidence:.3f}  path {result.path}  "
        f"latency {result.latency_ms:.2f} ms  ({classifier.name})"
    )
    for label, p in sorted(result.probabilities.items(), key=lambda kv: -kv[1]):
        print(f"  {label:<12}{p:.3f}")
    return 0
