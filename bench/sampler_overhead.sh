#!/usr/bin/env bash
# bench/sampler_overhead.sh — the CPU cost of `aicq monitor` side by side with Debian's
# prometheus-node-exporter, both scraped at the same interval in the same window (bench/scrape_window.py).
# aicq's cost includes serving its own /metrics scrapes; node_exporter collects at scrape time, so its whole
# cost is the scrapes. CPU time: /proc/PID/stat utime+stime (+ children) over the window, as % of one core.
# Goal (telemetry issue): < 0.5% of one core at 1 s, < 2% at 100 ms, and no more than node_exporter.
#
#   bench/sampler_overhead.sh [--window SECONDS] [--intervals "1s 100ms"] [--out FILE]
set -euo pipefail
cd "$(dirname "$0")/.."

window=60
intervals="1s 100ms"
out=""
while [ $# -gt 0 ]; do
  case "$1" in
    --window) window=$2; shift 2 ;;
    --intervals) intervals=$2; shift 2 ;;
    --out) out=$2; shift 2 ;;
    -h|--help) sed -n 2,9p "$0"; exit 0 ;;
    *) echo "sampler_overhead: unknown option '$1' (--help)" >&2; exit 2 ;;
  esac
done
AICQ=build/release/aicq
PY=/usr/bin/python3
NODE_EXPORTER=/usr/bin/prometheus-node-exporter
[ -x "$AICQ" ] || { echo "sampler_overhead: $AICQ missing (cmake --build build/release --target aicq)" >&2; exit 1; }
[ -x "$NODE_EXPORTER" ] || { echo "sampler_overhead: $NODE_EXPORTER missing (scripts/install-deps.sh)" >&2; exit 1; }
scratch=$(mktemp -d /tmp/aicq-sampler-overhead.XXXXXX)
echo "sampler_overhead: scratch $scratch; load at start $(cat /proc/loadavg)"

free_port() { "$PY" -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'; }
seconds() { case "$1" in *ms) awk -v v="${1%ms}" 'BEGIN { print v / 1000 }' ;; *s) echo "${1%s}" ;; *) echo "$1" ;; esac; }

pids=()
cleanup() { for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; wait "$p" 2>/dev/null || true; done; }
trap cleanup EXIT

results=()
for iv in $intervals; do
  s=$(seconds "$iv")
  echo "sampler_overhead: interval $iv, window ${window} s …"
  "$AICQ" monitor --interval "$iv" --listen 127.0.0.1:0 --db "$scratch/aicq-$iv.db" >"$scratch/monitor-$iv.out" 2>&1 &
  aicq_pid=$!
  ne_port=$(free_port)
  "$NODE_EXPORTER" --web.listen-address="127.0.0.1:$ne_port" >"$scratch/node-exporter-$iv.log" 2>&1 &
  ne_pid=$!
  pids=("$aicq_pid" "$ne_pid")
  aicq_addr=""
  for _ in $(seq 1 50); do
    aicq_addr=$(grep -o 'http://127\.0\.0\.1:[0-9]*' "$scratch/monitor-$iv.out" | head -1 || true)
    [ -n "$aicq_addr" ] && "$PY" -c 'import sys, urllib.request; urllib.request.urlopen(sys.argv[1], timeout=1).read()' \
      "http://127.0.0.1:$ne_port/metrics" 2>/dev/null && break
    sleep 0.2
  done
  [ -n "$aicq_addr" ] || { echo "sampler_overhead: aicq monitor did not start:" >&2; cat "$scratch/monitor-$iv.out" >&2; exit 1; }
  "$PY" bench/scrape_window.py --interval "$s" --warmup 5 --window "$window" \
    "aicq=$aicq_pid=$aicq_addr/metrics" "node_exporter=$ne_pid=http://127.0.0.1:$ne_port/metrics" >"$scratch/window-$iv.json"
  echo "  load after: $(cat /proc/loadavg)" | tee -a "$scratch/load.txt"
  cleanup
  pids=()
  results+=("$scratch/window-$iv.json")
done

"$PY" - "$out" "$(cat /proc/loadavg)" "$($AICQ sensors 2>&1 | head -20)" "${results[@]}" <<'EOF'
import json, os, sys
out, load_end, sensors, files = sys.argv[1], sys.argv[2], sys.argv[3], sys.argv[4:]
windows = [json.load(open(f)) for f in files]
goal = {1.0: 0.5, 0.1: 2.0}
print("| interval | aicq monitor (+ its /metrics) | node_exporter (scraped) | goal | aicq ≤ node_exporter | scrapes ok/failed (aicq · node) |")
print("|---|---|---|---|---|---|")
for w in windows:
    a, n = w["targets"]["aicq"], w["targets"]["node_exporter"]
    g = goal.get(round(w["interval_s"], 3))
    fmt = lambda t: f"{t['percent_of_one_core']:.3f}% ({t['schedstat_percent_of_one_core']:.3f}%)"
    ok = "yes" if a["percent_of_one_core"] <= n["percent_of_one_core"] else "no"
    within = "—" if g is None else (f"< {g}%: " + ("met" if a["percent_of_one_core"] < g else "NOT met"))
    print(f"| {w['interval_s'] * 1000:g} ms | {fmt(a)} | {fmt(n)} | {within} | {ok} | "
          f"{a['scrapes_ok']}/{a['scrapes_failed']} · {n['scrapes_ok']}/{n['scrapes_failed']} |")
print("\n% of one core from /proc/PID/stat ticks; in parentheses the same from /proc/PID/task/*/schedstat (ns).")
if out:
    doc = {"schema": "aicq-bench-sampler-overhead/1", "windows": windows, "load_at_end": load_end, "aicq_sensors": sensors}
    with open(out + ".tmp", "w") as f:
        json.dump(doc, f, indent=1)
    os.replace(out + ".tmp", out)
EOF
