"""The `routed-llm` command. Each group of subcommands lives beside the code it drives and is
registered here; heavy modules load only when their subcommand runs."""

from __future__ import annotations

import argparse
import importlib
import logging
import sys
from collections.abc import Callable, Sequence

# module path -> the function that adds its subcommands
COMMAND_MODULES: tuple[str, ...] = (
    "routed_llm.demo.commands",
    "routed_llm.classify.commands",
    "routed_llm.policy.commands",
)


def build_parser() -> argparse.ArgumentParser:
    from routed_llm import __version__

    parser = argparse.ArgumentParser(
        prog="routed-llm",
        description="Task-aware model routing for agents: classify, route, fail over, report the cost.",
    )
    parser.add_argument("--version", action="version", version=f"routed-llm {__version__}")
    parser.add_argument("-v", "--verbose", action="count", default=0, help="log more (-vv for debug)")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    for module_name in COMMAND_MODULES:
        try:
            module = importlib.import_module(module_name)
        except ModuleNotFoundError as exc:
            if exc.name is not None and module_name.startswith(exc.name):
                continue  # that part of the package is not present in this build
            raise
        register: Callable[[argparse._SubParsersAction[argparse.ArgumentParser]], None] = module.register
        register(sub)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    logging.basicConfig(
        level=logging.WARNING - 10 * min(args.verbose, 2),
        format="%(levelname)s %(name)s: %(message)s",
    )
    handler = getattr(args, "handler", None)
    if handler is None:
        parser.print_help()
        return 2
    from routed_llm.errors import RoutedLLMError

    try:
        code: int = handler(args)
    except RoutedLLMError as exc:
        print(f"routed-llm: {type(exc).__name__}: {exc}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        return 130
    return code


if __name__ == "__main__":
    raise SystemExit(main())
