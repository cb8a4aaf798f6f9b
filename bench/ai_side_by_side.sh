#!/usr/bin/env bash
# bench/ai_side_by_side.sh — aicq's ai.train and ai.infer side by side with Debian's PyTorch (python3-torch 1.13,
# bench/ai/train_fashion.py): the same CNN, Fashion-MNIST files, seed, batch order, optimizer, evaluation cadence
# and thread count, on the same libtorch_cpu.so. Rounds alternate which side runs first (round 1: aicq, so that
# the Python side takes its settings from aicq's record). Writes bench/results/<date>-ai.json and prints the
# Markdown table of docs/performance.md §3 (ratios aicq ÷ PyTorch). Slow (about 5 min per round on 2 cores);
# not part of ./test.sh.
#
#   bench/ai_side_by_side.sh [--runs N] [--threads T] [--wait-quiet SECONDS] [--scratch DIR] [--out FILE]
#                            [--python-only]
#
#   --runs N            rounds (default 3)
#   --threads T         threads for both sides (default: all cores, as aicq's default)
#   --wait-quiet S      wait up to S seconds (default 1800) for a 1-minute load average below 0.5, then run anyway
#   --scratch DIR       keep the raw outputs here (default: a new folder under /tmp)
#   --out FILE          result document (default bench/results/YYYY-MM-DD-ai.json)
#   --python-only       run the PyTorch side alone (aicq's figures missing), e.g. before ai.train exists
set -euo pipefail
cd "$(dirname "$0")/.."

runs=3
threads=$(nproc)
wait_quiet=1800
scratch=""
out=""
python_only=0
while [ $# -gt 0 ]; do
  case "$1" in
    --runs) runs=$2; shift 2 ;;
    --threads) threads=$2; shift 2 ;;
    --wait-quiet) wait_quiet=$2; shift 2 ;;
    --scratch) scratch=$2; shift 2 ;;
    --out) out=$2; shift 2 ;;
    --python-only) python_only=1; shift ;;
    -h|--help) sed -n 2,17p "$0"; exit 0 ;;
    *) echo "ai_side_by_side: unknown option '$1' (--help)" >&2; exit 2 ;;
  esac
done

AICQ=build/release/aicq
PY=/usr/bin/python3   # Debian's interpreter: the one python3-torch is installed for
PEER=bench/ai/train_fashion.py
"$PY" -c 'import torch, numpy' 2>/dev/null || { echo "ai_side_by_side: $PY cannot import torch and numpy (apt install python3-torch)" >&2; exit 1; }
if [ "$python_only" = 0 ]; then
  [ -x "$AICQ" ] || { echo "ai_side_by_side: $AICQ missing: cmake --preset release && cmake --build build/release --target aicq" >&2; exit 1; }
fi
scratch=${scratch:-$(mktemp -d /tmp/aicq-ai-side-by-side.XXXXXX)}
mkdir -p "$scratch"
date_utc=$(date -u +%Y-%m-%d)
out=${out:-bench/results/$date_utc-ai.json}
echo "ai_side_by_side: raw outputs in $scratch"

# Same conditions for both: no thread counts or ISA limits from the environment; both set `threads` themselves.
unset OMP_NUM_THREADS MKL_NUM_THREADS OPENBLAS_NUM_THREADS OPENBLAS_CORETYPE OMP_PROC_BIND OMP_PLACES \
  ONEDNN_MAX_CPU_ISA DNNL_MAX_CPU_ISA ATEN_CPU_CAPABILITY DNNL_VERBOSE ONEDNN_VERBOSE

load1() { cut -d' ' -f1 /proc/loadavg; }
waited=0
while ! awk -v l="$(load1)" 'BEGIN { exit !(l < 0.5) }'; do
  if [ "$waited" -ge "$wait_quiet" ]; then
    echo "ai_side_by_side: load $(load1) after ${waited} s of waiting: running anyway (stated in the result)"; break
  fi
  [ "$waited" = 0 ] && echo "ai_side_by_side: load $(load1); waiting for < 0.5 (at most ${wait_quiet} s)"
  sleep 30; waited=$((waited + 30))
done
load_at_start=$(cat /proc/loadavg)

# As bench/side_by_side.sh: the CPU time of everything else on the machine over the run (busy time in /proc/stat
# minus this script's children), since the load average counts the benchmark's own threads.
tck=$(getconf CLK_TCK)
busy_s() { awk -v t="$tck" '/^cpu / { print ($2 + $3 + $4 + $7 + $8) / t }' /proc/stat; }
children_s() { tail -1 "$1" | awk '{ gsub(/[ms]/, " "); split($0, a, " "); print a[1] * 60 + a[2] + a[3] * 60 + a[4] }'; }
(while :; do echo "$(date +%s) $(cat /proc/loadavg)"; sleep 10; done) >"$scratch/loadavg.txt" &
logger=$!
trap 'kill $logger 2>/dev/null || true' EXIT
times >"$scratch/times_start.txt"
t_start=$(date +%s.%N); busy_start=$(busy_s); children_start=$(children_s "$scratch/times_start.txt")

# The Python side's settings: aicq's effective ones once known (round 1 runs aicq first). Training: batch,
# learning rate, seed, target, evaluation cadence, budget (ai.train's record); inference: queries and the number
# of timed Offline passes (ai.infer's record). Until then the peer's defaults, which are aicq's standard suite's.
peer_settings() {
  "$PY" - "$1" "$2" <<'EOF'
import json, sys
def load(p):
    try:
        return json.loads(open(p).read().strip().splitlines()[-1])
    except (OSError, ValueError, IndexError):
        return {}
train, infer = load(sys.argv[1]), load(sys.argv[2])
e = train.get("effective", {})
keys = {"batch": "--batch", "learning_rate": "--lr", "seed": "--seed", "target_accuracy": "--target",
        "eval_every": "--eval-every", "budget_s": "--budget-s"}
opts = [f"{flag} {e[k]}" for k, flag in keys.items() if k in e]
infer_opts = []
if "queries" in infer.get("effective", {}):
    infer_opts.append(f"--queries {infer['effective']['queries']}")
off = [m for m in infer.get("measurements", []) if m["id"] == "offline_fp32"]
if off:
    infer_opts.append(f"--offline-reps {len(off[0]['samples'])}")
print(" ".join(opts))               # line 1: training (both modes train)
print(" ".join(opts + infer_opts))  # line 2: inference
EOF
}
settings=""        # the peer's training options
infer_settings=""  # … and its inference options

run_aicq() {
  local d=$1
  echo "ai_side_by_side: round $r: aicq ai.train …"
  "$AICQ" probes --run ai.train --threads "$threads" >"$d/aicq_train.json" 2>"$d/aicq_train.log"
  echo "ai_side_by_side: round $r: aicq ai.infer …"
  "$AICQ" probes --run ai.infer --threads "$threads" >"$d/aicq_infer.json" 2>"$d/aicq_infer.log"
  [ -n "$settings" ] || { read -r settings; read -r infer_settings; } < <(peer_settings "$d/aicq_train.json" "$d/aicq_infer.json")
}
run_python() {
  local d=$1
  echo "ai_side_by_side: round $r: PyTorch train ($settings) …"
  # shellcheck disable=SC2086  # $settings is a list of options
  "$PY" "$PEER" train --threads "$threads" $settings >"$d/py_train.json" 2>"$d/py_train.log"
  echo "ai_side_by_side: round $r: PyTorch infer ($infer_settings) …"
  # shellcheck disable=SC2086
  "$PY" "$PEER" infer --threads "$threads" $infer_settings >"$d/py_infer.json" 2>"$d/py_infer.log"
}

for r in $(seq 1 "$runs"); do
  d=$scratch/run$r
  mkdir -p "$d"
  if [ "$python_only" = 1 ]; then
    run_python "$d"
  elif [ $((r % 2)) = 1 ]; then
    run_aicq "$d"; run_python "$d"
  else
    run_python "$d"; run_aicq "$d"
  fi
done

times >"$scratch/times_end.txt"
t_end=$(date +%s.%N); busy_end=$(busy_s); children_end=$(children_s "$scratch/times_end.txt")
kill $logger 2>/dev/null || true
aicq_version=$([ -x "$AICQ" ] && "$AICQ" --version || echo "not run")
"$PY" - "$scratch" <<EOF
import json, os, sys
scratch = sys.argv[1]
wall = $t_end - $t_start
others = ($busy_end - $busy_start) - ($children_end - $children_start)
loads = [float(l.split()[1]) for l in open(os.path.join(scratch, "loadavg.txt")) if l.strip()]
meta = {
  "date_utc": "$date_utc", "runs": $runs, "threads": $threads, "python_only": bool($python_only),
  "load_at_start": "$load_at_start", "waited_for_quiet_s": $waited,
  "loadavg_1min_during": {"min": min(loads, default=None), "max": max(loads, default=None),
                          "mean": sum(loads) / len(loads) if loads else None,
                          "note": "includes this benchmark's own threads"},
  "other_cpu_cores_mean": others / wall if wall > 0 else None,
  "other_cpu_note": "busy CPU time of the machine (/proc/stat) minus this script's children, over the wall time",
  "wall_s": wall,
  "environment": "OMP_NUM_THREADS, MKL_NUM_THREADS, OPENBLAS_NUM_THREADS, OPENBLAS_CORETYPE, OMP_PROC_BIND, OMP_PLACES, ONEDNN_MAX_CPU_ISA, ATEN_CPU_CAPABILITY unset; both sides set $threads threads",
  "versions": {"aicq": "$aicq_version",
               "libtorch": os.popen("dpkg-query -W -f='\${Version}' libtorch1.13").read().strip(),
               "python3-torch": os.popen("dpkg-query -W -f='\${Version}' python3-torch").read().strip(),
               "python": os.popen("$PY --version").read().strip()},
  "commands": [
    "$AICQ probes --run ai.train --threads $threads",
    "$AICQ probes --run ai.infer --threads $threads",
    "$PY $PEER train --threads $threads $settings",
    "$PY $PEER infer --threads $threads $infer_settings"],
}
json.dump(meta, open(os.path.join(scratch, "meta.json"), "w"), indent=1)
EOF
mkdir -p "$(dirname "$out")"
"$PY" bench/ai/aggregate_ai.py --scratch "$scratch" --out "$out"
echo
echo "ai_side_by_side: load at start: $load_at_start; result: $out; raw outputs: $scratch"
