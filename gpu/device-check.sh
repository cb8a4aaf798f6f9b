#!/usr/bin/env bash
# The prepared device check for a lent GPU machine (issue 9, "Tests and device checks"): builds aicq-gpu-probe
# there with CMake (the machine has the CUDA toolkit, CMake and Python, none of aicq's Debian libraries), runs it on
# every visible GPU with nvidia-smi sampling power and clocks beside it, and prints the figures against the
# ceilings an H200 reached (BF16 GEMM 769–798 TFLOP/s, device copy ≈ 4.3 TB/s; goal ≥ 0.9 × those).
#
# usage (from the repository root): gpu/device-check.sh            # writes under $OUT (default ./gpu-check-out)
#   AICQ_GPU_CHECK_ARGS="--reps 50"  extra arguments for aicq-gpu-probe
# Files under $OUT: build.log, nvidia-smi.txt, nvidia-smi-samples.csv, gpu-evidence.json (aicq-evidence/1),
# gpu-probe.log (its progress and table), figures.txt (the summary printed at the end).
# Exit: aicq-gpu-probe's exit code (0 measured, 1 failure, 3 a reference check failed), or the build's.
set -uo pipefail
cd "$(dirname "$0")/.."
OUT=${OUT:-$PWD/gpu-check-out}
mkdir -p "$OUT"
say() { echo "== $*"; }

say "nvidia-smi"
{ nvidia-smi; nvidia-smi --query-gpu=index,name,uuid,pci.bus_id,driver_version,memory.total,power.limit,clocks.max.sm,clocks.max.mem \
    --format=csv; } 2>&1 | tee "$OUT/nvidia-smi.txt"

say "build aicq-gpu-probe (cmake -S gpu -B build-gpu)"
gen=()
command -v ninja >/dev/null 2>&1 && gen=(-G Ninja)
t0=$(date +%s)
if ! { cmake -S gpu -B build-gpu "${gen[@]}" -DCMAKE_BUILD_TYPE=Release && cmake --build build-gpu -j "$(nproc)"; } >"$OUT/build.log" 2>&1; then
  tail -40 "$OUT/build.log"
  echo "build failed (log: $OUT/build.log)"
  exit 1
fi
echo "built in $(( $(date +%s) - t0 )) s"

say "run aicq-gpu-probe on every visible GPU (CUDA_VISIBLE_DEVICES=${CUDA_VISIBLE_DEVICES:-not set})"
nvidia-smi --query-gpu=timestamp,index,power.draw,clocks.sm,clocks.mem,temperature.gpu,utilization.gpu \
  --format=csv -lms 500 >"$OUT/nvidia-smi-samples.csv" 2>&1 &
smi=$!
# shellcheck disable=SC2086  # the extra arguments are words
build-gpu/aicq-gpu-probe -o "$OUT/gpu-evidence.json" ${AICQ_GPU_CHECK_ARGS:-} 2>&1 | tee "$OUT/gpu-probe.log"
rc=${PIPESTATUS[0]}
kill "$smi" 2>/dev/null; wait "$smi" 2>/dev/null
echo "aicq-gpu-probe exit code $rc"
[ -s "$OUT/gpu-evidence.json" ] || exit "$rc"

say "figures"
python3 - "$OUT/gpu-evidence.json" "$OUT/nvidia-smi-samples.csv" <<'PY' | tee "$OUT/figures.txt"
import csv, json, sys
doc = json.load(open(sys.argv[1]))
# The document must read as aicq evidence: only the members aicq's reader accepts, records with what it needs.
assert doc["schema"] == "aicq-evidence/1", doc.get("schema")
assert set(doc) <= {"schema", "tool", "evidence", "declarations", "summary"}, set(doc)
for r in doc["evidence"]:
    assert {"metric", "value", "unit", "kind", "source"} <= set(r), r
s = doc["summary"]
print(f"host {s['host']}  CUDA runtime {s['cuda_runtime']}  driver API {s['cuda_driver']}  cuBLASLt {s['cublaslt']}")
for d in s["devices"]:
    print(f"  GPU {d['index']}: {d['name']} cc {d['compute_capability']} {d['multiprocessors']} SMs "
          f"{d['memory_bytes']/2**30:.1f} GiB catalog {d.get('catalog', '-')}")
# Ceilings an H200 reached (issue 9), per device; goal >= 0.9 x.
ceiling = {"gemm_bf16": (769e12, 798e12), "copy_d2d": (4.3e12, 4.3e12)}
print(f"{'measure':10} {'GPU':>3} {'median':>14} {'of peak':>8} {'vs ceiling':>11}  check")
for m in s["measurements"]:
    scale, unit = (1e12, "TFLOP/s") if m["unit"] == "FLOP/s" else (1e12, "TB/s")
    for d in m["per_device"]:
        if "not_run" in d:
            print(f"{m['id']:10} {d['device']:>3} {'-':>14} {'-':>8} {'-':>11}  not run: {d['not_run']}")
            continue
        med = d["median"]
        frac = f"{100*med/m['peak_per_device']:.1f}%" if m.get("peak_per_device") else "-"
        vs = "-"
        if m["id"] in ceiling:
            lo, hi = ceiling[m["id"]]
            vs = f"{med/hi:.2f}x " + ("OK" if med >= 0.9 * lo else "LOW")
        chk = d.get("check", {})
        print(f"{m['id']:10} {d['device']:>3} {med/scale:10.1f} {unit:7} {frac:>8} {vs:>11}  "
              f"{'ok' if chk.get('passed') else 'FAILED'} rel.err {chk.get('rel_rms_error', float('nan')):.2g}")
    if m["devices"] > 1 and "median" in m:
        frac = f"{100*m['fraction_of_peak']:.1f}%" if "fraction_of_peak" in m else "-"
        print(f"{m['id']:10} {'all':>3} {m['median']/scale:10.1f} {unit:7} {frac:>8}  summed per repetition")
try:
    rows = list(csv.reader(open(sys.argv[2])))
    watts = [float(r[2].split()[0]) for r in rows[1:] if len(r) > 2 and r[2].strip()[:1].isdigit()]
    if watts:
        print(f"nvidia-smi power during the run: max {max(watts):.0f} W, mean {sum(watts)/len(watts):.0f} W "
              f"({len(watts)} samples, all GPUs)")
except (OSError, ValueError, IndexError) as e:
    print(f"nvidia-smi samples not read: {e}")
PY
exit "$rc"
