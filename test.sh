#!/usr/bin/env bash
# The whole test suite: install what is needed, build, run every test through ctest.
# Stages: release build + all tests (unit, CLI, browser); a debug build with AddressSanitizer +
# UndefinedBehaviorSanitizer running the unit and CLI tests again; the importers' libFuzzer targets (clang),
# 20 s each. Exit 0 only if every test passed. Stage times are printed.
set -euo pipefail
cd "$(dirname "$0")"

stage() { echo; echo "== $1 ($(date -u +%H:%M:%S))"; }
# Each ctest run is logged so that the totals of all stages can be printed as the closing line.
logs=$(mktemp -d)
trap 'rm -rf "$logs"' EXIT
run_ctest() { local name=$1; shift; ctest "$@" 2>&1 | tee "$logs/$name.log"; }
t0=$(date +%s)
times=()
mark() { local now; now=$(date +%s); times+=("$1: $((now - t_stage)) s"); }

stage "install dependencies"; t_stage=$(date +%s)
scripts/install-deps.sh
mark "install"

stage "release build"; t_stage=$(date +%s)
cmake --preset release >/dev/null
cmake --build --preset release
mark "release build"

stage "release tests"; t_stage=$(date +%s)
run_ctest release --preset release
mark "release tests"

stage "sanitizer build (ASan + UBSan)"; t_stage=$(date +%s)
cmake --preset debug >/dev/null
cmake --build --preset debug --target aicq_tests
mark "sanitizer build"

stage "sanitizer tests"; t_stage=$(date +%s)
# The browser tests ran against the release binary; the sanitizer pass is for the C++ code.
ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
  run_ctest debug --preset debug -E '^browser\.'
mark "sanitizer tests"

stage "fuzz build (clang, libFuzzer + ASan + UBSan)"; t_stage=$(date +%s)
cmake --preset fuzz >/dev/null
cmake --build --preset fuzz
mark "fuzz build"

stage "fuzzing the importers (20 s each, seeded with tests/fixtures)"; t_stage=$(date +%s)
run_ctest fuzz --preset fuzz
mark "fuzzing"

echo
echo "== stage times"
for t in "${times[@]}"; do echo "  $t"; done
echo "  total: $(( $(date +%s) - t0 )) s"

# Totals over the three ctest runs (release, sanitizers, fuzzing), as one closing line.
passed=0; failed=0
for f in "$logs"/*.log; do
  line=$(grep -E 'tests passed, [0-9]+ tests? failed out of [0-9]+' "$f" | tail -1)
  total=$(sed -E 's/.* out of ([0-9]+).*/\1/' <<<"$line")
  fail=$(sed -E 's/.*passed, ([0-9]+) tests? failed.*/\1/' <<<"$line")
  passed=$((passed + total - fail)); failed=$((failed + fail))
done
echo
echo "tests: ${passed} passed, ${failed} failed"
