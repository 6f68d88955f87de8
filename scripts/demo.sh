#!/usr/bin/env bash
# The main job: set up, then run the offline research-agent demo (the emulator stands in for the
# providers when no API key is set).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
exec .venv/bin/routed-llm demo "$@"
