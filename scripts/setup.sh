#!/usr/bin/env bash
# Set up .venv with routed-llm, both framework adapters and (with --full) the classifier, Redis
# client and dev tools. Safe to re-run: pip skips what is already installed.
set -euo pipefail
cd "$(dirname "$0")/.."
PY=${PYTHON:-python3}
if [ ! -x .venv/bin/python ]; then
  "$PY" -m venv .venv
fi
PIP=(.venv/bin/python -m pip install --disable-pip-version-check -q)
if [ "${1:-}" = "--full" ]; then
  # The CPU build of torch; a plain `torch` requirement would pull a multi-GB CUDA build.
  "${PIP[@]}" "torch==2.13.0"
  "${PIP[@]}" -e ".[classifier,redis,report,dev]" -e "integrations/langchain[test]" -e "integrations/llama-index"
else
  "${PIP[@]}" -e ".[report]" -e "integrations/langchain" -e "integrations/llama-index"
fi
