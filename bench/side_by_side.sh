#!/usr/bin/env bash
# bench/side_by_side.sh — aicq's DGEMM, FP32 GEMM, LINPACK and STREAM triad side by side with their peers, in
# one run, under the same conditions: OpenBLAS, BLIS and oneDNN called directly (bench/peers.cpp, at the sizes
# aicq used in the same round) and Debian's hpcc (StarDGEMM, HPL, StarSTREAM; 2 MPI ranks, bench/hpcc/hpccinf.txt).
# Each round runs everything once; 5 rounds give each figure's CV. Writes bench/results/<date>.json and prints
# the Markdown tables of docs/performance.md. Slow (about half an hour); not part of ./test.sh.
#
#   bench/side_by_side.sh [--runs N] [--wait-quiet SECONDS] [--scratch DIR] [--out FILE] [--smoke]
#
#   --runs N            rounds (default 5)
#   --wait-quiet S      wait up to S seconds (default 1800) for a 1-minute load average below 0.5, then run anyway
#   --scratch DIR       keep the raw outputs here (default: a new folder under /tmp)
#   --out FILE          result document (default bench/results/YYYY-MM-DD.json)
#   --smoke             one round at quick sizes and a small hpcc, to check the pipeline (not a measurement)
set -euo pipefail
cd "$(dirname "$0")/.."

runs=5
wait_quiet=1800
scratch=""
out=""
smoke=0
while [ $# -gt 0 ]; do
  case "$1" in
    --runs) runs=$2; shift 2 ;;
    --wait-quiet) wait_quiet=$2; shift 2 ;;
    --scratch) scratch=$2; shift 2 ;;
    --out) out=$2; shift 2 ;;
    --smoke) smoke=1; shift ;;
    -h|--help) sed -n 2,16p "$0"; exit 0 ;;
    *) echo "side_by_side: unknown option '$1' (--help)" >&2; exit 2 ;;
  esac
done

AICQ=build/release/aicq
PEERS=build/bench/bench/aicq_bench_peers
PY=/usr/bin/python3
[ -x "$AICQ" ] || { echo "side_by_side: $AICQ missing: cmake --preset release && cmake --build build/release --target aicq" >&2; exit 1; }
for tool in hpcc mpirun "$PY"; do
  command -v "$tool" >/dev/null || { echo "side_by_side: $tool missing (scripts/install-deps.sh)" >&2; exit 1; }
done
# The peers program lives in its own build folder so that the shared release build keeps AICQ_ENABLE_BENCH off.
if [ ! -x "$PEERS" ] || [ bench/peers.cpp -nt "$PEERS" ]; then
  [ -f build/bench/build.ninja ] || flock /tmp/aicq-build.lock cmake -S . -B build/bench -G Ninja \
    -DCMAKE_BUILD_TYPE=Release -DAICQ_ENABLE_TESTS=OFF -DAICQ_ENABLE_BENCH=ON >/dev/null
  flock /tmp/aicq-build.lock cmake --build build/bench --target aicq_bench_peers
fi

suite=standard
peer_reps=(--reps 5 --linpack-reps 3 --stream-reps 10)
hpcc_input=bench/hpcc/hpccinf.txt
if [ "$smoke" = 1 ]; then
  runs=1; suite=quick; wait_quiet=0; peer_reps=(--reps 2 --linpack-reps 1 --stream-reps 3)
fi
scratch=${scratch:-$(mktemp -d /tmp/aicq-side-by-side.XXXXXX)}
mkdir -p "$scratch"
date_utc=$(date -u +%Y-%m-%d)
out=${out:-bench/results/$date_utc.json}
[ "$smoke" = 1 ] && [ "$out" = "bench/results/$date_utc.json" ] && out=$scratch/smoke.json
echo "side_by_side: raw outputs in $scratch"

# Same conditions for every program: no OpenBLAS core type forced, no thread counts from the environment
# (aicq and the peers set 2 threads themselves; hpcc gets 1 thread per rank below, 2 ranks).
unset OPENBLAS_CORETYPE OPENBLAS_NUM_THREADS GOTO_NUM_THREADS OMP_NUM_THREADS BLIS_NUM_THREADS \
  OMP_PROC_BIND OMP_PLACES ONEDNN_MAX_CPU_ISA DNNL_MAX_CPU_ISA

# Quiet machine: other work on the same cores changes every figure.
load1() { cut -d' ' -f1 /proc/loadavg; }
waited=0
while ! awk -v l="$(load1)" 'BEGIN { exit !(l < 0.5) }'; do
  if [ "$waited" -ge "$wait_quiet" ]; then
    echo "side_by_side: load $(load1) after ${waited} s of waiting: running anyway (stated in the result)"; break
  fi
  [ "$waited" = 0 ] && echo "side_by_side: load $(load1); waiting for < 0.5 (at most ${wait_quiet} s)"
  sleep 30; waited=$((waited + 30))
done
load_at_start=$(cat /proc/loadavg)

# The load average counts this benchmark's own threads; the CPU time of everything else is what disturbs it:
# busy time of all CPUs (/proc/stat) minus the CPU time of this script's children (bash `times`).
tck=$(getconf CLK_TCK)
busy_s() { awk -v t="$tck" '/^cpu / { print ($2 + $3 + $4 + $7 + $8) / t }' /proc/stat; }
# `times` must run in this shell (a subshell has its own, empty, accounts): its second line is the children's.
children_s() { tail -1 "$1" | awk '{ gsub(/[ms]/, " "); split($0, a, " "); print a[1] * 60 + a[2] + a[3] * 60 + a[4] }'; }
(while :; do echo "$(date +%s) $(cat /proc/loadavg)"; sleep 10; done) >"$scratch/loadavg.txt" &
logger=$!
trap 'kill $logger 2>/dev/null || true' EXIT
times >"$scratch/times_start.txt"
t_start=$(date +%s.%N); busy_start=$(busy_s); children_start=$(children_s "$scratch/times_start.txt")

"$AICQ" hw --format json >"$scratch/hw.json"
"$AICQ" hw --no-measure >"$scratch/hw.txt"

for r in $(seq 1 "$runs"); do
  d=$scratch/run$r
  mkdir -p "$d/hpcc"
  echo "side_by_side: round $r of $runs: aicq probes ($suite) …"
  "$AICQ" probes --run compute.gemm --suite "$suite" >"$d/aicq_gemm.json"
  "$AICQ" probes --run compute.linpack --suite "$suite" >"$d/aicq_linpack.json"
  "$AICQ" probes --run memory.stream --suite "$suite" >"$d/aicq_stream.json"
  # The peers run at the sizes aicq used in this round (compute.linpack may shrink n to its time budget).
  read -r gemm_n linpack_n stream_n < <("$PY" -c '
import json, sys
g, l, s = (json.load(open(f"{sys.argv[1]}/aicq_{k}.json")) for k in ("gemm", "linpack", "stream"))
print(g["effective"]["n"]["dgemm_fp64"], l["effective"]["n"], s["effective"]["array_elements"])' "$d")
  echo "side_by_side: round $r: peers (gemm n=$gemm_n, linpack n=$linpack_n, triad $stream_n elements) …"
  "$PEERS" --gemm-n "$gemm_n" --linpack-n "$linpack_n" --stream-elements "$stream_n" "${peer_reps[@]}" \
    >"$d/peers.json" 2>"$d/peers.log"
  echo "side_by_side: round $r: hpcc (2 ranks) …"
  if [ "$smoke" = 1 ]; then
    sed -e 's/^2            # of problems sizes (N)/1            # of problems sizes (N)/' \
      -e 's/^12000 16000  Ns/2000         Ns/' "$hpcc_input" >"$d/hpcc/hpccinf.txt"
  else
    cp "$hpcc_input" "$d/hpcc/hpccinf.txt"
  fi
  (cd "$d/hpcc" && OPENBLAS_NUM_THREADS=1 OMP_NUM_THREADS=1 mpirun --allow-run-as-root -np 2 hpcc >stdout.txt 2>stderr.txt)
  "$AICQ" import hpcc "$d/hpcc/hpccoutf.txt" -o "$d/hpcc.json" >/dev/null
  "$AICQ" import hpl "$d/hpcc/hpccoutf.txt" -o "$d/hpl.json" >/dev/null
done

times >"$scratch/times_end.txt"
t_end=$(date +%s.%N); busy_end=$(busy_s); children_end=$(children_s "$scratch/times_end.txt")
kill $logger 2>/dev/null || true
"$PY" - "$scratch" <<EOF
import json, os, sys
scratch = sys.argv[1]
wall = $t_end - $t_start
others = ($busy_end - $busy_start) - ($children_end - $children_start)
loads = [float(l.split()[1]) for l in open(os.path.join(scratch, "loadavg.txt")) if l.strip()]
meta = {
  "date_utc": "$date_utc", "runs": $runs, "suite": "$suite", "smoke": bool($smoke),
  "load_at_start": "$load_at_start", "waited_for_quiet_s": $waited,
  "loadavg_1min_during": {"min": min(loads, default=None), "max": max(loads, default=None),
                          "mean": sum(loads) / len(loads) if loads else None,
                          "note": "includes this benchmark's own 2 threads"},
  "other_cpu_cores_mean": others / wall if wall > 0 else None,
  "other_cpu_note": "busy CPU time of the machine (/proc/stat) minus this script's children, over the wall time",
  "wall_s": wall,
  "environment": {
    "aicq_and_peers": "OPENBLAS_CORETYPE, OPENBLAS_NUM_THREADS, OMP_NUM_THREADS, BLIS_NUM_THREADS, OMP_PROC_BIND, OMP_PLACES, ONEDNN_MAX_CPU_ISA unset; 2 threads set by the programs",
    "hpcc": "OPENBLAS_CORETYPE unset; OPENBLAS_NUM_THREADS=1 OMP_NUM_THREADS=1; mpirun --allow-run-as-root -np 2 hpcc"},
  "versions": {"aicq": os.popen("$AICQ --version").read().strip(),
               "mpirun": os.popen("mpirun --version 2>&1 | head -1").read().strip(),
               "hpcc": os.popen("dpkg-query -W -f='\${Version}' hpcc").read().strip(),
               "openblas": os.popen("dpkg-query -W -f='\${Version}' libopenblas0-pthread").read().strip(),
               "blis": os.popen("dpkg-query -W -f='\${Version}' libblis4-openmp").read().strip(),
               "onednn": os.popen("dpkg-query -W -f='\${Version}' libdnnl2").read().strip()},
  "commands": [
    "$AICQ probes --run compute.gemm --suite $suite",
    "$AICQ probes --run compute.linpack --suite $suite",
    "$AICQ probes --run memory.stream --suite $suite",
    "$PEERS --gemm-n N --linpack-n N --stream-elements N ${peer_reps[*]} (N: the sizes aicq used in the round)",
    "(cd SCRATCH && OPENBLAS_NUM_THREADS=1 OMP_NUM_THREADS=1 mpirun --allow-run-as-root -np 2 hpcc) with $hpcc_input",
    "$AICQ import hpcc hpccoutf.txt -o hpcc.json; $AICQ import hpl hpccoutf.txt -o hpl.json"],
}
json.dump(meta, open(os.path.join(scratch, "meta.json"), "w"), indent=1)
EOF
mkdir -p "$(dirname "$out")"
"$PY" bench/aggregate.py --scratch "$scratch" --out "$out"
echo
echo "side_by_side: load at start: $load_at_start; result: $out; raw outputs: $scratch"
