#!/usr/bin/env bash
# The main job: install what is needed, build the release binary (build/release/aicq), and evaluate.
# Until `aicq run` (measurement) lands, the most complete job is to validate, then assess, the bundled
# example site declaration. Usage: ./run.sh [DECLARATION.yaml]
set -euo pipefail
cd "$(dirname "$0")"

scripts/install-deps.sh
cmake --preset release >/dev/null
cmake --build --preset release --target aicq

site="${1:-examples/ai-training-center.yaml}"
mkdir -p aicq-results
result="aicq-results/$(basename "${site%.*}")-$(date -u +%Y%m%dT%H%M%SZ).json"
echo
echo "== aicq validate ${site}"
build/release/aicq validate "${site}"
echo
echo "== aicq assess ${site} -o ${result}"
build/release/aicq assess "${site}" -o "${result}"
echo
echo "Result (canonical JSON): ${result}"
echo "Next: build/release/aicq explain ${result} ce.theoretical · rescore ${result} · compare RESULT…"
echo "Binary: build/release/aicq (aicq --help for the commands; docs/methodology.md for the formulas)"
