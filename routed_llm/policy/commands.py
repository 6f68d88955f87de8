"""`routed-llm route` and `routed-llm calibrate`: the policy's subcommands (registered by cli.py)."""

from __future__ import annotations

import argparse
import importlib
import json
import os
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any

from routed_llm.errors import ClassifierUnavailableError, ConfigError

if TYPE_CHECKING:
    Subparsers = argparse._SubParsersAction[argparse.ArgumentParser]


def register(subparsers: Subparsers) -> None:
    route = subparsers.add_parser(
        "route", help="show where the policy sends a prompt",
        description="Classify TEXT, route it with the policy and print the chain (--explain: every "
                    "candidate with its score terms, every filtered model with its reason).",
    )
    route.add_argument("text", metavar="TEXT", help="the prompt ('-' reads it from stdin)")
    route.add_argument("--explain", action="store_true", help="print candidates, scores, filters and chain")
    route.add_argument("--json", action="store_true", help="print the explanation as JSON")
    route.add_argument("--label", help="skip the classifier and use this label")
    route.add_argument("--dial", type=float, help="0 (best quality) .. 1 (lowest cost)")
    route.add_argument("--preference", choices=("quality", "balanced", "cost"), help="a named point on the dial")
    route.add_argument("--provider", help="the session's pinned provider (e.g. openai)")
    route.add_argument("--model", help="pin a model (no classification, path 'pinned')")
    route.add_argument("--require", default="", help="required capabilities, comma-separated (tools,vision,json_schema)")
    route.add_argument("--max-tokens", type=int, help="the request's max_tokens")
    route.add_argument("--keys", choices=("env", "all"), default="env",
                       help="which providers count as having an API key: those set in the environment "
                            "(default; all of them when none is set) or all")
    route.add_argument("--catalog", help="catalog file (TOML/YAML/JSON); default: the shipped catalog")
    route.add_argument("--policy", help="policy file (TOML/YAML/JSON); default: the shipped policy")
    route.set_defaults(handler=run_route)

    cal = subparsers.add_parser(
        "calibrate", help="update per-(label, model) quality from graded results",
        description="Read graded results (JSON Lines: {\"label\", \"model\", \"score\" 0..1}), shrink them "
                    "toward the catalog's quality, print before/after and write a quality override file "
                    "that a policy uses with quality_file = \"...\".",
    )
    cal.add_argument("results", nargs="+", metavar="RESULTS.jsonl", help="graded results files")
    cal.add_argument("--out", default="calibrated-quality.toml", help="file to write (default: %(default)s)")
    cal.add_argument("--strength", type=float, default=None,
                     help="how many rows the catalog score is worth (default 20)")
    cal.add_argument("--catalog", help="catalog file; default: the shipped catalog")
    cal.add_argument("--policy", help="policy file whose current quality is shown as 'before'")
    cal.add_argument("--dry-run", action="store_true", help="print, do not write")
    cal.set_defaults(handler=run_calibrate)


def _catalog(path: str | None) -> Any:
    from routed_llm.catalog import load_catalog

    return load_catalog(path)


def _classify(text: str) -> tuple[str, float, str]:
    try:
        module = importlib.import_module("routed_llm.classify")
        factory = module.default_classifier
    except (ImportError, AttributeError) as exc:
        raise ClassifierUnavailableError(
            "the classifier is not available in this build; pass --label LABEL"
        ) from exc
    result = factory().classify(text)
    return str(result.label), float(result.confidence), str(result.path)


def _available(catalog: Any, mode: str) -> tuple[frozenset[str] | None, str | None]:
    if mode == "all":
        return None, None
    found = frozenset(name for name, p in catalog.providers.items() if os.environ.get(p.api_key_env))
    if not found:
        return None, "no provider API key is set; routing as if every provider had one (--keys all)"
    return found, None


def run_route(args: argparse.Namespace) -> int:
    from routed_llm.messages import PREFERENCE_DIAL, Message, Request
    from routed_llm.policy.config import check_dial, load_policy
    from routed_llm.policy.engine import Policy
    from routed_llm.policy.explain import format_explanation

    text = sys.stdin.read() if args.text == "-" else args.text
    catalog = _catalog(args.catalog)
    policy = Policy(catalog, load_policy(args.policy, catalog=catalog) if args.policy else None)
    if args.dial is not None:
        dial = check_dial(args.dial, "--dial")
    elif args.preference is not None:
        dial = PREFERENCE_DIAL[args.preference]
    else:
        dial = policy.config.default_dial
    request = Request((Message.user(text),), max_tokens=args.max_tokens)
    required = frozenset(c.strip() for c in args.require.split(",") if c.strip())
    available, note = _available(catalog, args.keys)
    if note:
        print(f"note: {note}", file=sys.stderr)
    if args.model:
        route = policy.pin(args.model, request, available, label=args.label, required=required,
                           pinned_provider=args.provider, dial=dial)
        head = f"model pinned: {route.choice.key} (path pinned)"
    else:
        if args.label:
            label, confidence, path = args.label, 1.0, "given"
        else:
            label, confidence, path = _classify(text)
        route = policy.route(label, request, required=required, pinned_provider=args.provider,
                             available_providers=available, dial=dial)
        head = f"label: {label} (confidence {confidence:.2f}, path {path})"
    if args.json:
        print(json.dumps(dict(route.explanation), indent=2))
    elif args.explain:
        print(head)
        print(format_explanation(route.explanation))
    else:
        print(head)
        print("chain: " + " -> ".join(route.keys))
    return 0


def run_calibrate(args: argparse.Namespace) -> int:
    from routed_llm.policy.calibrate import DEFAULT_STRENGTH, calibrate, read_results, render_quality_file
    from routed_llm.policy.config import load_policy
    from routed_llm.policy.engine import Policy

    catalog = _catalog(args.catalog)
    strength = DEFAULT_STRENGTH if args.strength is None else args.strength
    rows = read_results(args.results, catalog)
    if not rows:
        raise ConfigError("no graded rows found; each line is {\"label\", \"model\", \"score\"}", key=args.results[0])
    policy = Policy(catalog, load_policy(args.policy, catalog=catalog) if args.policy else None)
    estimates = calibrate(rows, catalog, strength=strength)
    print(f"{len(rows)} graded rows, shrinkage strength {strength:g}")
    print(f"{'model':<26}{'label':<13}{'rows':>6}{'mean':>7}{'before':>8}{'after':>8}")
    for e in estimates:
        before = policy.quality(catalog.model(e.model), e.label)
        print(f"{e.model:<26}{e.label:<13}{e.n:>6g}{e.mean:>7.3f}{before:>8.3f}{e.quality:>8.3f}")
    if args.dry_run:
        return 0
    out = Path(args.out)
    out.write_text(render_quality_file(estimates, strength=strength, sources=args.results), "utf-8")
    print(f"wrote {out}; use it with quality_file = \"{out}\" in your policy file")
    return 0
