#!/usr/bin/env bash
# The main job: install what is needed, build the release binary (build/release/aicq), and evaluate this
# machine: `aicq run` — hardware and peak discovery, the standard probe suite (≤ 10 min on 2 cores) with
# telemetry beside it, the gap diagnosis, and a provisional graded assessment of what could be measured.
# Usage: ./run.sh [aicq run options], e.g. ./run.sh --suite quick, ./run.sh --site examples/cpu-datacenter.yaml
set -euo pipefail
cd "$(dirname "$0")"

scripts/install-deps.sh
cmake --preset release >/dev/null
cmake --build --preset release --target aicq

echo
echo "== aicq run $*"
set +e
build/release/aicq run "$@"
rc=$?
set -e
echo
echo "Binary: build/release/aicq (aicq --help for the commands; docs/methodology.md for the formulas)"
echo "Next: aicq report RESULT --format md · aicq explain RESULT ce.measured · aicq hw · aicq sensors"
exit $rc
