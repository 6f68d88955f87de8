"""Cost of the routed choices against sending everything to the flagship, per label and overall.

For each validation prompt: classify it (or take its true label with --true-labels), estimate its
tokens, route it with the policy, and price the prompt plus the label's expected output on the chosen
model and on the flagship. Estimates, not bills: no provider is called.

    .venv/bin/python benchmarks/cost_mix.py                    # classifier labels, default policy
    .venv/bin/python benchmarks/cost_mix.py --true-labels --provider openai
"""

from __future__ import annotations

import argparse
import importlib
import json
import sys
from collections import Counter, defaultdict
from collections.abc import Callable, Sequence
from decimal import Decimal
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
DEFAULT_DATA = REPO / ".." / "shared" / "data" / "valid.jsonl"


def _classifier() -> Callable[[str], str] | None:
    try:
        module = importlib.import_module("routed_llm.classify")
        clf = module.default_classifier()
    except (ImportError, AttributeError):
        return None

    def classify(text: str) -> str:
        return str(clf.classify(text).label)

    return classify


def main(argv: Sequence[str] | None = None) -> int:
    sys.path.insert(0, str(REPO))
    from routed_llm.catalog import load_catalog
    from routed_llm.costs import estimate_cost
    from routed_llm.errors import NoRouteError
    from routed_llm.labels import LABELS
    from routed_llm.messages import Message, Request
    from routed_llm.policy import Policy, load_policy
    from routed_llm.tokens import estimate_request_tokens

    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0] if __doc__ else None)
    ap.add_argument("--data", default=str(DEFAULT_DATA), help="JSONL with text and label (default: %(default)s)")
    ap.add_argument("--true-labels", action="store_true", help="route by the true label, not the classifier's")
    ap.add_argument("--provider", help="pin every session to this provider (default: unpinned)")
    ap.add_argument("--dial", type=float, help="0 quality .. 1 cost (default: the policy's default_dial)")
    ap.add_argument("--policy", help="policy file (default: the shipped policy)")
    ap.add_argument("--catalog", help="catalog file (default: the shipped catalog)")
    ap.add_argument("--flagship", help="baseline model (default: the policy's flagship)")
    ap.add_argument("--limit", type=int, help="only the first N prompts")
    ap.add_argument("--json", action="store_true", help="print the summary as JSON")
    args = ap.parse_args(argv)

    catalog = load_catalog(args.catalog)
    policy = Policy(catalog, load_policy(args.policy, catalog=catalog) if args.policy else None)
    flagship = catalog.model(args.flagship or policy.config.flagship)
    rows = [json.loads(line) for line in Path(args.data).read_text("utf-8").splitlines() if line.strip()]
    rows = rows[: args.limit] if args.limit else rows
    classify = None if args.true_labels else _classifier()
    if classify is None and not args.true_labels:
        print("note: the classifier is not available; using the true labels", file=sys.stderr)

    routed: dict[str, Decimal] = defaultdict(Decimal)
    base: dict[str, Decimal] = defaultdict(Decimal)
    count: Counter[str] = Counter()
    models: dict[str, Counter[str]] = defaultdict(Counter)
    correct = 0
    for i, row in enumerate(rows, 1):
        label = classify(row["text"]) if classify else row["label"]
        correct += label == row["label"]
        request = Request((Message.user(row["text"]),))
        tokens = estimate_request_tokens(request)
        try:
            route = policy.route(label, request, pinned_provider=args.provider, dial=args.dial,
                                 estimated_input_tokens=tokens)
        except NoRouteError as exc:
            print(f"row {i}: no route: {exc}", file=sys.stderr)
            continue
        out = policy.config.label(route.label or "chat").output_tokens
        key = row["label"]
        routed[key] += estimate_cost(tokens, out, route.choice)
        base[key] += estimate_cost(tokens, out, flagship)
        count[key] += 1
        models[key][route.choice.name] += 1
        if i % 500 == 0:
            print(f"  {i}/{len(rows)} prompts", file=sys.stderr)

    labels = [lab for lab in LABELS if count[lab]]
    summary = {
        lab: {"prompts": count[lab], "routed_usd": str(routed[lab]), "flagship_usd": str(base[lab]),
              "ratio": float(base[lab] / routed[lab]) if routed[lab] else None,
              "models": dict(models[lab].most_common())}
        for lab in labels
    }
    total_r, total_b = sum(routed.values(), Decimal(0)), sum(base.values(), Decimal(0))
    if args.json:
        print(json.dumps({"labels": summary, "routed_usd": str(total_r), "flagship_usd": str(total_b),
                          "ratio": float(total_b / total_r) if total_r else None}, indent=2))
        return 0
    how = "true labels" if classify is None else f"classifier labels (accuracy {correct / max(len(rows), 1):.1%})"
    print(f"{len(rows)} prompts from {args.data}; {how}; flagship {flagship.key}; "
          f"pinned provider {args.provider or 'none'}; dial {policy.config.default_dial if args.dial is None else args.dial}")
    print(f"{'label':<13}{'prompts':>8}{'routed $':>12}{'flagship $':>12}{'ratio':>8}{'saved':>8}  models")
    for lab in labels:
        r, b = routed[lab], base[lab]
        ratio = f"{b / r:.1f}x" if r else "-"
        saved = f"{(1 - r / b):.0%}" if b else "-"
        top = ", ".join(f"{m} {n}" for m, n in models[lab].most_common(3))
        print(f"{lab:<13}{count[lab]:>8}{float(r):>12.4f}{float(b):>12.4f}{ratio:>8}{saved:>8}  {top}")
    ratio = f"{total_b / total_r:.1f}x" if total_r else "-"
    saved = f"{(1 - total_r / total_b):.0%}" if total_b else "-"
    print(f"{'overall':<13}{sum(count.values()):>8}{float(total_r):>12.4f}{float(total_b):>12.4f}{ratio:>8}{saved:>8}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
