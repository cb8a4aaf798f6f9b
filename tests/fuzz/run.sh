#!/usr/bin/env bash
# Runs the importers' fuzzers (all, or the NAMEs given) for SECONDS each (default 20), seeded with the recorded
# outputs in tests/fixtures. The corpus grows in a temporary folder, never in the source tree. Exit 1 on any
# finding. Usage: tests/fuzz/run.sh [SECONDS [NAME…]]; ctest --preset fuzz runs one test per importer.
set -euo pipefail
cd "$(dirname "$0")/../.."
seconds="${1:-20}"
shift || true
names=("$@")
[ ${#names[@]} -gt 0 ] || names=(mlperf mlperf-power mlperf-training hpcc hpl stream nccl-tests fio lm-eval nvidia-smi prometheus-text)
bin="$(realpath "${AICQ_FUZZ_BIN:-build/fuzz/tests/fuzz}")"
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
declare -A seeds=(
  [mlperf]=tests/fixtures/mlperf_inference [mlperf-power]=tests/fixtures/mlperf_power
  [mlperf-training]=tests/fixtures/mlperf_training [hpcc]=tests/fixtures/hpcc [hpl]=tests/fixtures/hpcc
  [stream]=tests/fixtures/stream [nccl-tests]=tests/fixtures/nccl_tests [fio]=tests/fixtures/fio
  [lm-eval]=tests/fixtures/lm_eval [nvidia-smi]=tests/fixtures/nvidia_smi [prometheus-text]=tests/fixtures/node_exporter
)
total=0
for name in "${names[@]}"; do
  exe="$bin/fuzz_${name//-/_}"
  corpus="$work/$name"
  mkdir -p "$corpus"
  find "${seeds[$name]}" -type f ! -name 'PROVENANCE.md' ! -name 'LICENSE*' ! -name 'NOTICE*' ! -name 'COPYRIGHT*' ! -name 'SOURCES.md' \
    -size -2M -exec cp {} "$corpus/" \;
  start=$(date +%s)
  if ! (cd "$work" && TMPDIR="$work" "$exe" -max_total_time="$seconds" -rss_limit_mb=2048 -timeout=10 \
        -print_final_stats=1 "$corpus" > "$work/$name.log" 2>&1); then
    echo "fuzz $name: FINDING"; tail -40 "$work/$name.log"; exit 1
  fi
  runs=$(grep -o 'stat::number_of_executed_units: *[0-9]*' "$work/$name.log" | grep -o '[0-9]*$' || echo '?')
  echo "fuzz $name: ${seconds} s, ${runs} inputs, no finding"
  total=$((total + $(date +%s) - start))
done
echo "fuzz: ${total} s in all, no finding"
