"""``python -m routed_llm.testing [--port 8765] [--time-scale 0.05] [--api-key openai=sk-...]``."""

from __future__ import annotations

import argparse
from collections.abc import Sequence


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m routed_llm.testing", description="Run the routed-llm provider emulator on 127.0.0.1.")
    parser.add_argument("--host", default="127.0.0.1", help="loopback address to bind (default 127.0.0.1)")
    parser.add_argument("--port", type=int, default=8765, help="port (default 8765; 0 picks a free one)")
    parser.add_argument("--time-scale", type=float, default=0.0, help="multiply model latencies by this (0 = instant; the demo uses 0.05)")
    parser.add_argument("--api-key", action="append", default=[], metavar="PROVIDER=KEY", help="require KEY for PROVIDER (repeatable)")
    parser.add_argument("--no-strict", action="store_true", help="turn off the issued-tool-call-id checks")
    args = parser.parse_args(argv)
    keys: dict[str, str] = {}
    for item in args.api_key:
        provider, sep, key = item.partition("=")
        if not sep or not provider or not key:
            parser.error(f"--api-key takes PROVIDER=KEY, got {item.split('=')[0]!r}=...")
        keys[provider] = key
    from routed_llm.testing.serve import serve

    serve(args.host, args.port, time_scale=args.time_scale, api_keys=keys, strict=not args.no_strict)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
