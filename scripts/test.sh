#!/usr/bin/env bash
# The whole test suite, with all set-up: venv, packages (CPU torch), a redis-server binary for the
# tests that start their own Redis, then lint, type-check and pytest.
set -euo pipefail
cd "$(dirname "$0")/.."
if ! command -v redis-server >/dev/null 2>&1; then
  if [ "$(id -u)" = "0" ] && command -v apt-get >/dev/null 2>&1; then
    echo "installing redis-server (the Redis tests start their own server on a free port)"
    apt-get update -qq >/dev/null && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq redis-server >/dev/null
  else
    echo "redis-server is missing: install it (apt-get install redis-server) for the Redis tests" >&2
  fi
fi
bash scripts/setup.sh --full
export HF_HUB_OFFLINE=1 TRANSFORMERS_OFFLINE=1
.venv/bin/ruff check routed_llm integrations
.venv/bin/python -m mypy
exec .venv/bin/python -m pytest -q "$@"
