#!/usr/bin/env bash
# The main job: install what is needed, build the release binary (build/release/aicq), and evaluate.
# Until `aicq run` (measurement) lands, the most complete job is validating and summarising the bundled
# example site declaration. Usage: ./run.sh [DECLARATION.yaml]
set -euo pipefail
cd "$(dirname "$0")"

scripts/install-deps.sh
cmake --preset release >/dev/null
cmake --build --preset release --target aicq

site="${1:-examples/ai-training-center.yaml}"
echo
echo "== aicq validate ${site}"
build/release/aicq validate "${site}"
echo
echo "Binary: build/release/aicq (aicq --help for the commands; docs/declaration.md for the declaration)"
